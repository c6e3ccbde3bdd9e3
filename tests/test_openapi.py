"""The published OpenAPI document: it lists every documented route, its docs page answers, and
the running app keeps to it (schemathesis: no 5xx, every response matches its schema)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from colletta.app import create_app
from colletta.config import Settings
from colletta.store.migrate import upgrade_to_head
from tests.conftest import PASSWORD, MakePerson

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EXAMPLES = 15  # per operation and generation mode: keeps the run near a minute
# Content types too: a problem+json answer where the document promises something else would
# slip past the schema check, which only validates bodies of a documented media type.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
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


ID_PATTERN = "^[1-9][0-9]{0,18}$"
JS_SAFE_MAX = 2**53 - 1


# The client's own idempotency keys (any printable string), the provider's ids, rule names.
NOT_IDS = {"client_txn_id", "client_id", "payout_id", "rule_ids"}


def _is_id_name(name: str) -> bool:
    return name not in NOT_IDS and (name == "id" or name.endswith(("_id", "_ids")))


def _alternatives(schema: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's non-null alternatives, `$ref`s resolved."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _alternatives(document["components"]["schemas"][name], document)
    if "anyOf" in schema or "oneOf" in schema:
        return [
            alternative
            for option in schema.get("anyOf", schema.get("oneOf"))
            for alternative in _alternatives(option, document)
        ]
    return [] if schema.get("type") == "null" else [schema]


def _named_schemas(node: Any, where: str = "") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, name, schema) of every parameter and property in the document."""
    if isinstance(node, dict):
        if "name" in node and "in" in node and "schema" in node:
            yield f"{where} parameter", node["name"], node["schema"]
        for name, schema in node.get("properties", {}).items():
            yield f"{where} property", name, schema
        for key, value in node.items():
            yield from _named_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _named_schemas(value, f"{where}[{index}]")


async def test_every_id_is_a_decimal_string_in_the_document(http: httpx.AsyncClient) -> None:
    """Ids pass 2**53: a client generated from an `integer` would round them through a float."""
    document = (await http.get("/api/openapi.json")).json()
    wrong: list[str] = []
    checked = 0
    for where, name, schema in _named_schemas(document):
        for alternative in _alternatives(schema, document):
            if alternative.get("type") == "array":
                alternative = alternative["items"]
            if _is_id_name(name):
                checked += 1
                if alternative.get("type") != "string" or alternative.get("pattern") != ID_PATTERN:
                    wrong.append(f"{where} {name}: {alternative}")
            # Any other integer that may pass 2**53 is an id under another name (a cursor),
            # unless it counts a chat's events.
            elif alternative.get("type") == "integer" and not name.endswith("seq"):
                big = alternative.get("maximum", 0) > JS_SAFE_MAX
                wrong += [f"{where} {name}: {alternative}"] if big else []
    assert checked >= 60  # path ids of every chat route, and the models' ids
    assert not wrong, "\n".join(wrong)


class _PageRefs(HTMLParser):
    """The URLs a page loads, and the text of any inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in = tag if tag in ("script", "style") else None
        if any(name.startswith("on") for name in found) or "style" in found:
            self.inline.append(f"<{tag} {found}>")

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.inline.append(data)


async def test_api_docs_load_from_this_server_alone(server_http: httpx.AsyncClient) -> None:
    """The docs page and everything it loads come from the server itself (works offline, pins
    the UI's version), and its policy allows no inline code and no other host."""
    page = await server_http.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    refs = _PageRefs()
    refs.feed(page.text)
    assert refs.inline == []
    assert len(refs.urls) >= 3  # the stylesheet, Swagger UI, the start-up script
    loaded = ""
    for url in refs.urls:
        assert url.startswith("/api/docs/assets/"), url
        asset = await server_http.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in (
            "text/css",
            "text/javascript",
            "image/png",
        ), url
        loaded += asset.text if not url.endswith(".png") else ""
    assert "SwaggerUIBundle" in loaded
    assert '"/api/openapi.json"' in loaded
    assert (await server_http.get("/api/openapi.json")).status_code == 200
    # Only the files the page uses: not the bundle's sample page with its inline script.
    for name in ("index.html", "swagger-initializer.js", "../docs.py", "..%2Fdocs.py"):
        assert (await server_http.get(f"/api/docs/assets/{name}")).status_code == 404, name

    policy = page.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part)
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "http" not in policy  # no CDN, no other host
    api_policy = (await server_http.get("/api/v1/health")).headers["content-security-policy"]
    assert api_policy.startswith("default-src 'none';")
    assert "script-src" not in api_policy


async def test_media_downloads_get_the_strict_policy(
    server_http: httpx.AsyncClient, server_person: MakePerson
) -> None:
    """A file opened from the API may load and run nothing, and runs sandboxed."""
    ann = await server_person()
    chat = await ann.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "files"})
    path = f"/api/v1/chats/{chat['id']}/media"
    page = b"<html><script>alert(1)</script></html>"
    uploaded = await ann.ok(
        "POST", path, content=page, headers={"content-type": "application/octet-stream"}
    )
    await ann.ok(
        "POST",
        f"/api/v1/chats/{chat['id']}/messages",
        json={"client_txn_id": "f1", "attachments": [uploaded["id"]]},
    )
    download = await ann.call("GET", f"{path}/{uploaded['id']}")
    assert download.status_code == 200
    policy = download.headers["content-security-policy"]
    assert policy.startswith("default-src 'none';")
    assert "sandbox" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.settings(behind_tls=True)
async def test_hsts_only_behind_tls(server_http: httpx.AsyncClient) -> None:
    for path in ("/api/v1/health", "/api/docs", "/api/v1/nowhere"):
        response = await server_http.get(path)
        assert response.headers["strict-transport-security"] == "max-age=31536000", path


# Schemathesis drives the app in-process through its own ASGI client, on its own event loop
# thread; it runs the app's lifespan itself, so the app here is a fresh one, not the `app`
# fixture (whose lifespan runs on the test's loop).


@pytest.fixture
def openapi_app(tmp_path: Path) -> Iterator[Any]:
    # The schema does not depend on the database; one run on SQLite keeps CI time bounded.
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'openapi.db'}"
    asyncio.run(upgrade_to_head(db_url))
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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FailureGroup):
        return "; ".join(f"{failure.title}: {failure.message}" for failure in exc.exceptions)
    if isinstance(exc, BaseExceptionGroup):  # Hypothesis' FlakyFailure: say what failed
        inner = "; ".join(_describe(sub) for sub in exc.exceptions)
        return f"{type(exc).__name__}: {exc.message} [{inner}]"
    return f"{type(exc).__name__}: {exc}"


def test_api_keeps_to_its_schema(openapi_app: Any, auth_headers: dict[str, str]) -> None:
    """Schemathesis, per operation: valid and invalid generated calls as a logged-in user never
    get a 5xx, and every answer matches the schema the document declares for its status."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", openapi_app)
    # Logging out would revoke the token every other generated call uses.
    operations = [
        result.ok() for result in schema.exclude(path="/api/v1/auth/logout").get_all_operations()
    ]
    assert len(operations) >= 40
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                case.call_and_validate(headers=dict(auth_headers), checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to get wrong: no parameters
            # Every operation's findings, not just the first one's.
            except (Exception, FailureGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {_describe(exc)}")
    assert not failures, "\n\n".join(failures)
