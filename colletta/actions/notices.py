"""A user's inbox of notices from the service: stored, and pushed live to their sockets."""

from __future__ import annotations

from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.domain import events
from colletta.ids import new_id
from colletta.store import notices as store
from colletta.store.db import Tx

PAGE_MAX = 200


class NoticeKind:
    STATEMENT = "statement"  # a statement of reasons: something of yours was restricted
    REPORT_RECEIVED = "report.received"
    REPORT_DECIDED = "report.decided"
    WARNING = "warning"
    APPEAL_DECIDED = "appeal.decided"
    ORDER_EXECUTED = "order.executed"


async def notify(
    ctx: Context, tx: Tx, user_id: int, kind: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Store a notice for `user_id` in `tx`; after commit, send it to their live devices as a
    `notice.created` frame. The inbox is the truth: a device that was offline reads it."""
    now_ms = ctx.clock.now_ms()
    notice_id = new_id()
    await store.insert_notice(
        tx.conn, notice_id=notice_id, user_id=user_id, kind=kind, data=data, now_ms=now_ms
    )
    view = {"id": str(notice_id), "kind": kind, "created_at_ms": now_ms, "data": data}
    ctx.notify_user(tx, user_id, 0, events.NOTICE_CREATED, view)
    return view


async def access_notices(
    ctx: Context, caller: Caller, *, after_id: int | None, limit: int
) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        rows = await store.list_notices(
            conn, caller.user_id, after_id=after_id, limit=max(1, min(limit, PAGE_MAX))
        )
    return [{**row, "id": str(row["id"])} for row in rows]
