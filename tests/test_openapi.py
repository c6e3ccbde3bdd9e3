"""The published OpenAPI document: it lists every documented route, its docs page answers, and
the running app keeps to it (schemathesis: no 5xx, every response matches its schema)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from colletta.app import create_app
from colletta.config import Settings
from tests.conftest import PASSWORD

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_ROUTE = re.compile(
    r"`(?P<method>GET|POST|PUT|PATCH|DELETE) (?P<path>/api/[^`?\s]+)[^`]*`"
    r"(?P<alternatives>(?: / `[^`]+`)*)"
)


def documented_routes() -> set[tuple[str, str]]:
    """(method, path) of every call docs/api.md names, path parameters written as `{}`.

    Understands the doc's shorthands: "`PUT /a/{x}` / `DELETE`" (same path, other method) and
    "`POST /a/approve` / `/decline`" (same method, other last segment)."""
    routes: set[tuple[str, str]] = set()
    for match in _ROUTE.finditer(API_MD.read_text()):
        method, path = match["method"], match["path"]
        routes.add((method, path))
        for alternative in re.findall(r"`([^`]+)`", match["alternatives"]):
            if alternative in METHODS:
                routes.add((alternative, path))
            else:
                routes.add((method, path.rsplit("/", 1)[0] + alternative))
    return {(method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path in routes}


async def test_openapi_lists_every_documented_route(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    published = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    documented = documented_routes()
    assert len(documented) >= 44, sorted(documented)  # the parser did find the tables
    assert ("POST", "/api/v1/chats/{}/join-requests/{}/decline") in documented
    assert ("DELETE", "/api/v1/chats/{}/pins/{}") in documented
    assert ("GET", "/api/v1/sync") in documented
    assert documented - published == set()


async def test_api_docs_page_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in response.text


# Schemathesis drives the app in-process through its own ASGI client, on its own event loop
# thread; it runs the app's lifespan itself, so the app here is a fresh one, not the `app`
# fixture (whose lifespan runs on the test's loop).


@pytest.fixture
def openapi_app(db_url: str, tmp_path: Path) -> Iterator[Any]:
    if not db_url.startswith("sqlite"):
        pytest.skip("the schemathesis run is SQLite-only, to keep CI time bounded")
    application = create_app(
        Settings(
            database_url=db_url,
            data_dir=tmp_path,
            rate_limits_enabled=False,
            log_level="warning",
            argon2_time_cost=1,
            argon2_memory_kib=64,
        )
    )
    yield application
    schemathesis_asgi.shutdown_lifespans()


@pytest.fixture
def api_schema(openapi_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", openapi_app)


@pytest.fixture
def auth_headers(openapi_app: Any) -> dict[str, str]:
    """A logged-in user with a chat and a message, so generated calls can also land somewhere."""
    with schemathesis_asgi.get_client(openapi_app) as client:
        credentials = {"username": "fuzzer", "password": PASSWORD}
        assert client.post("/api/v1/auth/register", json=credentials).status_code == 201
        token = client.post("/api/v1/auth/login", json=credentials).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        chat = client.post(
            "/api/v1/chats", headers=headers, json={"kind": "group", "title": "fuzz"}
        ).json()
        sent = client.post(
            f"/api/v1/chats/{chat['id']}/messages",
            headers=headers,
            json={"text": "*hello*", "client_txn_id": "seed"},
        )
        assert sent.status_code == 201, sent.text
    return headers


# Logging out would revoke the token every other generated call uses.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/api/v1/auth/logout")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_to_its_schema(case: Any, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(
        headers=auth_headers, checks=[not_a_server_error, response_schema_conformance]
    )
