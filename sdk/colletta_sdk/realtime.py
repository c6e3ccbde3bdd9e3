"""Live events over the WebSocket with resume (docs/events.md).

One background task owns the socket: it authenticates with the cursors, de-duplicates by
`seq`, fills gaps from `GET /api/v1/sync` and reconnects with back-off on every drop, so the
consumer of `events()` sees each stored event once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from colletta_sdk.client import Client, new_txn_id
from colletta_sdk.errors import ApiError, AuthError, ProtocolError
from colletta_sdk.models import Event, Media, Message, send_fields

CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_FRAME = 4400
CLOSE_TOO_SLOW = 4408
CLOSE_RESTARTING = 1012
WS_PATH = "/api/v1/ws"


def ws_url(base_url: str) -> str:
    """`http(s)://host[/prefix]` → `ws(s)://host[/prefix]/api/v1/ws`."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"unsupported URL scheme: {parts.scheme!r}")
    return urlunsplit((scheme, parts.netloc, parts.path + WS_PATH, "", ""))


def backoff_delays(
    initial_s: float = 0.5, max_s: float = 30.0, rng: random.Random | None = None
) -> Iterator[float]:
    """Exponential, capped, 'equal jitter' delays: each in [d/2, d], d doubling to `max_s`."""
    rand = rng or random.Random()
    ceiling = initial_s
    while True:
        yield ceiling / 2 + rand.random() * ceiling / 2
        ceiling = min(max_s, ceiling * 2)


class _Reconnect(Exception):
    """Internal: give up this connection and resume from the cursors."""


@dataclass(frozen=True, slots=True)
class _SetCursor:
    """Queue marker: a chat the server announced in `ready` starts at its `last_seq`."""

    chat_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class _Stop:
    error: BaseException | None


_Item = Event | _SetCursor | _Stop


class RealtimeClient:
    """Live events of every chat of the user; iterate `events()` from one task.

    `cursors` maps chat id to the last seq the caller has applied. `rt.cursors` is what the
    caller has been given so far, so persisting it and passing it back later resumes exactly.
    Keep consuming `events()`: once `queue_size` events wait unread, reading (and so `send`'s
    answers) pauses until the consumer catches up.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        cursors: Mapping[str, int] | None = None,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
        initial_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        queue_size: int = 1000,
        open_timeout_s: float = 10.0,
        include_blocked: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Messages of users this user blocked come as placeholders (`from_blocked`) unless so.
        self._include_blocked = include_blocked
        self._url = ws_url(self.base_url)
        self._token = token
        self._http_transport = http_transport
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self._open_timeout_s = open_timeout_s
        # What has been yielded to the caller.
        self._cursors: dict[str, int] = {str(k): int(v) for k, v in (cursors or {}).items()}
        # What the pump has accepted; ahead of _cursors by the queue's content, and what a
        # reconnect resumes from, because the queue survives reconnects.
        self._received: dict[str, int] = dict(self._cursors)
        # A bounded queue: a slow consumer stalls the socket, the server closes it with
        # 4408 and we resume, instead of buffering without limit here.
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=queue_size)
        self._pending: dict[str, tuple[dict[str, Any], asyncio.Future[Message]]] = {}
        self._ws: ClientConnection | None = None
        self._ready = False
        self._task: asyncio.Task[None] | None = None
        self._http: Client | None = None
        self._closed = False
        self._finished = False
        self._error: BaseException | None = None
        self._authenticated = False  # in the current connection
        self.user_id: str | None = None  # from the server's `ready`
        self.connections = 0  # successful authentications, for diagnostics and tests

    def __repr__(self) -> str:
        return f"RealtimeClient({self.base_url!r})"

    @property
    def cursors(self) -> dict[str, int]:
        """A copy of chat id → last seq yielded by `events()`."""
        return dict(self._cursors)

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Start connecting in the background (events() and send() do it on demand)."""
        if self._closed:
            raise RuntimeError("RealtimeClient is closed")
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def events(self) -> AsyncGenerator[Event, None]:
        """Every event, exactly once and in order per chat, across reconnects."""
        if not self._closed:
            self.start()
        while True:
            if self._finished and self._queue.empty():
                return
            item = await self._queue.get()
            if isinstance(item, _Stop):
                self._finished = True
                if item.error is not None:
                    raise item.error
                return
            if isinstance(item, _SetCursor):
                self._cursors.setdefault(item.chat_id, item.seq)
                continue
            _advance(self._cursors, item)
            yield item

    async def send(
        self,
        chat_id: str,
        text: str | None = None,
        client_txn_id: str | None = None,
        *,
        reply_to_id: str | None = None,
        attachments: Sequence[str | Media] | None = None,
        self_destruct_s: int | None = None,
        view_once: bool = False,
    ) -> Message:
        """Send over the socket; waits for `sent`, re-sending (same txn id) after a drop.

        Attachments and timers work as in `Client.send_message` (upload files over HTTP).
        """
        self.start()
        if self._error is not None:
            raise self._error
        txn = client_txn_id or new_txn_id()
        frame: dict[str, Any] = {
            "type": "send",
            "chat_id": chat_id,
            "client_txn_id": txn,
            **send_fields(text, reply_to_id, attachments, self_destruct_s, view_once),
        }
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[txn] = (frame, future)
        # No await between registering and this check: either we send now, or the pump
        # sends it from _pending right after its next `ready`; never both, never neither.
        ws = self._ws if self._ready else None
        try:
            if ws is not None:
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(json.dumps(frame))
            return await future
        finally:
            self._pending.pop(txn, None)

    async def typing(self, chat_id: str) -> None:
        """Tell the chat we are typing; dropped silently while disconnected (ephemeral)."""
        self.start()
        ws = self._ws if self._ready else None
        if ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps({"type": "typing", "chat_id": chat_id}))

    async def close(self) -> None:
        """Disconnect for good; a running `events()` loop ends."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._http is not None:
            await self._http.aclose()
        self._fail_pending(ConnectionError("RealtimeClient closed"))
        # Undelivered events are dropped: the caller asked to stop, and `cursors` only
        # counts what was yielded, so a later resume gets them again.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_Stop(None))

    # The pump

    async def _run(self) -> None:
        delays = self._new_delays()
        try:
            while True:
                try:
                    ws = await connect(
                        self._url,
                        open_timeout=self._open_timeout_s,
                        close_timeout=2,
                        max_queue=64,
                    )
                except InvalidURI:
                    raise
                except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed):
                    await asyncio.sleep(next(delays))
                    continue
                self._ws = ws
                try:
                    await self._session(ws)
                except ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd is not None else None
                    if code == CLOSE_UNAUTHENTICATED:
                        raise AuthError("the server refused the token (4401)") from None
                    if code == CLOSE_BAD_FRAME:
                        raise ProtocolError("the server could not parse a frame (4400)") from None
                except (_Reconnect, OSError, TimeoutError, httpx.TransportError):
                    pass
                finally:
                    self._ready = False
                    self._ws = None
                    await ws.close()
                if self._authenticated:
                    delays = self._new_delays()  # a good connection resets the back-off
                await asyncio.sleep(next(delays))
        except Exception as exc:  # handed to the consumer of events() and to send()
            self._error = exc
            self._fail_pending(exc)
            await self._queue.put(_Stop(exc))

    def _new_delays(self) -> Iterator[float]:
        return backoff_delays(self._initial_backoff_s, self._max_backoff_s)

    async def _session(self, ws: ClientConnection) -> None:
        self._authenticated = False
        auth: dict[str, Any] = {
            "type": "auth",
            "token": self._token,
            "cursors": dict(self._received),
        }
        if self._include_blocked:
            auth["include_blocked"] = True
        await ws.send(json.dumps(auth))
        ready = _decode(await ws.recv())
        if ready.get("type") != "ready":
            raise _Reconnect
        try:
            announced = [(str(c["chat_id"]), int(c["last_seq"])) for c in ready.get("chats") or []]
        except (KeyError, TypeError, ValueError):
            raise ProtocolError("malformed 'ready' frame") from None
        for chat_id, last_seq in announced:
            if chat_id not in self._received:
                self._received[chat_id] = last_seq
                await self._queue.put(_SetCursor(chat_id, last_seq))
        self._authenticated = True
        self.user_id = None if ready.get("user_id") is None else str(ready["user_id"])
        self.connections += 1
        # Flag first, snapshot second, with no await between: see send().
        self._ready = True
        for frame, future in list(self._pending.values()):
            if not future.done():
                await ws.send(json.dumps(frame))
        while True:
            await self._handle(_decode(await ws.recv()))

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind in {"sent", "error"}:
            self._settle(frame)
            return
        if kind == "pong" or "chat_id" not in frame:
            return
        try:
            event = Event.from_json(frame)
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"malformed {kind!r} frame") from None
        if event.seq is None:
            await self._accept(event)
            return
        cursor = self._received.get(event.chat_id)
        if cursor is None or event.seq == cursor + 1:
            await self._accept(event)
        elif event.seq > cursor + 1:
            await self._fill_gap(event.chat_id, cursor, event.seq)
            cursor = self._received.get(event.chat_id)
            if cursor is not None and event.seq == cursor + 1:
                await self._accept(event)
            elif cursor is not None and event.seq > cursor + 1:
                # The log did not have it yet; the replay on reconnect will.
                raise _Reconnect
        # else: seq <= cursor, a duplicate

    async def _fill_gap(self, chat_id: str, cursor: int, until: int) -> None:
        """Fetch events (cursor, until) of one chat from the log, the source of truth."""
        http = self._http_client()
        while cursor < until - 1:
            try:
                result = await http.sync({chat_id: cursor}, include_blocked=self._include_blocked)
            except ApiError as exc:
                if exc.status == 401:
                    raise AuthError("the server refused the token (401)") from None
                raise _Reconnect from None
            for resync in result.resync_required:
                if resync.chat_id == chat_id:
                    await self._accept(
                        Event("resync_required", chat_id, None, {"last_seq": resync.last_seq})
                    )
                    return
            progressed = False
            for event in result.events:
                if event.chat_id != chat_id or event.seq is None:
                    continue
                current = self._received.get(chat_id, cursor)
                if event.seq == current + 1:
                    await self._accept(event)
                    progressed = True
                elif event.seq > current + 1:
                    raise _Reconnect
            cursor = self._received.get(chat_id, cursor)
            if not progressed or not result.has_more:
                return

    async def _accept(self, event: Event) -> None:
        _advance(self._received, event)
        await self._queue.put(event)

    def _settle(self, frame: dict[str, Any]) -> None:
        txn = frame.get("client_txn_id")
        entry = self._pending.get(txn) if isinstance(txn, str) else None
        if entry is None or entry[1].done():
            return
        future = entry[1]
        if frame.get("type") == "sent":
            try:
                future.set_result(Message.from_json(frame["message"]))
            except (KeyError, TypeError, ValueError):
                future.set_exception(ProtocolError("malformed 'sent' frame"))
        else:
            problem = frame.get("problem")
            future.set_exception(
                ApiError.from_problem(problem)
                if isinstance(problem, Mapping)
                else ApiError(0, "about:blank", "send failed")
            )

    def _fail_pending(self, exc: BaseException) -> None:
        for _frame, future in self._pending.values():
            if not future.done():
                future.set_exception(exc)

    def _http_client(self) -> Client:
        if self._http is None:
            self._http = Client(self.base_url, self._token, transport=self._http_transport)
        return self._http


def _advance(cursors: dict[str, int], event: Event) -> None:
    """Apply one event to a cursor map (shared by the pump and the consumer)."""
    if event.seq is not None:
        cursors[event.chat_id] = max(cursors.get(event.chat_id, 0), event.seq)
    elif event.type == "resync_required":
        cursors[event.chat_id] = int(event.data["last_seq"])
    elif event.type == "chat.removed":
        cursors.pop(event.chat_id, None)
    elif event.type == "chat.added":
        chat = event.data.get("chat")
        if isinstance(chat, Mapping) and event.chat_id not in cursors:
            cursors[event.chat_id] = int(chat.get("last_seq") or 0)


def _decode(raw: str | bytes) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except ValueError:
        raise ProtocolError("a frame that is not JSON") from None
    if not isinstance(frame, dict):
        raise ProtocolError("a frame that is not a JSON object")
    return frame
