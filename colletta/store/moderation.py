"""Reports, moderator actions and account restrictions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update

from colletta.domain.moderation import (
    AccountRestriction,
    ActionRecord,
    ModAction,
    Report,
    Restriction,
)
from colletta.store.db import Conn
from colletta.store.schema import account_restrictions, cases, mod_actions, reports, users

# --- reports (each joins a REPORT case: store.cases)


def _report(row: Any) -> Report:
    return Report(
        id=row.id,
        case_id=row.case_id,
        reporter_id=row.reporter_id,
        subject=row.subject,
        subject_id=row.subject_id,
        chat_id=row.chat_id,
        category=row.category,
        text=row.text,
        trusted=bool(row.trusted),
        created_at_ms=row.created_at_ms,
    )


async def insert_report(conn: Conn, report: Report) -> None:
    await conn.execute(
        insert(reports).values(
            id=report.id,
            case_id=report.case_id,
            reporter_id=report.reporter_id,
            subject=report.subject,
            subject_id=report.subject_id,
            chat_id=report.chat_id,
            category=report.category,
            text=report.text,
            trusted=report.trusted,
            created_at_ms=report.created_at_ms,
        )
    )


async def get_case_reports(conn: Conn, case_id: int) -> list[Report]:
    rows = await conn.execute(
        select(reports).where(reports.c.case_id == case_id).order_by(reports.c.created_at_ms)
    )
    return [_report(row) for row in rows]


async def get_case_reporter_ids(conn: Conn, case_id: int) -> list[int]:
    rows = await conn.execute(
        select(reports.c.reporter_id).where(reports.c.case_id == case_id).distinct()
    )
    return sorted(row.reporter_id for row in rows)


# --- moderator actions


def _action(row: Any) -> ActionRecord:
    return ActionRecord(
        id=row.id,
        case_id=row.case_id,
        action=ModAction(row.action),
        actor_id=row.actor_id,
        target_user_id=row.target_user_id,
        subject=row.subject,
        subject_id=row.subject_id,
        chat_id=row.chat_id,
        statement_id=row.statement_id,
        until_ms=row.until_ms,
        created_at_ms=row.created_at_ms,
        reversed_at_ms=row.reversed_at_ms,
    )


async def insert_action(conn: Conn, record: ActionRecord) -> None:
    await conn.execute(
        insert(mod_actions).values(
            id=record.id,
            case_id=record.case_id,
            action=record.action.value,
            actor_id=record.actor_id,
            target_user_id=record.target_user_id,
            subject=record.subject,
            subject_id=record.subject_id,
            chat_id=record.chat_id,
            statement_id=record.statement_id,
            until_ms=record.until_ms,
            created_at_ms=record.created_at_ms,
            reversed_at_ms=None,
        )
    )


async def set_action_statement(conn: Conn, action_id: int, statement_id: int) -> None:
    await conn.execute(
        update(mod_actions).where(mod_actions.c.id == action_id).values(statement_id=statement_id)
    )


async def get_action_statement_id(conn: Conn, action_id: int) -> int | None:
    value = await conn.scalar(
        select(mod_actions.c.statement_id).where(mod_actions.c.id == action_id)
    )
    return None if value is None else int(value)


async def get_case_actions(conn: Conn, case_id: int) -> list[ActionRecord]:
    rows = await conn.execute(
        select(mod_actions)
        .where(mod_actions.c.case_id == case_id)
        .order_by(mod_actions.c.created_at_ms)
    )
    return [_action(row) for row in rows]


async def get_statement_actions(conn: Conn, statement_id: int) -> list[ActionRecord]:
    rows = await conn.execute(select(mod_actions).where(mod_actions.c.statement_id == statement_id))
    return [_action(row) for row in rows]


async def has_standing_warning(conn: Conn, user_id: int) -> bool:
    """A warning given to the user and not reversed on appeal."""
    found = await conn.scalar(
        select(func.count())
        .select_from(mod_actions)
        .where(
            mod_actions.c.target_user_id == user_id,
            mod_actions.c.action == ModAction.WARN.value,
            mod_actions.c.reversed_at_ms.is_(None),
        )
    )
    return bool(found)


async def mark_reversed(conn: Conn, action_id: int, now_ms: int) -> None:
    await conn.execute(
        update(mod_actions).where(mod_actions.c.id == action_id).values(reversed_at_ms=now_ms)
    )


# --- account restrictions


async def put_restriction(conn: Conn, restriction: AccountRestriction, now_ms: int) -> None:
    """The user's restriction from now on (a ban replaces a suspension)."""
    await conn.execute(
        delete(account_restrictions).where(account_restrictions.c.user_id == restriction.user_id)
    )
    await conn.execute(
        insert(account_restrictions).values(
            user_id=restriction.user_id,
            kind=restriction.kind.value,
            until_ms=restriction.until_ms,
            action_id=restriction.action_id,
            created_at_ms=now_ms,
        )
    )


async def get_restriction(conn: Conn, user_id: int) -> AccountRestriction | None:
    row = (
        await conn.execute(
            select(account_restrictions).where(account_restrictions.c.user_id == user_id)
        )
    ).first()
    if row is None:
        return None
    return AccountRestriction(row.user_id, Restriction(row.kind), row.until_ms, row.action_id)


async def delete_restriction(conn: Conn, user_id: int, action_id: int) -> bool:
    """Lift the restriction `action_id` wrote (not a later one)."""
    result = await conn.execute(
        delete(account_restrictions).where(
            account_restrictions.c.user_id == user_id,
            account_restrictions.c.action_id == action_id,
        )
    )
    return bool(result.rowcount)


# --- who moderates


async def count_other_moderators(conn: Conn, user_id: int) -> int:
    """Moderators and the operator other than `user_id`: a complaint goes to one of them."""
    found = await conn.scalar(
        select(func.count()).where(
            users.c.id != user_id,
            or_(users.c.is_moderator.is_(True), users.c.is_operator.is_(True)),
        )
    )
    return int(found or 0)


async def list_complaint_ids(conn: Conn, user_id: int) -> list[int]:
    """The user's complaints (APPEAL cases they filed), oldest first."""
    rows = await conn.execute(
        select(cases.c.id)
        .where(cases.c.kind == "appeal", cases.c.subject_user_id == user_id)
        .order_by(cases.c.opened_at_ms)
    )
    return [row.id for row in rows]
