"""Complaints against a statement of reasons (DSA Art. 20).

The affected user files one per statement within `complaint_window_s` (six months). It opens
an APPEAL case about the statement, which waits in the moderator queue until a person closes
it (never automatically, and never the moderator who decided the case while another
moderator or the operator exists): upheld, the decision stands; reversed, what can be undone
is (suspension, ban, frozen pot, closed chat, warning), and removed content stays removed.
The user is told either way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from colletta.actions.accounts import authenticate
from colletta.actions.audit import audit
from colletta.actions.callers import Caller
from colletta.actions.cases import decide_case, open_case
from colletta.actions.chats import set_chat_closed
from colletta.actions.context import Context
from colletta.actions.notices import NoticeKind, notify
from colletta.actions.pot_admin import clear_pot_verdict, unfreeze_locked
from colletta.domain.cases import Case, CaseKind, Subject
from colletta.domain.moderation import (
    PRIORITY_COMPLAINT,
    SCREENED_KINDS,
    ActionRecord,
    ComplaintAlreadyFiled,
    ModAction,
    check_appeal_text,
)
from colletta.errors import ColettaError, Forbidden, Gone, NotFound
from colletta.store import cases as case_store
from colletta.store import moderation as store
from colletta.store import pots as pot_store
from colletta.store.db import Tx

NOTICE_RECEIVED = "appeal.received"


def complaint_view(case: Case) -> dict[str, Any]:
    """A complaint as its author sees it."""
    status = {None: "open", "upheld": "upheld", "reversed": "reversed"}
    return {
        "id": str(case.id),
        "statement_id": str(case.subject_id),
        "case_id": case.data.get("case_id"),
        "text": case.data.get("text", ""),
        "status": status.get(case.decision, "open"),
        "filed_at_ms": case.opened_at_ms,
        "decided_at_ms": case.decided_at_ms,
        "decision_reason": case.data.get("decision_reason"),
        "undone": case.data.get("undone", []),
        "not_undone": case.data.get("not_undone", []),
    }


async def do_file_complaint(
    ctx: Context, user_id: int, statement_id: int, text: str
) -> dict[str, Any]:
    """File a complaint against one of the user's statements of reasons (the user is the
    caller, or for a suspended or banned account, whoever gave its password)."""
    text = check_appeal_text(text)
    try:
        return await _file_complaint(ctx, user_id, statement_id, text)
    except IntegrityError:
        # Another complaint against the statement committed after this one looked (the
        # unique index `ux_cases_one_complaint`); anything else is not ours to explain.
        async with ctx.db.read() as conn:
            about = await case_store.list_cases_about(conn, Subject.STATEMENT, statement_id)
        if not any(case.kind is CaseKind.APPEAL for case in about):
            raise
        raise _already_filed() from None


def _already_filed() -> ComplaintAlreadyFiled:
    return ComplaintAlreadyFiled("a complaint against this statement was already filed")


async def _file_complaint(
    ctx: Context, user_id: int, statement_id: int, text: str
) -> dict[str, Any]:
    now_ms = ctx.clock.now_ms()
    async with ctx.db.write() as tx:
        statement = await case_store.get_statement(tx.conn, statement_id)
        if statement is None or statement["user_id"] != user_id:
            raise NotFound("no such statement")
        if now_ms - statement["created_at_ms"] > ctx.settings.complaint_window_s * 1000:
            raise Gone("the time to complain against this decision has passed")
        about = await case_store.list_cases_about(tx.conn, Subject.STATEMENT, statement_id)
        if any(case.kind is CaseKind.APPEAL for case in about):
            raise _already_filed()
        decided = statement["case_id"]
        original = None if decided is None else await case_store.get_case(tx.conn, decided)
        case = await open_case(
            ctx,
            tx,
            kind=CaseKind.APPEAL,
            subject=Subject.STATEMENT,
            subject_id=statement_id,
            chat_id=None if original is None else original.chat_id,
            subject_user_id=user_id,
            reason="complaint against a decision",
            automated=False,
            priority=PRIORITY_COMPLAINT,
            data={"text": text, "case_id": None if decided is None else str(decided)},
            actor_id=user_id,
        )
        view = complaint_view(case)
        await notify(ctx, tx, user_id, NOTICE_RECEIVED, view)
    return view


async def do_file_restricted_complaint(
    ctx: Context, username: str, password: str, statement_id: int, text: str, *, client_ip: str
) -> dict[str, Any]:
    """A suspended or banned user cannot log in, yet may complain (Art. 20): the password
    stands in for the session, within the login budgets."""
    user = await authenticate(ctx, username, password, client_ip=client_ip)
    return await do_file_complaint(ctx, user.id, statement_id, text)


async def access_my_complaints(ctx: Context, caller: Caller) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        found = [
            await case_store.get_case(conn, case_id)
            for case_id in await store.list_complaint_ids(conn, caller.user_id)
        ]
    return [complaint_view(case) for case in found if case is not None]


async def decide_complaint(
    ctx: Context, tx: Tx, caller: Caller, case: Case, action: ModAction, reason: str
) -> tuple[Case, dict[str, Any]]:
    """A person closes an open complaint (`case`, locked in `tx`): uphold or reverse."""
    original_id = case.data.get("case_id")
    original = None if original_id is None else await case_store.get_case(tx.conn, int(original_id))
    if (
        original is not None
        and original.decided_by == caller.user_id
        and await store.count_other_moderators(tx.conn, caller.user_id)
    ):
        raise Forbidden("another moderator reviews a complaint against your own decision")
    now_ms = ctx.clock.now_ms()
    undone: list[str] = []
    kept: list[str] = []
    if action is ModAction.REVERSE:
        for record in await store.get_statement_actions(tx.conn, case.subject_id):
            if record.reversed_at_ms is None and await _undo(ctx, tx, record, caller.user_id):
                await store.mark_reversed(tx.conn, record.id, now_ms)
                undone.append(record.action.value)
            else:
                kept.append(record.action.value)
        if (
            original is not None
            and original.kind in SCREENED_KINDS
            and original.subject is Subject.POT
        ):
            # An automated verdict held the pot: reversing it clears the verdict.
            await clear_pot_verdict(ctx, tx, original.subject_id, by_user_id=caller.user_id)
            undone.append("verdict")
    decision = "reversed" if action is ModAction.REVERSE else "upheld"
    outcome = {"decision_reason": reason, "undone": undone, "not_undone": kept}
    await case_store.update_case(tx.conn, case.id, data={**case.data, **outcome})
    # decide_case reads the row again, with the outcome just written into its data.
    decided = await decide_case(ctx, tx, case.id, decided_by=caller.user_id, decision=decision)
    await audit(
        ctx,
        tx,
        actor_id=caller.user_id,
        action=f"appeal.{decision}",
        subject=Subject.STATEMENT.value,
        subject_id=case.subject_id,
        data={"case_id": str(case.id), "reason": reason, "undone": undone, "not_undone": kept},
    )
    view = complaint_view(decided)
    assert case.subject_user_id is not None
    await notify(ctx, tx, case.subject_user_id, NoticeKind.APPEAL_DECIDED, view)
    return decided, {"undone": undone, "not_undone": kept}


async def _undo(ctx: Context, tx: Tx, record: ActionRecord, by_user_id: int) -> bool:
    """Undo one action where it can be; False where it cannot (removed content is gone)."""
    action = record.action
    if action is ModAction.SUSPEND or action is ModAction.BAN:
        assert record.target_user_id is not None
        await store.delete_restriction(tx.conn, record.target_user_id, record.id)
        return True
    if action is ModAction.WARN:
        return True  # a reversed warning no longer allows a suspension
    if action is ModAction.CLOSE_CHAT and record.chat_id is not None:
        await set_chat_closed(ctx, tx, record.chat_id, None)
        return True
    if action is ModAction.FREEZE_POT:
        pot = await pot_store.get_pot(tx.conn, record.subject_id, for_update=True)
        if pot is None:
            return False
        try:
            await unfreeze_locked(ctx, tx, pot, by_user_id)
        except ColettaError:
            return False  # given back and settled meanwhile: nothing left to unfreeze
        return True
    return False
