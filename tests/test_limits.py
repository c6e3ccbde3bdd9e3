"""Connection limits of the real server over raw sockets: head size, read timeouts, the
connection cap (docs/operations.md), and that `colletta serve` runs with the same options."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from colletta.api.server import uvicorn_options
from colletta.config import Settings
from tests.conftest import Server

# Transport limits do not depend on the database.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

HEALTH = b"GET /api/v1/health HTTP/1.1\r\nHost: colletta.test\r\n\r\n"


@contextlib.asynccontextmanager
async def raw(server: Server) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    url = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response: status, headers, body (by Content-Length)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in filter(None, lines):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


async def closed(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed the connection (whatever it still sent first)."""
    with contextlib.suppress(ConnectionResetError):
        while await asyncio.wait_for(reader.read(65_536), 10):
            pass
    return True


def problem_type(body: bytes) -> Any:
    return orjson.loads(body)["type"].rsplit("/", 1)[-1]


@pytest.mark.settings(http_max_header_bytes=4096)
async def test_a_request_head_over_the_limit_gets_431_and_is_closed(server: Server) -> None:
    async with raw(server) as (reader, writer):
        writer.write(HEALTH[:-2] + b"X-Fill: " + b"a" * 3000 + b"\r\n\r\n")
        status, _, _ = await response(reader)
        assert status == 200  # under the limit, and the connection stays usable

        writer.write(b"GET /api/v1/health HTTP/1.1\r\nX-Big: ")
        with contextlib.suppress(ConnectionError):
            for _ in range(64):  # 4 MiB, in pieces, as an attacker would stream it
                writer.write(b"a" * 65_536)
                await writer.drain()
        status, headers, body = await response(reader)
        assert status == 431
        assert headers["content-type"] == "application/problem+json"
        assert problem_type(body) == "headers_too_large"
        assert await closed(reader)
    async with raw(server) as (reader, writer):
        writer.write(HEALTH[:-2] + b"X-Fill: " + b"a" * 6000 + b"\r\n\r\n")  # in one piece
        status, _, body = await response(reader)
        assert (status, problem_type(body)) == (431, "headers_too_large")


@pytest.mark.settings(http_header_timeout_s=0.3)
async def test_a_slow_or_silent_head_is_cut_off(server: Server) -> None:
    async with raw(server) as (reader, writer):
        writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: colletta.test\r\n")  # never ends
        status, _, body = await response(reader)
        assert (status, problem_type(body)) == (408, "timeout")
        assert await closed(reader)
    async with raw(server) as (reader, _):
        assert await closed(reader)  # connected, sent nothing


@pytest.mark.settings(http_body_timeout_s=0.3)
async def test_a_stalled_body_is_cut_off(server: Server) -> None:
    async with raw(server) as (reader, writer):
        writer.write(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: colletta.test\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        status, _, body = await response(reader)
        assert (status, problem_type(body)) == (408, "timeout")
        assert await closed(reader)
    async with raw(server) as (reader, writer):
        writer.write(HEALTH)
        assert (await response(reader))[0] == 200  # the server is fine


@pytest.mark.settings(max_connections=16)
async def test_connections_over_the_cap_get_503_and_open_ones_keep_working(
    server: Server,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        held = [await stack.enter_async_context(raw(server)) for _ in range(16)]
        for reader, writer in held:  # each one answered, so each one is counted
            writer.write(HEALTH)
            assert (await response(reader))[0] == 200
        async with raw(server) as (reader, writer):
            status, headers, body = await response(reader)
            assert (status, problem_type(body)) == (503, "unavailable")
            assert headers["retry-after"] == "1"
            assert await closed(reader)
        reader, writer = held[0]
        writer.write(HEALTH)
        assert (await response(reader))[0] == 200


async def test_serve_runs_uvicorn_with_the_same_options(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    import uvicorn

    from colletta import cli

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    for name in Settings.model_fields:
        monkeypatch.delenv(f"COLLETTA_{name.upper()}", raising=False)
    monkeypatch.setenv("COLLETTA_MAX_CONNECTIONS", "100")
    monkeypatch.setenv("COLLETTA_HTTP_MAX_HEADER_BYTES", "2048")
    cli.serve(config=None, host=None, port=None, data_dir=None, database_url=None,
              bus_url=None, workers=None)  # fmt: skip
    [kwargs] = calls
    expected = uvicorn_options(Settings(max_connections=100, http_max_header_bytes=2048))
    assert kwargs["http"].keywords == expected["http"].keywords
    assert kwargs["http"].keywords["limits"].max_header_bytes == 2048
    assert {k: v for k, v in kwargs.items() if k not in ("http", "factory", "workers")} == {
        k: v for k, v in expected.items() if k != "http"
    }
