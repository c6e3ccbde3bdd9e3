"""The per-chat event log: the truth that live delivery and resume are served from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, select, update

from colletta.domain.events import frame
from colletta.store.chats import bump_seq
from colletta.store.db import Conn, Prepared
from colletta.store.schema import chat_events, messages

_INSERT = Prepared(insert(chat_events))


async def append_event(
    conn: Conn,
    chat_id: int,
    type_: str,
    now_ms: int,
    data: dict[str, Any],
    *,
    message_id: int | None = None,
    seq: int | None = None,
) -> tuple[int, bytes]:
    """Log the event at `seq`, or at the chat's next seq; returns (seq, serialized frame)."""
    if seq is None:
        seq = await bump_seq(conn, chat_id, now_ms)
    payload = orjson.dumps(frame(type_, chat_id, seq, now_ms, data))
    await conn.execute(
        _INSERT,
        {
            "chat_id": chat_id,
            "seq": seq,
            "type": type_,
            "message_id": message_id,
            "payload": payload.decode(),
            "created_at_ms": now_ms,
        },
    )
    return seq, payload


_AFTER = Prepared(
    select(
        chat_events.c.seq,
        chat_events.c.type,
        chat_events.c.payload,
        messages.c.sender_id,
        messages.c.expires_at_ms,
        messages.c.expires_after_read_s,
        messages.c.read_expires_at_ms,
    )
    .select_from(chat_events.outerjoin(messages, messages.c.id == chat_events.c.message_id))
    .where(chat_events.c.chat_id == bindparam("b_chat_id"), chat_events.c.seq > bindparam("b_seq"))
    .order_by(chat_events.c.seq)
    .limit(bindparam("b_limit"))
)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event from the log, with the timers of the message it is about (if any), so
    that replay can hide content that has expired for its reader."""

    seq: int
    type: str
    payload: bytes
    sender_id: int | None
    expires_at_ms: int | None
    expires_after_read_s: int | None
    read_expires_at_ms: int | None


async def get_events(conn: Conn, chat_id: int, after_seq: int, limit: int) -> list[LoggedEvent]:
    rows = await conn.execute(_AFTER, {"b_chat_id": chat_id, "b_seq": after_seq, "b_limit": limit})
    return [
        LoggedEvent(
            row.seq,
            row.type,
            row.payload.encode(),
            row.sender_id,
            row.expires_at_ms,
            row.expires_after_read_s,
            row.read_expires_at_ms,
        )
        for row in rows
    ]


async def redact_message_events(
    conn: Conn, chat_id: int, message_id: int, message_view: dict[str, Any]
) -> None:
    """Rewrite every logged event that carried the message so it holds only `message_view`."""
    rows = await conn.execute(
        select(chat_events.c.seq, chat_events.c.payload).where(
            chat_events.c.chat_id == chat_id, chat_events.c.message_id == message_id
        )
    )
    for row in list(rows):
        payload = orjson.loads(row.payload)
        if "message" not in payload:
            continue
        payload["message"] = message_view
        await conn.execute(
            update(chat_events)
            .where(chat_events.c.chat_id == chat_id, chat_events.c.seq == row.seq)
            .values(payload=orjson.dumps(payload).decode())
        )
