"""The web client (`web/`, built by Vite into `colletta/web_dist/`), served at `/`.

Every GET or HEAD outside `/api` and `/pay` is the client's: a built file if there is one, else
`index.html`, so the client's history-API routes (`/chat/123`) load the app. `/api/*` is never
shadowed, and other methods go to the application as before. Hashed files under `/assets/`
never change, so browsers may keep them; `index.html` is fetched afresh every time.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

WEB_DIST = Path(__file__).resolve().parent.parent / "web_dist"
_IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}
_NOT_BUILT = (
    "The web client is not built. `make run` builds it (npm ci and vite build in web/); "
    "the API is at /api/docs.\n"
)


# Paths the server answers itself: the API, and the sandbox's checkout pages (api/checkout.py).
SERVER_PREFIXES = ("/api", "/pay")


def is_server_path(path: str) -> bool:
    """Whether the server, not the web client, answers `path`."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in SERVER_PREFIXES)


class WebClient:
    """In front of the application: answers GET and HEAD outside `/api` from `root`."""

    def __init__(self, app: ASGIApp, root: Path = WEB_DIST) -> None:
        self.app = app
        self.root = root.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or is_server_path(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        index = self.root / "index.html"
        if not index.is_file():
            await PlainTextResponse(_NOT_BUILT, status_code=404)(scope, receive, send)
            return
        found = self._file(scope["path"])
        if found is not None:
            headers = _IMMUTABLE if found.parent.name == "assets" else None
            await FileResponse(found, headers=headers)(scope, receive, send)
        elif scope["path"].startswith("/assets/"):
            await PlainTextResponse("no such file\n", status_code=404)(scope, receive, send)
        else:
            await FileResponse(index, media_type="text/html")(scope, receive, send)

    def _file(self, path: str) -> Path | None:
        """A built file named by the path, never one outside `root`."""
        relative = path.lstrip("/")
        if not relative or "\\" in relative or "\0" in relative:
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate
