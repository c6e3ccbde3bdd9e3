"""Removal orders: registered, executed, listed by time of receipt."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import insert, select, update

from colletta.domain.orders import ItemResult, RemovalOrder, parse_item
from colletta.store.db import Conn
from colletta.store.schema import removal_orders


def _order(row: Any) -> RemovalOrder:
    return RemovalOrder(
        id=row.id,
        authority=row.authority,
        reference=row.reference,
        reasons=row.reasons,
        items=tuple(parse_item(ref) for ref in orjson.loads(row.items)),
        received_at_ms=row.received_at_ms,
        registered_at_ms=row.registered_at_ms,
        registered_by=row.registered_by,
        notify=row.notify,
        executed_at_ms=row.executed_at_ms,
        results=tuple(ItemResult.from_data(data) for data in orjson.loads(row.results)),
        secret_until_ms=row.secret_until_ms,
        told_at_ms=row.told_at_ms,
    )


async def insert_order(conn: Conn, order: RemovalOrder) -> None:
    await conn.execute(
        insert(removal_orders).values(
            id=order.id,
            authority=order.authority,
            reference=order.reference,
            reasons=order.reasons,
            items=orjson.dumps([item.ref() for item in order.items]).decode(),
            received_at_ms=order.received_at_ms,
            registered_at_ms=order.registered_at_ms,
            registered_by=order.registered_by,
            notify=order.notify,
            secret_until_ms=order.secret_until_ms,
            told_at_ms=order.told_at_ms,
            executed_at_ms=order.executed_at_ms,
            results=orjson.dumps([r.data() for r in order.results]).decode(),
        )
    )


async def update_secrecy(
    conn: Conn, order_id: int, *, secret_until_ms: int | None, told_at_ms: int | None
) -> None:
    await conn.execute(
        update(removal_orders)
        .where(removal_orders.c.id == order_id)
        .values(secret_until_ms=secret_until_ms, told_at_ms=told_at_ms)
    )


async def get_order(conn: Conn, order_id: int, *, for_update: bool = False) -> RemovalOrder | None:
    query = select(removal_orders).where(removal_orders.c.id == order_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _order(row) if row else None


async def find_order(conn: Conn, authority: str, reference: str) -> RemovalOrder | None:
    row = (
        await conn.execute(
            select(removal_orders).where(
                removal_orders.c.authority == authority, removal_orders.c.reference == reference
            )
        )
    ).first()
    return _order(row) if row else None


async def get_orders(
    conn: Conn,
    *,
    from_ms: int | None = None,
    to_ms: int | None = None,
    limit: int | None = 1000,
) -> list[RemovalOrder]:
    """Orders received in [from_ms, to_ms), newest first."""
    query = select(removal_orders)
    if from_ms is not None:
        query = query.where(removal_orders.c.received_at_ms >= from_ms)
    if to_ms is not None:
        query = query.where(removal_orders.c.received_at_ms < to_ms)
    rows = await conn.execute(
        query.order_by(removal_orders.c.received_at_ms.desc(), removal_orders.c.id).limit(limit)
    )
    return [_order(row) for row in rows]
