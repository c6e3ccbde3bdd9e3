"""Money work that falls due: the pot worker's queue (deadlines, vote windows, refunds,
payouts). Modelled on `store.expiries`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as upsert

from colletta.domain.pots import TaskKind
from colletta.store.db import Conn
from colletta.store.schema import pot_tasks

_K = pot_tasks.c


@dataclass(frozen=True, slots=True)
class PotTask:
    kind: TaskKind
    item_id: int
    pot_id: int
    due_at_ms: int
    attempts: int


async def schedule(conn: Conn, kind: TaskKind, item_id: int, pot_id: int, due_at_ms: int) -> None:
    """Due at `due_at_ms`; a task already scheduled for the item keeps its earlier time."""
    statement = upsert(pot_tasks).values(
        kind=kind.value, item_id=item_id, pot_id=pot_id, due_at_ms=due_at_ms, attempts=0
    )
    new_due = statement.excluded.due_at_ms
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "item_id"],
            # LEAST on PostgreSQL, min() on SQLite: a CASE works on both.
            set_={"due_at_ms": case((new_due < _K.due_at_ms, new_due), else_=_K.due_at_ms)},
        )
    )


async def unschedule(conn: Conn, kind: TaskKind, item_id: int) -> None:
    await conn.execute(delete(pot_tasks).where(and_(_K.kind == kind.value, _K.item_id == item_id)))


async def retry_later(conn: Conn, kind: TaskKind, item_id: int, due_at_ms: int) -> None:
    """A failed attempt: due again at `due_at_ms`, one attempt more."""
    await conn.execute(
        update(pot_tasks)
        .where(and_(_K.kind == kind.value, _K.item_id == item_id))
        .values(due_at_ms=due_at_ms, attempts=_K.attempts + 1)
    )


async def next_due_ms(conn: Conn) -> int | None:
    value = await conn.scalar(select(func.min(_K.due_at_ms)))
    return int(value) if value is not None else None


async def claim_due(conn: Conn, now_ms: int, limit: int) -> list[PotTask]:
    """The earliest tasks due by `now_ms`, locked for this transaction on PostgreSQL (SKIP
    LOCKED: nodes sweep side by side; a node that dies rolls back and others take over)."""
    rows = await conn.execute(
        select(pot_tasks)
        .where(_K.due_at_ms <= now_ms)
        .order_by(_K.due_at_ms)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        PotTask(TaskKind(row.kind), row.item_id, row.pot_id, row.due_at_ms, row.attempts)
        for row in rows
    ]


async def count_tasks(conn: Conn, pot_id: int | None = None) -> int:
    query = select(func.count()).select_from(pot_tasks)
    if pot_id is not None:
        query = query.where(_K.pot_id == pot_id)
    return int(await conn.scalar(query) or 0)
