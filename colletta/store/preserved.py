"""Preserved items: copies kept for the authorities, never served."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, exists, insert, select, update

from colletta.domain.orders import Preserved, PreservedKind
from colletta.store.db import Conn
from colletta.store.schema import preserved_items


def _preserved(row: Any) -> Preserved:
    return Preserved(
        id=row.id,
        kind=PreservedKind(row.kind),
        chat_id=row.chat_id,
        message_id=row.message_id,
        media_id=row.media_id,
        reason=row.reason,
        order_id=row.order_id,
        case_id=row.case_id,
        preserved_at_ms=row.preserved_at_ms,
        until_ms=row.until_ms,
        data=orjson.loads(row.data),
        file_keys=tuple(orjson.loads(row.file_keys)),
    )


async def insert_preserved(conn: Conn, item: Preserved) -> None:
    await conn.execute(
        insert(preserved_items).values(
            id=item.id,
            kind=item.kind.value,
            chat_id=item.chat_id,
            message_id=item.message_id,
            media_id=item.media_id,
            reason=item.reason,
            order_id=item.order_id,
            case_id=item.case_id,
            preserved_at_ms=item.preserved_at_ms,
            until_ms=item.until_ms,
            data=orjson.dumps(item.data).decode(),
            file_keys=orjson.dumps(list(item.file_keys)).decode(),
        )
    )


async def is_message_held(conn: Conn, chat_id: int, message_id: int) -> bool:
    query = select(
        exists().where(
            preserved_items.c.chat_id == chat_id, preserved_items.c.message_id == message_id
        )
    )
    return bool(await conn.scalar(query))


async def get_message_preservations(conn: Conn, chat_id: int, message_id: int) -> list[Preserved]:
    rows = await conn.execute(
        select(preserved_items).where(
            preserved_items.c.chat_id == chat_id, preserved_items.c.message_id == message_id
        )
    )
    return [_preserved(row) for row in rows]


async def get_preserved(
    conn: Conn, preserved_id: int, *, for_update: bool = False
) -> Preserved | None:
    query = select(preserved_items).where(preserved_items.c.id == preserved_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _preserved(row) if row else None


async def get_preserved_list(
    conn: Conn, *, order_id: int | None = None, limit: int = 1000
) -> list[Preserved]:
    query = select(preserved_items)
    if order_id is not None:
        query = query.where(preserved_items.c.order_id == order_id)
    rows = await conn.execute(query.order_by(preserved_items.c.preserved_at_ms.desc()).limit(limit))
    return [_preserved(row) for row in rows]


async def get_file_keys(conn: Conn, preserved_ids: list[int]) -> list[str]:
    if not preserved_ids:
        return []
    rows = await conn.execute(
        select(preserved_items.c.file_keys).where(preserved_items.c.id.in_(preserved_ids))
    )
    return [key for row in rows for key in orjson.loads(row.file_keys)]


async def set_until(conn: Conn, preserved_id: int, until_ms: int) -> None:
    await conn.execute(
        update(preserved_items)
        .where(preserved_items.c.id == preserved_id)
        .values(until_ms=until_ms)
    )


async def delete_preserved(conn: Conn, preserved_ids: list[int]) -> None:
    await conn.execute(delete(preserved_items).where(preserved_items.c.id.in_(preserved_ids)))
