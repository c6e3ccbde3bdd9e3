"""Messages, their edit history, reactions and pins."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import bindparam, delete, func, insert, select, update

from colletta.domain.messages import Message
from colletta.store.db import Conn, Prepared
from colletta.store.schema import message_edits, messages, pins, reactions

_COLUMNS = (
    messages.c.id,
    messages.c.chat_id,
    messages.c.seq,
    messages.c.sender_id,
    messages.c.author_signature,
    messages.c.text,
    messages.c.entities,
    messages.c.reply_to_id,
    messages.c.forward_chat_id,
    messages.c.forward_message_id,
    messages.c.forward_sender_id,
    messages.c.reactions,
    messages.c.edited_at_ms,
    messages.c.deleted_at_ms,
    messages.c.created_at_ms,
    messages.c.attachments,
    messages.c.expires_at_ms,
    messages.c.expires_after_read_s,
    messages.c.read_expires_at_ms,
    messages.c.view_once,
)


def _message(row: Any) -> Message:
    forward = None
    if row.forward_message_id is not None:
        forward = {
            "chat_id": str(row.forward_chat_id),
            "message_id": str(row.forward_message_id),
            "sender_id": (
                str(row.forward_sender_id) if row.forward_sender_id is not None else None
            ),
        }
    return Message(
        id=row.id,
        chat_id=row.chat_id,
        seq=row.seq,
        sender_id=row.sender_id,
        author_signature=row.author_signature,
        text=row.text,
        entities=orjson.loads(row.entities),
        reply_to_id=row.reply_to_id,
        forward=forward,
        reactions=orjson.loads(row.reactions),
        edited_at_ms=row.edited_at_ms,
        deleted=row.deleted_at_ms is not None,
        created_at_ms=row.created_at_ms,
        attachments=orjson.loads(row.attachments),
        expires_at_ms=row.expires_at_ms,
        expires_after_read_s=row.expires_after_read_s,
        read_expires_at_ms=row.read_expires_at_ms,
        view_once=bool(row.view_once),
    )


_INSERT = Prepared(insert(messages))


async def insert_message(conn: Conn, message: Message, client_txn_id: str | None) -> None:
    forward = message.forward or {}
    forward_ids = {key: int(value) if value else None for key, value in forward.items()}
    await conn.execute(
        _INSERT,
        {
            "id": message.id,
            "chat_id": message.chat_id,
            "seq": message.seq,
            "sender_id": message.sender_id,
            "author_signature": message.author_signature,
            "text": message.text,
            "entities": orjson.dumps(message.entities).decode(),
            "reply_to_id": message.reply_to_id,
            "forward_chat_id": forward_ids.get("chat_id"),
            "forward_message_id": forward_ids.get("message_id"),
            "forward_sender_id": forward_ids.get("sender_id"),
            "reactions": "{}",
            "client_txn_id": client_txn_id,
            "edited_at_ms": None,
            "deleted_at_ms": None,
            "created_at_ms": message.created_at_ms,
            "attachments": orjson.dumps(message.attachments).decode(),
            "expires_at_ms": message.expires_at_ms,
            "expires_after_read_s": message.expires_after_read_s,
            "read_expires_at_ms": None,
            "view_once": message.view_once,
        },
    )


async def get_message(conn: Conn, chat_id: int, message_id: int) -> Message | None:
    row = (
        await conn.execute(
            select(*_COLUMNS).where(messages.c.chat_id == chat_id, messages.c.id == message_id)
        )
    ).first()
    return _message(row) if row else None


async def find_message(conn: Conn, message_id: int) -> Message | None:
    """A message by its id alone, whatever its chat (removal orders name messages so)."""
    row = (await conn.execute(select(*_COLUMNS).where(messages.c.id == message_id))).first()
    return _message(row) if row else None


_BY_TXN = Prepared(
    select(*_COLUMNS).where(
        messages.c.chat_id == bindparam("b_chat_id"),
        messages.c.sender_id == bindparam("b_sender_id"),
        messages.c.client_txn_id == bindparam("b_txn"),
    )
)


async def get_message_by_txn(
    conn: Conn, chat_id: int, sender_id: int, client_txn_id: str
) -> Message | None:
    params = {"b_chat_id": chat_id, "b_sender_id": sender_id, "b_txn": client_txn_id}
    row = (await conn.execute(_BY_TXN, params)).first()
    return _message(row) if row else None


async def get_messages_by_ids(
    conn: Conn, chat_ids: list[int], message_ids: list[int]
) -> dict[int, Message]:
    if not message_ids:
        return {}
    rows = await conn.execute(
        select(*_COLUMNS).where(messages.c.chat_id.in_(chat_ids), messages.c.id.in_(message_ids))
    )
    return {row.id: _message(row) for row in rows}


_IN_CHAT = select(*_COLUMNS).where(messages.c.chat_id == bindparam("b_chat_id"))
_PAGE_AFTER = Prepared(
    _IN_CHAT.where(messages.c.seq > bindparam("b_seq"))
    .order_by(messages.c.seq)
    .limit(bindparam("b_limit"))
)
_PAGE_BEFORE = Prepared(
    _IN_CHAT.where(messages.c.seq < bindparam("b_seq"))
    .order_by(messages.c.seq.desc())
    .limit(bindparam("b_limit"))
)
_PAGE_NEWEST = Prepared(_IN_CHAT.order_by(messages.c.seq.desc()).limit(bindparam("b_limit")))


async def get_history(
    conn: Conn,
    chat_id: int,
    *,
    before_seq: int | None = None,
    after_seq: int | None = None,
    limit: int,
) -> list[Message]:
    """A page of messages, oldest first; backwards from `before_seq` unless `after_seq` is set."""
    params = {"b_chat_id": chat_id, "b_limit": limit}
    if after_seq is not None:
        rows = await conn.execute(_PAGE_AFTER, {**params, "b_seq": after_seq})
        return [_message(row) for row in rows]
    if before_seq is not None:
        rows = await conn.execute(_PAGE_BEFORE, {**params, "b_seq": before_seq})
    else:
        rows = await conn.execute(_PAGE_NEWEST, params)
    return [_message(row) for row in reversed(list(rows))]


async def update_message(conn: Conn, message_id: int, **values: Any) -> None:
    await conn.execute(update(messages).where(messages.c.id == message_id).values(**values))


async def insert_edit(
    conn: Conn,
    *,
    edit_id: int,
    chat_id: int,
    message_id: int,
    text: str | None,
    now_ms: int,
) -> None:
    await conn.execute(
        insert(message_edits).values(
            id=edit_id, chat_id=chat_id, message_id=message_id, text=text, edited_at_ms=now_ms
        )
    )


async def get_edits(conn: Conn, message_id: int) -> list[Any]:
    rows = await conn.execute(
        select(message_edits.c.text, message_edits.c.edited_at_ms)
        .where(message_edits.c.message_id == message_id)
        .order_by(message_edits.c.edited_at_ms, message_edits.c.id)
    )
    return list(rows)


async def delete_edits(conn: Conn, message_id: int) -> None:
    await conn.execute(delete(message_edits).where(message_edits.c.message_id == message_id))


async def set_reaction(
    conn: Conn, chat_id: int, message_id: int, user_id: int, emoji: str, on: bool
) -> dict[str, int] | None:
    """Add or remove one reaction; the new counts, or None if nothing changed."""
    exists = await conn.scalar(
        select(func.count())
        .select_from(reactions)
        .where(
            reactions.c.message_id == message_id,
            reactions.c.user_id == user_id,
            reactions.c.emoji == emoji,
        )
    )
    if bool(exists) == on:
        return None
    if on:
        await conn.execute(
            insert(reactions).values(
                chat_id=chat_id, message_id=message_id, user_id=user_id, emoji=emoji
            )
        )
    else:
        await conn.execute(
            delete(reactions).where(
                reactions.c.message_id == message_id,
                reactions.c.user_id == user_id,
                reactions.c.emoji == emoji,
            )
        )
    rows = await conn.execute(
        select(reactions.c.emoji, func.count().label("n"))
        .where(reactions.c.message_id == message_id)
        .group_by(reactions.c.emoji)
    )
    counts = {row.emoji: row.n for row in rows}
    await update_message(conn, message_id, reactions=orjson.dumps(counts).decode())
    return counts


async def delete_reactions(conn: Conn, message_id: int) -> None:
    await conn.execute(delete(reactions).where(reactions.c.message_id == message_id))


async def set_pin(
    conn: Conn, chat_id: int, message_id: int, user_id: int, on: bool, now_ms: int
) -> bool:
    """Pin or unpin; False if it already was so."""
    exists = await conn.scalar(
        select(func.count())
        .select_from(pins)
        .where(pins.c.chat_id == chat_id, pins.c.message_id == message_id)
    )
    if bool(exists) == on:
        return False
    if on:
        await conn.execute(
            insert(pins).values(
                chat_id=chat_id, message_id=message_id, pinned_by=user_id, pinned_at_ms=now_ms
            )
        )
    else:
        await conn.execute(
            delete(pins).where(pins.c.chat_id == chat_id, pins.c.message_id == message_id)
        )
    return True


async def get_pinned(conn: Conn, chat_id: int) -> list[Message]:
    rows = await conn.execute(
        select(*_COLUMNS)
        .select_from(pins.join(messages, messages.c.id == pins.c.message_id))
        .where(pins.c.chat_id == chat_id)
        .order_by(pins.c.pinned_at_ms.desc())
    )
    return [_message(row) for row in rows]


async def mark_read_expiry(
    conn: Conn, chat_id: int, message_id: int, expires_at_ms: int, *, only_if_unset: bool
) -> bool:
    """Set when the reader's copy expires; with `only_if_unset`, False if it already was."""
    query = update(messages).where(messages.c.chat_id == chat_id, messages.c.id == message_id)
    if only_if_unset:
        query = query.where(messages.c.read_expires_at_ms.is_(None))
    result = await conn.execute(query.values(read_expires_at_ms=expires_at_ms))
    return bool(result.rowcount)


async def get_read_timers_started(
    conn: Conn, chat_id: int, reader_id: int, after_seq: int, upto_seq: int
) -> list[Message]:
    """Self-destructing messages of others that a read marker moving over (after, upto]
    starts the reader's timer for."""
    rows = await conn.execute(
        select(*_COLUMNS).where(
            messages.c.chat_id == chat_id,
            messages.c.seq > after_seq,
            messages.c.seq <= upto_seq,
            messages.c.sender_id != reader_id,
            messages.c.expires_after_read_s.is_not(None),
            messages.c.read_expires_at_ms.is_(None),
            messages.c.deleted_at_ms.is_(None),
        )
    )
    return [_message(row) for row in rows]
