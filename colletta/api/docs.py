"""`/api/docs`: Swagger UI from the `swagger-ui-bundle-v2` package, never from a CDN.

The page has no inline script or style, so its Content-Security-Policy allows only this
server's own files (`middleware.csp_for`); it works offline and pins the UI's version.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(prefix="/api/docs", include_in_schema=False)
ASSETS_PATH = "/api/docs/assets"
_STATIC = Path(__file__).parent / "static"
# Only what the page loads: not the bundle's sample index.html with its inline script.
_ASSETS = {
    "swagger-ui.css": (Path(swagger_ui_path) / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (Path(swagger_ui_path) / "swagger-ui-bundle.js", "text/javascript"),
    "favicon-32x32.png": (Path(swagger_ui_path) / "favicon-32x32.png", "image/png"),
    "init.js": (_STATIC / "docs-init.js", "text/javascript"),
}
_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Colletta API</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/init.js"></script>
</body>
</html>
"""


@router.get("")
async def docs_page() -> Response:
    return HTMLResponse(_PAGE)


@router.get("/assets/{name}")
async def docs_asset(name: str) -> Response:
    if name not in _ASSETS:
        raise HTTPException(404, "no such file")
    path, media_type = _ASSETS[name]
    return FileResponse(path, media_type=media_type)
