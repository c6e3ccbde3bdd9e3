"""Shared fixtures: a real database (SQLite, and PostgreSQL when configured), the app in-process,
the real server on a real socket, and a cast of users."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from colletta.api.server import uvicorn_options
from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.store.migrate import upgrade_to_head
from colletta.store.schema import metadata

IN_CI = os.environ.get("CI") == "true"
# Under pytest-xdist (`make test` runs two workers) each worker has a database and a Redis
# database of its own: the first the configured ones, worker N the database `<name>_gwN`
# (created on first use) and Redis database `<db> + N`. Ids are unique across processes, so
# pub/sub channels, which Redis shares between its databases, do not meet either.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0")
PG_BASE_URL = os.environ.get("COLLETTA_TEST_DATABASE_URL", "")


def _worker_pg_url(url: str) -> str:
    if not url or WORKER == 0:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_gw{WORKER}").render_as_string(
        hide_password=False
    )


def _worker_redis_url(url: str) -> str:
    if not url or WORKER == 0:
        return url
    base, _, db = url.rpartition("/")
    if not db.isdigit():
        return f"{url.rstrip('/')}/{WORKER}"
    return f"{base}/{(int(db) + WORKER) % 16}"


PG_URL = _worker_pg_url(PG_BASE_URL)
REDIS_URL = _worker_redis_url(os.environ.get("COLLETTA_TEST_REDIS_URL", ""))


async def cut_pubsub_connections() -> None:
    """Close the pub/sub connections on this worker's Redis database, as a network break
    would: another worker's servers, on another database of the same Redis, keep theirs."""
    import redis.asyncio as redis

    admin = redis.Redis.from_url(REDIS_URL)
    try:
        db = int(admin.connection_pool.connection_kwargs.get("db", 0))
        for client in await admin.client_list(_type="pubsub"):
            if int(client["db"]) == db:
                await admin.client_kill_filter(_id=client["id"])
    finally:
        await admin.aclose()


PASSWORD = "correct horse battery"


def need(value: str, what: str) -> None:
    """Skip outside CI when a service is not configured; in CI that is a failure."""
    if value:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"set {what} to run this test")


_pg_migrated = False


async def _create_worker_database() -> None:
    engine = create_async_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    name = make_url(PG_URL).database
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not found:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def _fresh_postgres() -> str:
    global _pg_migrated
    if not _pg_migrated:
        if PG_URL != PG_BASE_URL:
            await _create_worker_database()
        engine = create_async_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await upgrade_to_head(PG_URL)
        _pg_migrated = True
    engine = create_async_engine(PG_URL)
    async with engine.begin() as conn:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {names} CASCADE"))
    await engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'colletta.db'}"
        await upgrade_to_head(url)
        return url
    need(PG_URL, "COLLETTA_TEST_DATABASE_URL")
    return await _fresh_postgres()


# For tests that hold for both buses: `pytest.mark.parametrize("bus_url", BUSES, indirect=True)`.
BUSES = ["memory", "redis"]


@pytest.fixture
def bus_url(request: pytest.FixtureRequest) -> str:
    """The memory bus, unless a test is parametrized over `BUSES`."""
    if getattr(request, "param", "memory") == "memory":
        return "memory://"
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    return REDIS_URL


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(request: pytest.FixtureRequest, db_url: str, bus_url: str, tmp_path: Path) -> Settings:
    """Test settings; `@pytest.mark.settings(key=value)` overrides some for one test."""
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker else {}
    values: dict[str, Any] = {
        "database_url": db_url,
        "bus_url": bus_url,
        "data_dir": tmp_path,
        "rate_limits_enabled": False,
        "log_level": "warning",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        # Tests drive expiry with a fake clock and call the sweep themselves.
        "expiry_worker_enabled": False,
        # and run pot tasks themselves (actions.pot_tasks.run_due_tasks).
        "pot_worker_enabled": False,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[Any]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process over httpx's ASGI transport."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://colletta.test") as client:
        yield client


@dataclass
class Person:
    """A test user with a logged-in client."""

    id: str
    username: str
    token: str
    client: httpx.AsyncClient

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None


MakePerson = Callable[..., Awaitable[Person]]


async def register_and_login(client: httpx.AsyncClient, name: str | None = None) -> Person:
    username = name or f"u{secrets.token_hex(5)}"
    response = await client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Person(body["user"]["id"], username, body["token"], client)


@pytest.fixture
def person(http: httpx.AsyncClient) -> MakePerson:
    async def make(name: str | None = None) -> Person:
        return await register_and_login(http, name)

    return make


@dataclass
class Server:
    """The real server on a real socket, in this test's event loop."""

    url: str
    app: Any

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/v1/ws"


async def start_server(
    application: Any, settings: Settings
) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """uvicorn with the options `colletta serve` uses, on a free port."""
    options = {**uvicorn_options(settings), "host": "127.0.0.1", "port": 0, "log_level": "warning"}
    config = uvicorn.Config(application, lifespan="on", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@pytest.fixture
async def server(settings: Settings, clock: FakeClock) -> AsyncIterator[Server]:
    application = create_app(settings, clock=clock)
    uv, task, url = await start_server(application, settings)
    try:
        yield Server(url, application)
    finally:
        uv.should_exit = True
        await task


@pytest.fixture
async def server_http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    # Tests of what a request does, not of how fast: hundreds of requests at once on a busy
    # CI machine queue for more than httpx's default 5 s (speed is measured in bench/).
    async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def server_person(server_http: httpx.AsyncClient) -> MakePerson:
    async def make(name: str | None = None) -> Person:
        return await register_and_login(server_http, name)

    return make


@pytest.fixture
def server_url(server: Server) -> str:
    """Base URL of the real server, for the SDK and CLI tests."""
    return server.url


@pytest.fixture
async def make_user(server_url: str) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
    """Factory of (logged-in SDK Client, User) against the real server."""
    from colletta_sdk import Client

    clients: list[Client] = []

    async def make() -> Any:
        username = f"u{secrets.token_hex(5)}"
        client = Client(server_url)
        clients.append(client)
        await client.register(username, PASSWORD)
        user = (await client.login(username, PASSWORD)).user
        return client, user

    yield make
    for client in clients:
        await client.aclose()
