"""Cases of the moderation queue, and the statements of reasons sent for them."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, insert, select, update

from colletta.domain.cases import Case, CaseKind, CaseStatus, Subject
from colletta.store.db import Conn
from colletta.store.schema import cases, statements


def _case(row: Any) -> Case:
    return Case(
        id=row.id,
        kind=CaseKind(row.kind),
        status=CaseStatus(row.status),
        priority=row.priority,
        subject=Subject(row.subject),
        subject_id=row.subject_id,
        chat_id=row.chat_id,
        subject_user_id=row.subject_user_id,
        rule_ids=tuple(orjson.loads(row.rule_ids)),
        reason=row.reason,
        automated=bool(row.automated),
        opened_at_ms=row.opened_at_ms,
        decided_at_ms=row.decided_at_ms,
        decided_by=row.decided_by,
        decision=row.decision,
        data=orjson.loads(row.data),
    )


async def insert_case(conn: Conn, case: Case) -> None:
    await conn.execute(
        insert(cases).values(
            id=case.id,
            kind=case.kind.value,
            status=case.status.value,
            priority=case.priority,
            subject=case.subject.value,
            subject_id=case.subject_id,
            chat_id=case.chat_id,
            subject_user_id=case.subject_user_id,
            rule_ids=orjson.dumps(list(case.rule_ids)).decode(),
            reason=case.reason,
            automated=case.automated,
            opened_at_ms=case.opened_at_ms,
            decided_at_ms=case.decided_at_ms,
            decided_by=case.decided_by,
            decision=case.decision,
            data=orjson.dumps(case.data).decode(),
        )
    )


async def get_case(conn: Conn, case_id: int, *, for_update: bool = False) -> Case | None:
    query = select(cases).where(cases.c.id == case_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _case(row) if row else None


async def update_case(conn: Conn, case_id: int, **values: Any) -> None:
    if "data" in values:
        values["data"] = orjson.dumps(values["data"]).decode()
    if "rule_ids" in values:
        values["rule_ids"] = orjson.dumps(list(values["rule_ids"])).decode()
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))


async def get_open_case_for(
    conn: Conn, kind: CaseKind, subject: Subject, subject_id: int
) -> Case | None:
    """The open case of this kind about this subject, if any (new reports join it)."""
    row = (
        await conn.execute(
            select(cases)
            .where(
                cases.c.subject == subject.value,
                cases.c.subject_id == subject_id,
                cases.c.kind == kind.value,
                cases.c.status == CaseStatus.OPEN.value,
            )
            .order_by(cases.c.opened_at_ms)
            .limit(1)
        )
    ).first()
    return _case(row) if row else None


async def list_cases(
    conn: Conn,
    *,
    status: CaseStatus | None = CaseStatus.OPEN,
    kind: CaseKind | None = None,
    limit: int = 50,
    after: tuple[int, int, int] | None = None,
) -> list[Case]:
    """The queue: highest priority first, then oldest. `after` is the (priority, opened at,
    id) of the last case of the previous page."""
    query = select(cases)
    if status is not None:
        query = query.where(cases.c.status == status.value)
    if kind is not None:
        query = query.where(cases.c.kind == kind.value)
    if after is not None:
        priority, opened_at_ms, case_id = after
        query = query.where(
            (cases.c.priority < priority)
            | ((cases.c.priority == priority) & (cases.c.opened_at_ms > opened_at_ms))
            | (
                (cases.c.priority == priority)
                & (cases.c.opened_at_ms == opened_at_ms)
                & (cases.c.id > case_id)
            )
        )
    query = query.order_by(cases.c.priority.desc(), cases.c.opened_at_ms, cases.c.id).limit(limit)
    return [_case(row) for row in await conn.execute(query)]


async def list_cases_about(conn: Conn, subject: Subject, subject_id: int) -> list[Case]:
    rows = await conn.execute(
        select(cases)
        .where(cases.c.subject == subject.value, cases.c.subject_id == subject_id)
        .order_by(cases.c.opened_at_ms, cases.c.id)
    )
    return [_case(row) for row in rows]


async def count_chat_cases(conn: Conn, chat_id: int, kind: CaseKind) -> int:
    """How many cases of `kind` were opened about anything in a chat."""
    found = await conn.scalar(
        select(func.count()).where(cases.c.chat_id == chat_id, cases.c.kind == kind.value)
    )
    return int(found or 0)


async def list_cases_between(conn: Conn, from_ms: int, to_ms: int) -> list[Case]:
    """Every case opened in [from_ms, to_ms) (transparency reports)."""
    rows = await conn.execute(
        select(cases)
        .where(cases.c.opened_at_ms >= from_ms, cases.c.opened_at_ms < to_ms)
        .order_by(cases.c.opened_at_ms, cases.c.id)
    )
    return [_case(row) for row in rows]


# Statements of reasons


async def insert_statement(
    conn: Conn,
    *,
    statement_id: int,
    case_id: int | None,
    user_id: int,
    body: dict[str, Any],
    now_ms: int,
) -> None:
    await conn.execute(
        insert(statements).values(
            id=statement_id,
            case_id=case_id,
            user_id=user_id,
            created_at_ms=now_ms,
            body=orjson.dumps(body).decode(),
        )
    )


def _statement(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "user_id": row.user_id,
        "created_at_ms": row.created_at_ms,
        "body": orjson.loads(row.body),
    }


async def get_statement(conn: Conn, statement_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(statements).where(statements.c.id == statement_id))).first()
    return _statement(row) if row else None


async def list_user_statements(
    conn: Conn, user_id: int, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    query = select(statements).where(statements.c.user_id == user_id)
    if before_id is not None:
        query = query.where(statements.c.id < before_id)
    rows = await conn.execute(query.order_by(statements.c.id.desc()).limit(limit))
    return [_statement(row) for row in rows]


async def list_case_statements(conn: Conn, case_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(statements).where(statements.c.case_id == case_id).order_by(statements.c.id)
    )
    return [_statement(row) for row in rows]
