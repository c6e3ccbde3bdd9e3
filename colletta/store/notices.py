"""A user's inbox of notices from the service (statements, report outcomes, warnings)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import insert, select

from colletta.store.db import Conn
from colletta.store.schema import notices


async def insert_notice(
    conn: Conn, *, notice_id: int, user_id: int, kind: str, data: dict[str, Any], now_ms: int
) -> None:
    await conn.execute(
        insert(notices).values(
            id=notice_id,
            user_id=user_id,
            kind=kind,
            created_at_ms=now_ms,
            data=orjson.dumps(data).decode(),
        )
    )


async def list_notices(
    conn: Conn, user_id: int, *, after_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Oldest first after `after_id`, so a client can follow its inbox with a cursor."""
    query = select(notices).where(notices.c.user_id == user_id)
    if after_id is not None:
        query = query.where(notices.c.id > after_id)
    rows = await conn.execute(query.order_by(notices.c.id).limit(limit))
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "created_at_ms": row.created_at_ms,
            "data": orjson.loads(row.data),
        }
        for row in rows
    ]
