"""Opening and deciding cases, and the statements of reasons they send (DESIGN.md §5).

Every case opened and decided is audited. A statement goes to the user a decision restricts,
with the DSA Art. 17 fields, into their inbox and live to their devices.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from colletta.actions.audit import audit
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.notices import NoticeKind
from colletta.actions.notices import notify as notify
from colletta.domain.cases import Case, CaseDecided, CaseKind, CaseStatus, Subject
from colletta.domain.statements import StatementFacts, to_transparency_db
from colletta.errors import NotFound
from colletta.ids import new_id
from colletta.store import cases as store
from colletta.store.db import Tx

PAGE_MAX = 200


async def open_case(
    ctx: Context,
    tx: Tx,
    *,
    kind: CaseKind,
    subject: Subject,
    subject_id: int,
    chat_id: int | None = None,
    subject_user_id: int | None = None,
    rule_ids: tuple[str, ...] | list[str] = (),
    reason: str = "",
    automated: bool = True,
    priority: int = 0,
    data: dict[str, Any] | None = None,
    decision: str | None = None,
    actor_id: int | None = None,
) -> Case:
    """Open a case in `tx`. With `decision` it is decided at once (an automated refusal
    that needs no human, kept for the record and the transparency report)."""
    now_ms = ctx.clock.now_ms()
    case = Case(
        id=new_id(),
        kind=kind,
        status=CaseStatus.DECIDED if decision else CaseStatus.OPEN,
        priority=priority,
        subject=subject,
        subject_id=subject_id,
        chat_id=chat_id,
        subject_user_id=subject_user_id,
        rule_ids=tuple(rule_ids),
        reason=reason,
        automated=automated,
        opened_at_ms=now_ms,
        decided_at_ms=now_ms if decision else None,
        decided_by=actor_id if decision else None,
        decision=decision,
        data=data or {},
    )
    await store.insert_case(tx.conn, case)
    await audit(
        ctx,
        tx,
        actor_id=actor_id,
        action="case.opened",
        subject=Subject.CASE.value,
        subject_id=case.id,
        data={
            "kind": kind.value,
            "subject": subject.value,
            "subject_id": str(subject_id),
            "rule_ids": list(case.rule_ids),
            "decision": decision,
        },
    )
    return case


async def decide_case(
    ctx: Context, tx: Tx, case_id: int, *, decided_by: int | None, decision: str
) -> Case:
    """Record the decision on an open case (row-locked: two moderators cannot both decide)."""
    case = await store.get_case(tx.conn, case_id, for_update=True)
    if case is None:
        raise NotFound("no such case")
    if not case.is_open:
        raise CaseDecided("the case is already decided")
    now_ms = ctx.clock.now_ms()
    await store.update_case(
        tx.conn,
        case_id,
        status=CaseStatus.DECIDED.value,
        decided_at_ms=now_ms,
        decided_by=decided_by,
        decision=decision,
    )
    await audit(
        ctx,
        tx,
        actor_id=decided_by,
        action="case.decided",
        subject=Subject.CASE.value,
        subject_id=case_id,
        data={"decision": decision},
    )
    return replace(
        case,
        status=CaseStatus.DECIDED,
        decided_at_ms=now_ms,
        decided_by=decided_by,
        decision=decision,
    )


def statement_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "case_id": None if row["case_id"] is None else str(row["case_id"]),
        "user_id": str(row["user_id"]),
        "created_at_ms": row["created_at_ms"],
        **row["body"],
    }


async def issue_statement(
    ctx: Context, tx: Tx, *, user_id: int, case_id: int | None, facts: StatementFacts
) -> dict[str, Any]:
    """Store a statement of reasons for `user_id` and put it in their inbox."""
    now_ms = ctx.clock.now_ms()
    statement_id = new_id()
    body = facts.body()
    await store.insert_statement(
        tx.conn,
        statement_id=statement_id,
        case_id=case_id,
        user_id=user_id,
        body=body,
        now_ms=now_ms,
    )
    view = statement_view(
        {
            "id": statement_id,
            "case_id": case_id,
            "user_id": user_id,
            "created_at_ms": now_ms,
            "body": body,
        }
    )
    await notify(ctx, tx, user_id, NoticeKind.STATEMENT, {"statement": view})
    await audit(
        ctx,
        tx,
        actor_id=None,
        action="statement.issued",
        subject=Subject.STATEMENT.value,
        subject_id=statement_id,
        data={"case_id": None if case_id is None else str(case_id), "user_id": str(user_id)},
    )
    return view


async def access_my_statements(
    ctx: Context, caller: Caller, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        rows = await store.list_user_statements(
            conn, caller.user_id, before_id=before_id, limit=max(1, min(limit, PAGE_MAX))
        )
    return [statement_view(row) for row in rows]


async def access_statement(
    ctx: Context, caller: Caller, statement_id: int, *, transparency_db: bool = False
) -> dict[str, Any]:
    """One statement, for the user it was sent to, moderators and the operator."""
    async with ctx.db.read() as conn:
        row = await store.get_statement(conn, statement_id)
    if row is None or (row["user_id"] != caller.user_id and not caller.user.moderates):
        raise NotFound("no such statement")
    if transparency_db:
        return to_transparency_db(
            row["body"], statement_id=row["id"], created_at_ms=row["created_at_ms"]
        )
    return statement_view(row)
