"""Fixtures for the SDK tests: a tiny real-socket fake of the Colletta WebSocket (events.md),
and the CLI as a user runs it (`Cli`, in a `config_dir` of the test's own).

The tests against the real server use `server_url` and `make_user` from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import typer
from colletta_sdk import Client, cli
from typer.testing import CliRunner
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from colletta.actions.provider_events import on_provider_event
from colletta.payments.provider import (
    PaymentRequest,
    ProviderEventKind,
    Providers,
    StartedPayment,
)
from tests.conftest import Server as AppServer
from tests.pots.test_pots_api import Double

TOKEN = "good-token-123"

SendHandler = Callable[[ServerConnection, dict[str, Any]], Awaitable[None]]


class FakeServer:
    """Per-chat event logs, served live over a WebSocket and replayed on resume.

    It follows docs/events.md: auth frame first, `ready`, then per chat the events after
    the client's cursor (or `resync_required` / `chat.removed`), then live events. Publishing
    and replaying share a lock, so every event reaches a connection exactly once unless a
    test asks otherwise.
    """

    def __init__(self) -> None:
        self.logs: dict[str, list[dict[str, Any]]] = {}
        self.auths: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sync_requests: list[str] = []
        self.force_resync: set[str] = set()
        self.refuse_handshakes = 0  # answer this many WS handshakes with 503
        self.on_send: SendHandler = self.answer_sent
        self.live: set[ServerConnection] = set()
        self._lock = asyncio.Lock()
        self._server: Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await serve(
            self._handler, "127.0.0.1", 0, process_request=self._http, ping_interval=None
        )
        self.port = next(iter(self._server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    # The log

    def create_chat(self, chat_id: str) -> None:
        self.logs.setdefault(chat_id, [])

    def append(
        self, chat_id: str, type_: str = "message.created", text: str | None = None, **data: Any
    ) -> dict[str, Any]:
        """Store an event without delivering it (as if the live bus dropped it)."""
        log = self.logs.setdefault(chat_id, [])
        seq = len(log) + 1
        if type_ == "message.created" and "message" not in data:
            data["message"] = message_json(chat_id, seq, text or f"m{seq}")
        frame = {"type": type_, "chat_id": chat_id, "seq": seq, "at_ms": 1000 + seq, **data}
        log.append(frame)
        return frame

    async def publish(
        self, chat_id: str, type_: str = "message.created", text: str | None = None, **data: Any
    ) -> int:
        """Store an event and deliver it live; returns its seq."""
        async with self._lock:
            frame = self.append(chat_id, type_, text, **data)
            await self._broadcast(frame)
        return int(frame["seq"])

    async def broadcast(self, frame: dict[str, Any]) -> None:
        """Deliver any frame as is (duplicates, ephemeral events)."""
        async with self._lock:
            await self._broadcast(frame)

    async def _broadcast(self, frame: dict[str, Any]) -> None:
        for ws in list(self.live):
            try:
                await ws.send(json.dumps(frame))
            except ConnectionClosed:
                self.live.discard(ws)

    async def close_all(self, code: int, reason: str = "") -> None:
        async with self._lock:
            conns, self.live = list(self.live), set()
        for ws in conns:
            await ws.close(code, reason)

    async def abort_all(self) -> None:
        """Drop every connection without a closing handshake (a network failure)."""
        async with self._lock:
            conns, self.live = list(self.live), set()
        for ws in conns:
            ws.transport.abort()

    async def answer_sent(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        """Store the message, broadcast it, answer `sent` (the default send handler)."""
        chat_id = str(frame["chat_id"])
        async with self._lock:
            stored = self.append(chat_id, text=str(frame["text"]))
            await self._broadcast(stored)
        await ws.send(
            json.dumps(
                {
                    "type": "sent",
                    "client_txn_id": frame["client_txn_id"],
                    "message": stored["message"],
                }
            )
        )

    # The WebSocket

    async def _handler(self, ws: ServerConnection) -> None:
        try:
            auth = json.loads(await ws.recv())
        except ConnectionClosed:
            return
        if auth.get("type") != "auth" or auth.get("token") != TOKEN:
            await ws.close(4401, "unauthenticated")
            return
        async with self._lock:
            await self.auths.put(auth)
            chats = [{"chat_id": c, "last_seq": len(log)} for c, log in self.logs.items()]
            await ws.send(json.dumps({"type": "ready", "user_id": "42", "chats": chats}))
            self.live.add(ws)
            for chat_id, cursor in auth.get("cursors", {}).items():
                log = self.logs.get(chat_id)
                if log is None:
                    await ws.send(json.dumps({"type": "chat.removed", "chat_id": chat_id}))
                elif chat_id in self.force_resync or cursor > len(log):
                    frame = {"type": "resync_required", "chat_id": chat_id, "last_seq": len(log)}
                    await ws.send(json.dumps(frame))
                else:
                    for event in log[cursor:]:
                        await ws.send(json.dumps(event))
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif frame.get("type") == "send":
                    await self.frames.put(frame)
                    await self.on_send(ws, frame)
                else:
                    await self.frames.put(frame)
        except ConnectionClosed:
            pass
        finally:
            self.live.discard(ws)

    # Plain HTTP on the same port: GET /api/v1/sync

    def _http(self, conn: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path == "/api/v1/ws":
            if self.refuse_handshakes > 0:
                self.refuse_handshakes -= 1
                return conn.respond(HTTPStatus.SERVICE_UNAVAILABLE, "restarting\n")
            return None
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(conn, 401, problem("unauthenticated", 401))
        if url.path != "/api/v1/sync":
            return _json(conn, 404, problem("not_found", 404))
        raw = parse_qs(url.query).get("cursors", [""])[0]
        self.sync_requests.append(raw)
        limit = int(parse_qs(url.query).get("limit", ["500"])[0])
        events: list[dict[str, Any]] = []
        resync: list[dict[str, Any]] = []
        has_more = False
        for part in filter(None, raw.split(",")):
            chat_id, _, seq = part.partition(":")
            log = self.logs.get(chat_id, [])
            if chat_id in self.force_resync or int(seq) > len(log):
                resync.append({"chat_id": chat_id, "last_seq": len(log)})
                continue
            after = log[int(seq) :]
            has_more = has_more or len(after) > limit
            events.extend(after[:limit])
        body = {"events": events, "resync_required": resync, "has_more": has_more}
        return _json(conn, 200, body)


def _json(conn: ServerConnection, status: int, body: dict[str, Any]) -> Response:
    response = conn.respond(status, "")
    response.body = json.dumps(body).encode()
    content_type = "application/problem+json" if status >= 400 else "application/json"
    del response.headers["Content-Type"]
    del response.headers["Content-Length"]
    response.headers["Content-Type"] = content_type
    response.headers["Content-Length"] = str(len(response.body))
    return response


def problem(slug: str, status: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"https://colletta.chat/problems/{slug}",
        "title": slug.replace("_", " ").capitalize(),
        "status": status,
        "detail": f"{slug} detail",
        **extra,
    }


def message_json(chat_id: str, seq: int, text: str) -> dict[str, Any]:
    return {
        "id": f"{chat_id}-{seq}-{text}",
        "chat_id": chat_id,
        "seq": seq,
        "sender_id": "7",
        "author_signature": None,
        "text": text,
        "reply_to_id": None,
        "forward": None,
        "reactions": {},
        "edited_at_ms": None,
        "deleted": False,
        "created_at_ms": 1_700_000_000_000 + seq,
    }


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeServer]:
    server = FakeServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class Cli:
    """The CLI as a user runs it, logged in as one SDK client's session."""

    def __init__(self, client: Client, server_url: str) -> None:
        assert client.token is not None
        self.token = client.token
        self.server_url = server_url
        self.app = typer.Typer()

        @self.app.command("version")
        def version() -> None:
            """Stand-in for the server's commands."""

        cli.register(self.app)

    async def __call__(self, *args: str, code: int = 0) -> str:
        # Logged in as this user for this command (several users take turns).
        cli.save_config({"server": self.server_url, "token": self.token})
        # A thread, because the CLI runs its own event loop.
        result = await asyncio.to_thread(CliRunner().invoke, self.app, list(args))
        assert result.exit_code == code, result.output
        assert self.token not in result.output
        return str(result.output)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(directory))
    monkeypatch.delenv("COLLETTA_SERVER", raising=False)
    monkeypatch.delenv("COLLETTA_TOKEN", raising=False)
    return directory


class _Double(Double):
    def __init__(self) -> None:
        super().__init__()
        self.payment_started = asyncio.Event()

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        started = await super().start_payment(request)
        self.payment_started.set()
        return started


class Payments:
    """The server's payment provider for pot tests: a deterministic double, with the
    provider's confirmations delivered straight to `on_provider_event` (no webhook).

    Interim: the sandbox provider replaces the double once its branch lands.
    """

    def __init__(self, server: AppServer) -> None:
        self.double = _Double()
        self.ctx = server.app.state.ctx
        self.ctx.providers = Providers([self.double], self.double.name)

    def started(self) -> list[str]:
        """Ids of the contributions whose payment was started, oldest first."""
        return [key.split(":", 1)[1] for key in self.double.started]

    async def first_started(self, timeout_s: float = 20) -> str:
        """The first contribution whose payment starts (a CLI in another thread, say)."""
        async with asyncio.timeout(timeout_s):
            await self.double.payment_started.wait()
        return self.started()[0]

    async def confirm(self, contribution_id: str, *, succeeded: bool = True) -> None:
        kind = (
            ProviderEventKind.PAYMENT_SUCCEEDED if succeeded else ProviderEventKind.PAYMENT_FAILED
        )
        await on_provider_event(self.ctx, self.double.event({"id": contribution_id}, kind))


@pytest.fixture
def payments(server: AppServer) -> Payments:
    return Payments(server)
