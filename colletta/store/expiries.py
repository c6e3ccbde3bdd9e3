"""What is due to be purged, and when: the expiry worker's queue."""

from __future__ import annotations

from sqlalchemy import and_, delete, func, insert, select

from colletta.domain.media import Expiry, ExpiryKind
from colletta.store.db import Conn
from colletta.store.schema import expiries


async def schedule(conn: Conn, expiry: Expiry) -> None:
    """Due at `expiry.due_at_ms`, replacing what was scheduled for the same item."""
    await unschedule(conn, expiry.kind, expiry.item_id)
    await conn.execute(
        insert(expiries).values(
            kind=expiry.kind.value,
            item_id=expiry.item_id,
            chat_id=expiry.chat_id,
            due_at_ms=expiry.due_at_ms,
        )
    )


async def unschedule(conn: Conn, kind: ExpiryKind, item_id: int) -> None:
    await conn.execute(
        delete(expiries).where(and_(expiries.c.kind == kind.value, expiries.c.item_id == item_id))
    )


async def next_due_ms(conn: Conn) -> int | None:
    value = await conn.scalar(select(func.min(expiries.c.due_at_ms)))
    return int(value) if value is not None else None


async def claim_due(conn: Conn, now_ms: int, limit: int) -> list[Expiry]:
    """The earliest items due by `now_ms`, locked for this transaction on PostgreSQL.

    SKIP LOCKED lets nodes sweep side by side without waiting for or repeating each other;
    a node that dies mid-sweep rolls back, and its rows are due again for the others.
    """
    rows = await conn.execute(
        select(expiries.c.kind, expiries.c.item_id, expiries.c.chat_id, expiries.c.due_at_ms)
        .where(expiries.c.due_at_ms <= now_ms)
        .order_by(expiries.c.due_at_ms)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Expiry(ExpiryKind(row.kind), row.item_id, row.chat_id, row.due_at_ms) for row in rows]


async def count_pending(conn: Conn) -> int:
    return int(await conn.scalar(select(func.count()).select_from(expiries)) or 0)
