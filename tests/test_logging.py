"""No log level writes a token, a password or a message body (docs/operations.md)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from colletta.store import users as user_store
from colletta.store.db import Database
from tests.conftest import PG_URL, REDIS_URL, need
from tests.e2e.nodes import free_port
from tests.live_client import Live

STARTUP_S = 60.0


class ServerLog:
    """Everything a `colletta` process writes, read as it comes."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    async def follow(self, process: asyncio.subprocess.Process, until: str | None = None) -> None:
        """Collect lines until one contains `until`, or to the end of the output."""
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if until is not None and until in line:
                return
        assert until is None, "".join(self.lines)

    @property
    def text(self) -> str:
        return "".join(self.lines)


async def _colletta(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "colletta",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@contextlib.asynccontextmanager
async def debug_server(tmp_path: Path, backend: str) -> AsyncIterator[tuple[str, ServerLog]]:
    """`colletta serve` at log_level=debug in its own process; yields its URL and its log,
    complete once the context has exited."""
    port = free_port()
    env = {
        **os.environ,
        "COLLETTA_LOG_LEVEL": "debug",
        "COLLETTA_DATA_DIR": str(tmp_path / "data"),
        "COLLETTA_ARGON2_TIME_COST": "1",
        "COLLETTA_ARGON2_MEMORY_KIB": "64",
    }
    if backend == "postgres":
        env["COLLETTA_DATABASE_URL"] = PG_URL
        env["COLLETTA_BUS_URL"] = REDIS_URL
    log = ServerLog()
    migrate = await _colletta("migrate", env=env)
    await log.follow(migrate)
    assert await migrate.wait() == 0, log.text
    server = await _colletta("serve", "--port", str(port), env=env)
    try:
        async with asyncio.timeout(STARTUP_S):
            await log.follow(server, until="Application startup complete")
        yield f"http://127.0.0.1:{port}", log
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGINT)
        await log.follow(server)
        await server.wait()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_debug_logs_carry_no_token_password_or_message(tmp_path: Path, backend: str) -> None:
    if backend == "postgres":
        need(PG_URL, "COLLETTA_TEST_DATABASE_URL")
        need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    username = f"u{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_hex(8)}"
    markers = [f"marker-{secrets.token_hex(8)}" for _ in range(3)]
    async with (
        debug_server(tmp_path, backend) as (url, log),
        httpx.AsyncClient(base_url=url) as http,
    ):
        creds = {"username": username, "password": password}
        assert (await http.post("/api/v1/auth/register", json=creds)).status_code == 201
        login = await http.post("/api/v1/auth/login", json=creds)
        token = login.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        chat = await http.post(
            "/api/v1/chats", json={"kind": "group", "title": "Logs"}, headers=auth
        )
        messages = f"/api/v1/chats/{chat.json()['id']}/messages"
        live = await Live.open(url.replace("http", "ws") + "/api/v1/ws", token)
        try:
            sent = await http.post(
                messages, json={"text": markers[0], "client_txn_id": "a"}, headers=auth
            )
            assert sent.status_code == 201
            assert (await live.next_of("message.created"))["message"]["text"] == markers[0]
            await live.send(
                {
                    "text": markers[1],  # first, where a shortened frame still shows it
                    "type": "send",
                    "chat_id": chat.json()["id"],
                    "client_txn_id": "b",
                }
            )
            assert (await live.next_of("sent"))["message"]["text"] == markers[1]
        finally:
            await live.close()
        # A body the server refuses is not logged either.
        bad = await http.post(
            messages, content=b'{"text": "' + markers[2].encode() + b'"', headers=auth
        )
        assert bad.status_code == 400  # not JSON: the body cannot be read
        assert (await http.post("/api/v1/auth/logout", headers=auth)).status_code == 204
    written = log.text
    assert " DEBUG " in written  # the server did log at debug
    for secret in (token, password, *markers):
        assert not _fragments(secret, written)


def _fragments(secret: str, text: str, size: int = 10) -> list[str]:
    """Pieces of `secret` found in `text`: loggers shorten long values with an ellipsis."""
    return [
        secret[i : i + size] for i in range(len(secret) - size + 1) if secret[i : i + size] in text
    ]


async def test_database_errors_do_not_carry_the_values(db_url: str) -> None:
    """What an unexpected error would write to the log: the statement, never its values."""
    db = Database(db_url)
    name, secret = f"name-{secrets.token_hex(8)}", f"hash-{secrets.token_hex(8)}"

    async def insert(user_id: int) -> None:
        async with db.write() as tx:
            await user_store.insert_user(
                tx.conn,
                user_id=user_id,
                username=name,
                display_name=name,
                password_hash=secret,
                is_operator=False,
                now_ms=0,
            )

    try:
        await insert(1)
        with pytest.raises(IntegrityError) as caught:
            await insert(2)
    finally:
        await db.dispose()
    text = "".join(traceback.format_exception(caught.value))
    # PostgreSQL's own message names the duplicate key's value; nothing else may appear.
    assert secret not in text
    if db_url.startswith("sqlite"):
        assert name not in text
