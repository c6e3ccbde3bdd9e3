"""When the database is unreachable or its disk full: 503/507 with Retry-After, one log line,
the connection still usable, nothing lost once the database is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect

from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.errors import InsufficientStorage, Unavailable
from colletta.store.db import Database
from colletta.workers.expiry import ExpiryWorker
from tests.conftest import PG_URL, Person, Server, need, register_and_login, start_server
from tests.live_client import Live
from tests.outage_tools import TcpProxy, ThrowawayRedis
from tests.test_messages import history, make_group, send

PROBLEMS = "https://colletta.chat/problems/"


def _settings(database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        rate_limits_enabled=False,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        expiry_worker_enabled=False,
        pot_worker_enabled=False,
        outage_retry_after_s=7,
        **extra,
    )


@pytest.fixture
async def pg_proxy() -> AsyncIterator[TcpProxy]:
    need(PG_URL, "COLLETTA_TEST_DATABASE_URL")
    from tests.conftest import _fresh_postgres

    await _fresh_postgres()
    url = make_url(PG_URL)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    if proxy._server is not None:
        await proxy.cut()


@pytest.fixture
async def pg_server(pg_proxy: TcpProxy, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Server]:
    """The real server on PostgreSQL reached through `pg_proxy`."""
    url = make_url(PG_URL).set(host="127.0.0.1", port=pg_proxy.port)
    async with _serving(_settings(url.render_as_string(hide_password=False), tmp_path), clock) as s:
        yield s


@asynccontextmanager
async def _serving(settings: Settings, clock: FakeClock) -> AsyncIterator[Server]:
    app = create_app(settings, clock)
    uv, task, base = await start_server(app, settings)
    try:
        yield Server(base, app)
    finally:
        uv.should_exit = True
        await task


async def _ws_close_code(url: str, token: str) -> int | None:
    """Connect and authenticate; the code the server closes with before `ready`."""
    async with connect(url) as ws:
        await ws.send(orjson.dumps({"type": "auth", "token": token}))
        return await Live(ws, {}).until_closed()


def _assert_outage(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["retry-after"] == "7"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + slug


def _one_connection(server: Server) -> httpx.AsyncClient:
    """A client of one connection: it must survive the outage's answers."""
    return httpx.AsyncClient(base_url=server.url, limits=httpx.Limits(max_connections=1))


async def _alice_with_a_message(client: httpx.AsyncClient) -> tuple[Person, str, dict[str, Any]]:
    alice = await register_and_login(client)
    chat_id = await make_group(alice)
    return alice, chat_id, await send(alice, chat_id, "before")


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings and errors logged; none may carry a traceback."""
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert all(r.exc_info is None for r in records), [r.getMessage() for r in records]
    return records


async def test_postgres_outage_answers_503_on_the_same_connection_and_loses_nothing(
    pg_proxy: TcpProxy, pg_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async with _one_connection(pg_server) as client:
        alice, chat_id, first = await _alice_with_a_message(client)

        await pg_proxy.cut()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            body = {"text": "during", "client_txn_id": "during"}
            # The send fast path, the regular routes, and the WebSocket.
            sent = await alice.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)
            _assert_outage(sent, 503, "unavailable")
            listed = await alice.call("GET", f"/api/v1/chats/{chat_id}/messages")
            _assert_outage(listed, 503, "unavailable")
            made = await alice.call("POST", "/api/v1/chats", json={"kind": "group", "title": "x"})
            _assert_outage(made, 503, "unavailable")
            assert await _ws_close_code(pg_server.ws_url, alice.token) == 1013
        lines = _outage_lines(caplog)
        assert len(lines) == 4, [r.getMessage() for r in lines]
        assert [r.getMessage().split(" (")[0] for r in lines] == [
            "unavailable on POST /api/v1/chats/{chat_id}/messages: the database is unreachable",
            "unavailable on GET /api/v1/chats/{chat_id}/messages: the database is unreachable",
            "unavailable on POST /api/v1/chats: the database is unreachable",
            # Alice's caller is cached, so the socket gets past authentication.
            "unavailable on websocket open: the database is unreachable",
        ]
        assert not any("during" in r.getMessage() or alice.token in r.getMessage() for r in lines)

        await pg_proxy.restore()
        retried = await alice.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)
        assert retried.status_code == 201, retried.text
        assert retried.json()["seq"] == first["seq"] + 1
        texts = [m["text"] for m in (await history(alice, chat_id))["messages"]]
        assert sorted(texts) == ["before", "during"]


@pytest.fixture
async def sqlite_server(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Server]:
    from colletta.store.migrate import upgrade_to_head

    url = f"sqlite+aiosqlite:///{tmp_path / 'colletta.db'}"
    await upgrade_to_head(url)
    async with _serving(_settings(url, tmp_path), clock) as server:
        yield server


def _fill_disk(server: Server) -> None:
    """The write connection may not grow the file: SQLite answers SQLITE_FULL, as on a full
    disk. Per connection, so a new write connection (after a failed commit) lifts it."""
    raw = server.app.state.ctx.db._group_commit.raw_writer()
    pages = raw.execute("PRAGMA page_count").fetchone()[0]
    assert raw.execute("PRAGMA freelist_count").fetchone()[0] == 0
    raw.execute(f"PRAGMA max_page_count = {pages}")


def _free_disk(server: Server) -> None:
    server.app.state.ctx.db._group_commit.raw_writer().execute("PRAGMA max_page_count = 1073741823")


async def test_a_full_sqlite_disk_answers_507_and_the_next_send_takes_the_next_seq(
    sqlite_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async with _one_connection(sqlite_server) as client:
        alice, chat_id, first = await _alice_with_a_message(client)
        live = await Live.open(sqlite_server.ws_url, alice.token)

        _fill_disk(sqlite_server)
        caplog.clear()
        big = "x" * 4000  # more than the free room in the file's last page
        with caplog.at_level(logging.WARNING):
            sent = await alice.call(
                "POST",
                f"/api/v1/chats/{chat_id}/messages",
                json={"text": big, "client_txn_id": "big"},
            )
            _assert_outage(sent, 507, "insufficient_storage")
            await live.send(
                {"type": "send", "chat_id": chat_id, "text": big, "client_txn_id": "ws"}
            )
            error = await live.next_of("error")
            assert error["client_txn_id"] == "ws"
            assert error["problem"]["type"] == PROBLEMS + "insufficient_storage"
        assert len(_outage_lines(caplog)) == 2

        _free_disk(sqlite_server)
        after = await send(alice, chat_id, "after")
        assert after["seq"] == first["seq"] + 1
        frame = await live.next_of("message.created")
        assert frame["seq"] == after["seq"]
        await live.close()
        texts = [m["text"] for m in (await history(alice, chat_id))["messages"]]
        assert sorted(texts) == ["after", "before"]


async def test_when_sqlite_drops_a_whole_batch_on_a_full_disk_no_writer_in_it_succeeds(
    tmp_path: Path,
) -> None:
    """SQLITE_FULL may roll back the whole transaction, and with it the work of writers who
    already left the batch: they must hear 507 too, never that their work was kept."""
    from colletta.store.migrate import upgrade_to_head

    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await upgrade_to_head(url)
    db = Database(url, retry_after_s=7)
    try:
        async with db.write() as tx:
            await tx.conn.execute(text("CREATE TABLE t (x TEXT)"))
        raw = db._group_commit.raw_writer()
        raw.execute(f"PRAGMA max_page_count = {raw.execute('PRAGMA page_count').fetchone()[0]}")

        async def write(value: str) -> None:
            async with db.write() as tx:
                await tx.conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})

        # Started in one loop turn: one batch, the small row first.
        results = await asyncio.gather(write("small"), write("x" * 20_000), return_exceptions=True)
        assert [type(r) for r in results] == [InsufficientStorage, InsufficientStorage]
        assert results[0].retry_after_s == 7  # type: ignore[union-attr]

        raw = db._group_commit.raw_writer()
        raw.execute("PRAGMA max_page_count = 1073741823")
        await write("later")
        async with db.read() as conn:
            rows = (await conn.execute(text("SELECT x FROM t"))).all()
        assert [r.x for r in rows] == ["later"]
    finally:
        await db.dispose()


async def test_a_connection_postgres_drops_inside_a_block_ends_it_as_unavailable(
    pg_proxy: TcpProxy,
) -> None:
    """Giving the dropped connection back (its rollback) fails too: that is the outage as
    well, not a driver error a background loop would log as a bug."""
    url = make_url(PG_URL).set(host="127.0.0.1", port=pg_proxy.port)
    db = Database(url.render_as_string(hide_password=False), retry_after_s=7)

    async def read_then_drop() -> None:
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))
            await pg_proxy.cut()

    async def write_then_drop() -> None:
        async with db.write() as tx:
            await tx.conn.execute(text("SELECT 1"))
            await pg_proxy.cut()

    try:
        for block in (read_then_drop, write_then_drop):
            with pytest.raises(Unavailable):
                await block()
            await pg_proxy.restore()
    finally:
        await db.dispose()


async def test_the_expiry_sweep_backs_off_while_postgres_is_down_with_one_line_each_way(
    pg_proxy: TcpProxy, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(PG_URL).set(host="127.0.0.1", port=pg_proxy.port)
    settings = _settings(url.render_as_string(hide_password=False), tmp_path)
    settings.outage_backoff_max_s = 4.0
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        worker = ExpiryWorker(app.state.ctx)
        assert await worker.sweep() == settings.expiry_sweep_interval_s

        await pg_proxy.cut()
        with caplog.at_level(logging.INFO, logger="colletta.workers.expiry"):
            waits = [await worker.sweep() for _ in range(6)]
            clock.advance(11_000)
            await pg_proxy.restore()
            assert await worker.sweep() == settings.expiry_sweep_interval_s
        assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert all(r.exc_info is None for r in warnings)  # no loop logs the outage as a bug
        # Other loops (the hash matcher's) may log their own line meanwhile: these are the sweep's.
        lines = [r for r in warnings if r.name == "colletta.workers.expiry"]
        assert [r.getMessage() for r in lines] == [
            "expiry: sweep failed, the database is unreachable; retrying with backoff",
            "expiry: sweeping again after 6 failed sweeps over 11.0 s",
        ]


@pytest.fixture
async def redis_down_nodes(
    tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[ThrowawayRedis, Server, Server]]:
    """Two nodes (servers) on PostgreSQL and a Redis of this test's own."""
    need(PG_URL, "COLLETTA_TEST_DATABASE_URL")
    from tests.conftest import _fresh_postgres

    await _fresh_postgres()
    redis_server = ThrowawayRedis(tmp_path)
    redis_server.start()
    settings = _settings(
        PG_URL,
        tmp_path,
        bus_url=redis_server.url,
        bus_down_poll_interval_s=0.05,
        outage_backoff_max_s=0.1,
    )
    try:
        async with _serving(settings, clock) as node_a, _serving(settings, clock) as node_b:
            yield redis_server, node_a, node_b
    finally:
        redis_server.stop()


async def test_without_redis_sockets_connect_resume_and_receive_from_the_log(
    redis_down_nodes: tuple[ThrowawayRedis, Server, Server],
) -> None:
    redis_server, node_a, node_b = redis_down_nodes
    async with (
        httpx.AsyncClient(base_url=node_a.url) as on_a,
        httpx.AsyncClient(base_url=node_b.url) as on_b,
    ):
        alice, bob = await register_and_login(on_a), await register_and_login(on_b)
        chat_id = await make_group(alice, bob)
        listening = await Live.open(node_b.ws_url, bob.token)
        seen: list[int] = []

        async def through_a_to_b(text: str, *listeners: Live) -> int:
            seq = int((await send(alice, chat_id, text))["seq"])
            for live in listeners:
                frame = await live.next_of("message.created")
                assert (frame["seq"], frame["message"]["text"]) == (seq, text)
            return seq

        seen.append(await through_a_to_b("redis up", listening))

        redis_server.kill()
        seen.append(await through_a_to_b("redis down", listening))
        # A new socket on B (no bus) connects, resumes from a cursor, then receives.
        resumed = await Live.open(node_b.ws_url, bob.token, {chat_id: seen[0]})
        assert (await resumed.next_of("message.created"))["seq"] == seen[1]
        seen.append(await through_a_to_b("still down", listening, resumed))
        assert not node_b.app.state.ctx.bus.up

        redis_server.start()
        buses = (node_a.app.state.ctx.bus, node_b.app.state.ctx.bus)
        for attempt in range(200):
            # A text of its own each time: the text is the client_txn_id, and a repeated one
            # is (rightly) the same message again, which emits nothing new.
            seen.append(await through_a_to_b(f"back {attempt}", listening, resumed))
            if all(bus.up for bus in buses):
                break
        assert all(bus.up for bus in buses)
        seen.append(await through_a_to_b("live again", listening, resumed))
        await resumed.close()
        await listening.close()

    assert seen == list(range(seen[0], seen[0] + len(seen)))
