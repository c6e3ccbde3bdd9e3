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
    """Due at `due_at_ms`; a task already waiting for the item keeps its earlier time. A task
    being worked on (attempts > 0: leased, or waiting to be asked again) takes the new time,
    which is the action's word on what comes next, and starts its attempts afresh, so the
    worker holding the lease sees the task is no longer the one it leased."""
    statement = upsert(pot_tasks).values(
        kind=kind.value, item_id=item_id, pot_id=pot_id, due_at_ms=due_at_ms, attempts=0
    )
    new_due = statement.excluded.due_at_ms
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "item_id"],
            # LEAST on PostgreSQL, min() on SQLite: a CASE works on both.
            set_={
                "due_at_ms": case(
                    (_K.attempts > 0, new_due),
                    (new_due < _K.due_at_ms, new_due),
                    else_=_K.due_at_ms,
                ),
                "attempts": 0,
            },
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


async def lease_due(conn: Conn, now_ms: int, limit: int, lease_ms: int) -> list[PotTask]:
    """Claim the earliest tasks due by `now_ms` (SKIP LOCKED) and lease them: due again at
    `now_ms + lease_ms`, one attempt more. Commit at once; the work runs outside the
    transaction, and a node that dies mid-task leaves the lease to run out for another node.
    The tasks returned carry their lease (`due_at_ms`, `attempts`) for `end_lease`."""
    tasks = await claim_due(conn, now_ms, limit)
    until_ms = now_ms + lease_ms
    for task in tasks:
        await conn.execute(
            update(pot_tasks)
            .where(and_(_K.kind == task.kind.value, _K.item_id == task.item_id))
            .values(due_at_ms=until_ms, attempts=task.attempts + 1)
        )
    return [
        PotTask(task.kind, task.item_id, task.pot_id, until_ms, task.attempts + 1) for task in tasks
    ]


async def end_lease(conn: Conn, task: PotTask, next_due_ms: int | None) -> bool:
    """The leased `task` is done (`next_due_ms` None: delete it) or due again at
    `next_due_ms`; only if the row is still this lease (nobody rescheduled or took it over
    since). Returns whether it was."""
    mine = and_(
        _K.kind == task.kind.value,
        _K.item_id == task.item_id,
        _K.due_at_ms == task.due_at_ms,
        _K.attempts == task.attempts,
    )
    if next_due_ms is None:
        result = await conn.execute(delete(pot_tasks).where(mine))
    else:
        result = await conn.execute(update(pot_tasks).where(mine).values(due_at_ms=next_due_ms))
    return bool(result.rowcount)


async def count_tasks(conn: Conn, pot_id: int | None = None) -> int:
    query = select(func.count()).select_from(pot_tasks)
    if pot_id is not None:
        query = query.where(_K.pot_id == pot_id)
    return int(await conn.scalar(query) or 0)
