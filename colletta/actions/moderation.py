"""The moderation queue and what moderators do to a case (DSA Arts. 17, 23).

Every action decides the case, is audited, tells the reporters, and every restriction sends
the affected user a statement of reasons. Suspension needs an earlier warning (Art. 23);
a suspended or banned user is logged out everywhere and may not log in again while it
lasts. A closed chat stays readable; nobody posts in it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from colletta.actions import expiry
from colletta.actions.accounts import end_all_sessions
from colletta.actions.appeals import decide_complaint
from colletta.actions.audit import audit
from colletta.actions.callers import Caller
from colletta.actions.cases import decide_case, issue_statement, statement_view
from colletta.actions.chats import set_chat_closed
from colletta.actions.context import Context
from colletta.actions.moderators import check_moderator
from colletta.actions.notices import NoticeKind, notify
from colletta.actions.pot_admin import clear_pot_verdict, freeze_locked
from colletta.actions.pot_tasks import begin_refunding
from colletta.actions.reports import chat_owner
from colletta.domain.cases import Case, CaseDecided, CaseStatus, Subject
from colletta.domain.chats import ChatKind
from colletta.domain.moderation import (
    QUEUE_PAGE_MAX,
    SCREENED_KINDS,
    AccountRestriction,
    ActionRecord,
    ModAction,
    Restriction,
    check_account_action,
    check_action_fits,
    check_ground,
    check_reason,
    check_suspension_s,
    parse_action,
    parse_category,
    statement_facts,
)
from colletta.domain.pot_admin import FREEZE_REASON_MAX_CHARS, check_freezable
from colletta.errors import Conflict, InvalidInput, NotFound
from colletta.ids import new_id
from colletta.store import cases as case_store
from colletta.store import chats as chat_store
from colletta.store import messages as message_store
from colletta.store import moderation as store
from colletta.store import pots as pot_store
from colletta.store import users as user_store
from colletta.store.db import Conn, Tx


def no_such_case() -> NotFound:
    return NotFound("no such case")


@dataclass(frozen=True, slots=True)
class ActIn:
    """A moderator's decision on a case."""

    action: str
    reason: str
    duration_s: int | None = None
    refund: bool = False
    category: str | None = None
    # DECISION_GROUND_ILLEGAL_CONTENT (needs `legal_ground`: the law) or
    # DECISION_GROUND_INCOMPATIBLE_CONTENT (the default; `legal_ground`: the term).
    ground: str | None = None
    legal_ground: str | None = None


async def access_queue(ctx: Context, caller: Caller, limit: int) -> dict[str, Any]:
    """Open cases by priority (orders, hash matches, trusted flaggers and complaints first),
    then age."""
    check_moderator(caller)
    limit = max(1, min(limit, QUEUE_PAGE_MAX))
    async with ctx.db.read() as conn:
        cases = await case_store.list_cases(conn, status=CaseStatus.OPEN, limit=limit)
    return {"cases": [case_view(case) for case in cases]}


def case_view(case: Case) -> dict[str, Any]:
    """The case as the queue shows it: the reports' category, whether a trusted flagger
    sent one, and how many there are."""
    return {
        **case.view(),
        "category": case.data.get("category"),
        "trusted": bool(case.data.get("trusted")),
        "report_count": len(case.data.get("report_ids", [])),
    }


async def access_case(ctx: Context, caller: Caller, case_id: int) -> dict[str, Any]:
    """The case with its subject as it is now (content included, for moderators), the
    reports, what was done and the statements sent."""
    check_moderator(caller)
    async with ctx.db.read() as conn:
        case = await case_store.get_case(conn, case_id)
        if case is None:
            raise no_such_case()
        content = await _subject_content(ctx, conn, case)
        reports = await store.get_case_reports(conn, case.id)
        actions = await store.get_case_actions(conn, case.id)
        statements = await case_store.list_case_statements(conn, case.id)
    return {
        **case_view(case),
        "content": content,
        "reports": [report.view() for report in reports],
        "actions": [action.view() for action in actions],
        "statements": [statement_view(row) for row in statements],
    }


async def _subject_content(ctx: Context, conn: Conn, case: Case) -> dict[str, Any] | None:
    if case.subject is Subject.MESSAGE and case.chat_id is not None:
        message = await message_store.get_message(conn, case.chat_id, case.subject_id)
        return None if message is None else message.view(show_sender=True)
    if case.subject is Subject.STATEMENT:
        row = await case_store.get_statement(conn, case.subject_id)
        return None if row is None else statement_view(row)
    if case.subject is Subject.CHAT:
        chat = await chat_store.get_chat(conn, case.subject_id)
        if chat is None:
            return None
        return {**chat.view(), "closed_at_ms": chat.closed_at_ms}
    if case.subject is Subject.POT:
        pot = await pot_store.get_pot(conn, case.subject_id)
        if pot is None:
            return None
        return {
            "id": str(pot.id),
            "title": pot.title,
            "description": pot.description,
            "status": pot.status.value,
            "frozen": pot.frozen,
            "frozen_reason": pot.frozen_reason,
            "raised_minor": pot.raised_minor,
            "currency": pot.currency,
        }
    if case.subject is Subject.USER:
        user = await user_store.get_user(conn, case.subject_id)
        if user is None:
            return None
        restriction = await store.get_restriction(conn, user.id)
        return {
            "id": str(user.id),
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "created_at_ms": user.created_at_ms,
            "warned": await store.has_standing_warning(conn, user.id),
            "restriction": None
            if restriction is None or not restriction.active(ctx.clock.now_ms())
            else {"kind": restriction.kind.value, "until_ms": restriction.until_ms},
        }
    return None


async def do_act(ctx: Context, caller: Caller, case_id: int, body: ActIn) -> dict[str, Any]:
    """Decide an open case with one action (see the module's docstring); a complaint with
    uphold or reverse (actions.appeals)."""
    check_moderator(caller)
    action = parse_action(body.action)
    reason = check_reason(body.reason)
    ground, legal_ground = check_ground(action, body.ground, body.legal_ground)
    category = None if body.category is None else parse_category(body.category)
    settings = ctx.settings
    duration_s = check_suspension_s(
        body.duration_s, settings.suspension_default_s, settings.suspension_max_s
    )
    async with ctx.db.write() as tx:
        case = await case_store.get_case(tx.conn, case_id, for_update=True)
        if case is None:
            raise no_such_case()
        if not case.is_open:
            raise CaseDecided("the case is already decided")
        check_action_fits(action, case)
        if action.on_complaint:
            decided, outcome = await decide_complaint(ctx, tx, caller, case, action, reason)
            return {**case_view(decided), "action": None, **outcome}
        now_ms = ctx.clock.now_ms()
        record = ActionRecord(
            id=new_id(),
            case_id=case.id,
            action=action,
            actor_id=caller.user_id,
            target_user_id=await _affected_user(tx.conn, case, action),
            subject=case.subject.value,
            subject_id=case.subject_id,
            chat_id=case.chat_id,
            statement_id=None,
            until_ms=now_ms + duration_s * 1000 if action is ModAction.SUSPEND else None,
            created_at_ms=now_ms,
            reversed_at_ms=None,
        )
        if action.on_account and record.target_user_id is not None:
            target = await user_store.get_user(tx.conn, record.target_user_id)
            if target is None:
                raise no_such_case()
            check_account_action(
                action,
                target_is_operator=target.is_operator,
                target_moderates=target.moderates,
                by_operator=caller.user.is_operator,
            )
        await _carry_out(ctx, tx, case, record, reason, refund=body.refund)
        affected = record.target_user_id
        if action.restricts and affected is not None:
            facts = statement_facts(
                action,
                case,
                reason,
                category=category,
                ground=ground,
                legal_ground=legal_ground,
                until_ms=record.until_ms,
                refund=body.refund,
            )
            statement = await issue_statement(
                ctx, tx, user_id=affected, case_id=case.id, facts=facts
            )
            record = replace(record, statement_id=int(statement["id"]))
            if action is ModAction.WARN:
                # Said plainly besides the statement: the next step is a suspension (Art. 23).
                warning = {"statement_id": statement["id"], "reason": reason}
                await notify(ctx, tx, affected, NoticeKind.WARNING, warning)
        await store.insert_action(tx.conn, record)
        case = await decide_case(ctx, tx, case.id, decided_by=caller.user_id, decision=action.value)
        await audit(
            ctx,
            tx,
            actor_id=caller.user_id,
            action=f"mod.{action.value}",
            subject=case.subject.value,
            subject_id=case.subject_id,
            data={"case_id": str(case.id), "reason": reason, **record.view()},
        )
        await _tell_reporters(ctx, tx, case, action)
    if action is ModAction.REMOVE:
        await ctx.db.checkpoint()  # the purged bytes may still sit in SQLite's WAL
    return {**case_view(case), "action": record.view(), "undone": [], "not_undone": []}


async def _tell_reporters(ctx: Context, tx: Tx, case: Case, action: ModAction) -> None:
    """Each reporter learns the outcome, never what it did to whom."""
    outcome = "no_action" if action is ModAction.DISMISS else "action_taken"
    data = {"subject": case.subject.value, "subject_id": str(case.subject_id), "outcome": outcome}
    for reporter_id in await store.get_case_reporter_ids(tx.conn, case.id):
        await notify(ctx, tx, reporter_id, NoticeKind.REPORT_DECIDED, data)


async def _affected_user(conn: Conn, case: Case, action: ModAction) -> int | None:
    """Whom the action restricts: the case's user (sender, organiser, reported user), or for
    a closed chat its owner."""
    if action is not ModAction.CLOSE_CHAT:
        return case.subject_user_id
    chat = None if case.chat_id is None else await chat_store.get_chat(conn, case.chat_id)
    if chat is None or chat.kind is ChatKind.DIRECT:
        raise InvalidInput("only a group or a channel can be closed", field="action")
    return await chat_owner(conn, chat.id, chat.kind)


async def _carry_out(
    ctx: Context, tx: Tx, case: Case, record: ActionRecord, reason: str, *, refund: bool
) -> None:
    action = record.action
    if action is ModAction.DISMISS and case.subject is Subject.POT and case.kind in SCREENED_KINDS:
        await clear_pot_verdict(ctx, tx, case.subject_id, by_user_id=record.actor_id)
    elif action is ModAction.REMOVE:
        if case.chat_id is None:
            raise InvalidInput("this case names no chat to remove the message from")
        chat = await chat_store.get_chat(tx.conn, case.chat_id)
        message = await message_store.get_message(tx.conn, case.chat_id, case.subject_id)
        if chat is not None and message is not None and not message.deleted:
            await expiry.purge_message(ctx, tx, chat, message)
    elif action is ModAction.FREEZE_POT:
        pot = await pot_store.get_pot(tx.conn, case.subject_id, for_update=True)
        if pot is None:
            raise no_such_case()
        check_freezable(pot)
        # The organiser and the chat's admins read it as the pot's `frozen_reason`: one line.
        shown = " ".join(reason.split())[:FREEZE_REASON_MAX_CHARS]
        pot = await freeze_locked(ctx, tx, pot, shown, record.actor_id)
        if refund:
            await begin_refunding(ctx, tx, pot, cause="moderation", by_user_id=record.actor_id)
    elif action is ModAction.SUSPEND or action is ModAction.BAN:
        assert record.target_user_id is not None  # check_account_action saw the user
        user_id = record.target_user_id
        if action is ModAction.SUSPEND and not await store.has_standing_warning(tx.conn, user_id):
            raise Conflict("a user is suspended only after a warning: warn them first")
        kind = Restriction.BANNED if action is ModAction.BAN else Restriction.SUSPENDED
        await store.put_restriction(
            tx.conn,
            AccountRestriction(user_id, kind, record.until_ms, record.id),
            record.created_at_ms,
        )
        await end_all_sessions(ctx, tx, user_id)
    elif action is ModAction.CLOSE_CHAT and case.chat_id is not None:  # _affected_user checked
        await set_chat_closed(ctx, tx, case.chat_id, record.created_at_ms)
