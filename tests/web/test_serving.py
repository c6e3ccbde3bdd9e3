"""`colletta serve` serves the web client at / with its history-API fallback, never over /api."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from tests.test_errors import assert_problem

INDEX = "<!doctype html><title>Colletta</title><script type=module src=/assets/app.js></script>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app.js").write_text("console.log(1)")
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


async def _client(settings: Settings, web_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"web_dir": web_dir}), clock=FakeClock())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://colletta.test") as c:
            yield c


@pytest.fixture
async def web(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings, dist):
        yield client


def _csp(response: httpx.Response) -> str:
    return response.headers["content-security-policy"]


async def test_the_app_is_served_at_root_and_at_its_routes(web: httpx.AsyncClient) -> None:
    for path in ("/", "/chat/123", "/settings", "/signin?next=1", "/nothing/at/all"):
        response = await web.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX, path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"  # a new build shows at once
        csp = _csp(response)
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "http" not in csp, "no third-party origin"
        assert "connect-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp


async def test_built_files_are_served_and_hashed_ones_cached(web: httpx.AsyncClient) -> None:
    script = await web.get("/assets/app.js")
    assert script.status_code == 200
    assert script.text == "console.log(1)"
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers.get_list("cache-control") == ["public, max-age=31536000, immutable"]
    assert (await web.get("/favicon.svg")).text == "<svg/>"
    missing = await web.get("/assets/missing.js")
    assert missing.status_code == 404
    assert not missing.headers["content-type"].startswith("text/html")


async def test_the_api_is_never_shadowed(web: httpx.AsyncClient) -> None:
    for path in ("/api", "/api/", "/api/v1/nothing", "/api/v2/chats"):
        assert_problem(await web.get(path), 404, what=path)
    assert (await web.get("/api/v1/health")).json()["status"] == "ok"
    api = await web.get("/api/openapi.json")
    assert "sandbox" in _csp(api)
    assert_problem(await web.post("/chat/1", json={}), 404)  # only GET and HEAD are the app's
    assert (await web.head("/chat/1")).status_code == 200
    # and the API's GET routes answer HEAD, as load balancers' health checks ask.
    head = await web.head("/api/v1/health")
    assert (head.status_code, head.content) == (200, b"")
    assert int(head.headers["content-length"]) > 0
    assert (await web.head("/api/docs")).status_code == 200
    assert (await web.head("/api/v1/nothing")).status_code == 404


async def test_nothing_outside_the_build_is_served(web: httpx.AsyncClient) -> None:
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        response = await web.get(path)
        assert "not for the web" not in response.text, path


async def test_without_a_build_the_root_says_how_to_build_it(
    settings: Settings, tmp_path: Path
) -> None:
    async for client in _client(settings, tmp_path / "nothing"):
        response = await client.get("/")
        assert response.status_code == 404
        assert "make run" in response.text
        assert (await client.get("/api/v1/health")).status_code == 200
