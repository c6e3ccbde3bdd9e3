"""The WebSocket: authenticate by first frame, then live events with resume (docs/events.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from colletta import errors
from colletta.actions.accounts import access_caller
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.live import (
    CURSORS_MAX,
    LiveSession,
    SessionRevoked,
    SlowConsumer,
    parse_cursors,
)
from colletta.actions.members import do_typing
from colletta.api.cookies import cookie_token, same_origin
from colletta.api.errors import (
    CLOSE_BAD_FRAME,
    CLOSE_SLOW,
    CLOSE_TOO_MANY,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHENTICATED,
    invalid_input,
    log_outage,
    problem_body,
)
from colletta.api.messages import send_from_input
from colletta.api.models import MAX_ID, MessageIn
from colletta.domain.messages import (
    ATTACHMENTS_MAX,
    CLIENT_TXN_ID_MAX_CHARS,
    SELF_DESTRUCT_MAX_S,
    TEXT_MAX_CHARS,
)
from colletta.log import get_logger

log = get_logger(__name__)
router = APIRouter()
CLOSE_TIMEOUT_S = 5.0
_TOKEN_MAX_CHARS = 512


def largest_valid_frame_chars() -> int:
    """The longest frame a valid client may send: a `send` at every limit, or an `auth` with
    every cursor, from an encoder that escapes all non-ASCII (12 characters per emoji) and
    indents."""
    top = str(MAX_ID)
    emoji = "\U0001f600"
    send = {
        "type": "send",
        "chat_id": top,
        "text": emoji * TEXT_MAX_CHARS,
        "client_txn_id": emoji * CLIENT_TXN_ID_MAX_CHARS,
        "reply_to_id": top,
        "forward": {"chat_id": top, "message_id": top},
        "attachments": [top] * ATTACHMENTS_MAX,
        "self_destruct_s": SELF_DESTRUCT_MAX_S,
        "view_once": False,
    }
    auth = {
        "type": "auth",
        "token": "t" * _TOKEN_MAX_CHARS,
        "include_blocked": False,
        "cursors": {str(MAX_ID - i): MAX_ID for i in range(CURSORS_MAX)},
    }
    return max(len(json.dumps(frame, indent=2, ensure_ascii=True)) for frame in (send, auth))


# Frames up to this long are parsed; a longer one that parses is answered with an error frame.
MAX_FRAME_CHARS = largest_valid_frame_chars()
# What the transport accepts at all (bytes); a longer frame is closed with 1009.
MAX_FRAME_BYTES = 2 * MAX_FRAME_CHARS


class BadFrame(Exception):
    pass


def _parse(raw: str) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadFrame from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise BadFrame
    return data


def _chat_id(data: dict[str, Any]) -> int:
    raw = data.get("chat_id")
    if not isinstance(raw, str | int) or not str(raw).isdigit() or not 0 < int(raw) <= MAX_ID:
        raise errors.InvalidInput("chat_id must be a chat id", field="chat_id")
    return int(raw)


async def _receive(websocket: WebSocket) -> str:
    """The next frame as text; clients may send JSON in text or binary frames."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is not None:
        return str(message["text"])
    try:
        return bytes(message.get("bytes") or b"").decode()
    except UnicodeDecodeError:
        raise BadFrame from None


async def _authenticate(ctx: Context, websocket: WebSocket) -> tuple[Caller, dict[int, int], bool]:
    raw = await asyncio.wait_for(_receive(websocket), ctx.settings.ws_auth_timeout_s)
    if len(raw) > MAX_FRAME_CHARS:
        raise BadFrame
    data = _parse(raw)
    token = data.get("token")
    if data["type"] != "auth" or not isinstance(token, str | None):
        raise errors.Unauthenticated("the first frame must be {type: auth, token}")
    if token is None:
        # The web client: its session cookie came with the handshake, from this origin only.
        if not same_origin(websocket.headers.get("origin"), websocket.headers.get("host")):
            raise errors.Unauthenticated("the first frame must be {type: auth, token}")
        token = cookie_token(websocket.cookies)
    caller = await access_caller(ctx, token)
    raw_cursors = data.get("cursors") or {}
    include_blocked = data.get("include_blocked", False)
    if not isinstance(raw_cursors, dict) or not isinstance(include_blocked, bool):
        raise BadFrame
    return caller, parse_cursors(raw_cursors), include_blocked


@router.websocket("/api/v1/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    ctx: Context = websocket.app.state.ctx
    await websocket.accept()
    try:
        caller, cursors, include_blocked = await _authenticate(ctx, websocket)
    except (TimeoutError, errors.Unauthenticated):
        await websocket.close(CLOSE_UNAUTHENTICATED)
        return
    except (BadFrame, errors.InvalidInput):
        await websocket.close(CLOSE_BAD_FRAME)
        return
    except errors.Outage as exc:
        log_outage(exc, "websocket auth")
        await websocket.close(CLOSE_TRY_AGAIN)
        return
    except WebSocketDisconnect:
        return
    sockets = ctx.flood.sockets
    if not sockets.acquire(caller.user_id):
        await websocket.close(CLOSE_TOO_MANY)
        return
    try:
        await _serve(
            ctx, websocket, LiveSession(ctx, caller, include_blocked=include_blocked), cursors
        )
    finally:
        sockets.release(caller.user_id)


async def _serve(
    ctx: Context, websocket: WebSocket, session: LiveSession, cursors: dict[int, int]
) -> None:
    caller = session.caller
    send_lock = asyncio.Lock()

    async def send(data: bytes) -> None:
        async with send_lock:
            await websocket.send_text(data.decode())

    close_code: int | None = None
    try:
        try:
            ready = await session.open(cursors)
        except errors.Outage as exc:
            log_outage(exc, "websocket open")
            close_code = CLOSE_TRY_AGAIN
            return
        await send(ready)
        writer = asyncio.create_task(_write(session, send))
        reader = asyncio.create_task(_read(ctx, caller, websocket, send))
        # A writer blocked on a full socket cannot notice the overflow itself.
        slow = asyncio.create_task(session.connection.overflowed.wait())
        done, pending = await asyncio.wait(
            {writer, reader, slow}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if slow in done:
            close_code = CLOSE_SLOW
        else:
            close_code = next(
                (t.result() for t in done if not t.cancelled() and t.exception() is None), None
            )
    finally:
        # Leave the hub first: a stalled peer's socket may never take the close frame.
        await session.close()
        if close_code is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(close_code), CLOSE_TIMEOUT_S)


async def _write(session: LiveSession, send: Any) -> int | None:
    try:
        async for data in session.frames():
            await send(data)
    except SlowConsumer:
        return CLOSE_SLOW
    except SessionRevoked:
        return CLOSE_UNAUTHENTICATED
    except errors.Outage as exc:
        log_outage(exc, "websocket replay")
        return CLOSE_TRY_AGAIN
    except (WebSocketDisconnect, RuntimeError):
        return None
    return None


async def _read(ctx: Context, caller: Caller, websocket: WebSocket, send: Any) -> int | None:
    while True:
        try:
            raw = await _receive(websocket)
        except (WebSocketDisconnect, RuntimeError):
            return None
        try:
            data = _parse(raw)
        except BadFrame:
            return CLOSE_BAD_FRAME
        kind = data["type"]
        try:
            if len(raw) > MAX_FRAME_CHARS:
                # Longer than any valid frame, but it parsed: answer it, keep the socket.
                raise errors.TooLarge(f"frames are limited to {MAX_FRAME_CHARS} characters")
            if kind == "ping":
                await send(b'{"type":"pong"}')
            elif kind == "typing":
                await do_typing(ctx, caller, _chat_id(data))
            elif kind == "send":
                await _send_frame(ctx, caller, data, send)
            else:
                raise errors.InvalidInput(f"unknown frame type {kind!r}", field="type")
        except errors.ColettaError as exc:
            log_outage(exc, f"websocket {kind} frame")
            reply = {"type": "error", "problem": problem_body(exc)}
            if isinstance(data.get("client_txn_id"), str):
                reply["client_txn_id"] = data["client_txn_id"]
            await send(orjson.dumps(reply))


async def _send_frame(ctx: Context, caller: Caller, data: dict[str, Any], send: Any) -> None:
    chat_id = _chat_id(data)
    fields = {k: v for k, v in data.items() if k not in ("type", "chat_id")}
    try:
        message_in = MessageIn.model_validate(fields)
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None
    sent = await send_from_input(ctx, caller, chat_id, message_in)
    reply = {"type": "sent", "client_txn_id": message_in.client_txn_id, "message": sent.message}
    await send(orjson.dumps(reply))
