"""Reports (DSA Art. 16): any user reports a message, user, chat or pot they can see.

A report opens a REPORT case, or joins the open case of the same subject; a trusted
flagger's notice raises the case to the front of the queue (Art. 22). The reporter gets a
notice at once and another when a moderator decides; the reported user never learns who
reported them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.cases import open_case
from colletta.actions.chats import load_chat_access
from colletta.actions.context import Context
from colletta.actions.notices import NoticeKind, notify
from colletta.actions.pots import load_pot_access
from colletta.domain.cases import CaseKind, Subject
from colletta.domain.chats import ChatKind, Role
from colletta.domain.moderation import (
    Report,
    Reportable,
    check_report_text,
    parse_category,
    report_priority,
)
from colletta.errors import InvalidInput, NotFound
from colletta.ids import new_id
from colletta.store import cases as case_store
from colletta.store import chats as chat_store
from colletta.store import messages as message_store
from colletta.store import moderation as store
from colletta.store import users as user_store
from colletta.store.db import Conn


@dataclass(frozen=True, slots=True)
class Target:
    """What a report points at, as the case records it."""

    subject: Subject
    subject_id: int
    chat_id: int | None
    user_id: int | None  # whom a restriction would affect


def parse_reportable(value: str) -> Reportable:
    try:
        return Reportable(value)
    except ValueError:
        raise InvalidInput(
            "subject must be one of message, user, chat, pot", field="subject"
        ) from None


async def load_target(
    ctx: Context, conn: Conn, caller: Caller, kind: Reportable, subject_id: int, chat_id: int | None
) -> Target:
    """The subject as the caller can see it, or the same 404 as for one that does not exist."""
    if kind is Reportable.USER:
        if await user_store.get_user(conn, subject_id) is None:
            raise NotFound("no such user")
        return Target(Subject.USER, subject_id, None, subject_id)
    if kind is Reportable.POT:
        access = await load_pot_access(conn, caller, subject_id)
        pot = access.pot
        return Target(Subject.POT, pot.id, pot.chat_id, pot.created_by)
    if kind is Reportable.CHAT:
        chat = (
            await load_chat_access(conn, caller, subject_id, allow_public=True, for_update=False)
        ).chat
        owner = await chat_owner(conn, chat.id, chat.kind)
        return Target(Subject.CHAT, chat.id, chat.id, owner)
    if chat_id is None:
        raise InvalidInput("a message is reported with its chat_id", field="chat_id")
    chat = (await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)).chat
    message = await message_store.get_message(conn, chat.id, subject_id)
    if (
        message is None
        or message.deleted
        or message.expired_for(caller.user_id, ctx.clock.now_ms())
    ):
        raise NotFound("no such message")
    return Target(Subject.MESSAGE, message.id, chat.id, message.sender_id)


async def chat_owner(conn: Conn, chat_id: int, kind: ChatKind) -> int | None:
    if kind is ChatKind.DIRECT:
        return None
    owners = await chat_store.get_member_ids_with_role(conn, chat_id, Role.OWNER)
    return owners[0] if owners else None


async def do_report(
    ctx: Context,
    caller: Caller,
    *,
    subject: str,
    subject_id: int,
    chat_id: int | None,
    category: str,
    text: str,
) -> dict[str, Any]:
    """File a report; answers its receipt. Rate-limited per user (`report_rate`)."""
    kind = parse_reportable(subject)
    parsed = parse_category(category)
    category = parsed.value
    text = check_report_text(text)
    await ctx.limiter.hit(ctx.settings.report_rate, "report", str(caller.user_id))
    trusted = caller.user.trusted_flagger
    async with ctx.db.write() as tx:
        target = await load_target(ctx, tx.conn, caller, kind, subject_id, chat_id)
        if target.user_id == caller.user_id and kind is not Reportable.CHAT:
            raise InvalidInput("you cannot report yourself or what you posted", field="subject")
        report_id = new_id()
        case = await case_store.get_open_case_for(
            tx.conn, CaseKind.REPORT, target.subject, target.subject_id
        )
        if case is None:
            case = await open_case(
                ctx,
                tx,
                kind=CaseKind.REPORT,
                subject=target.subject,
                subject_id=target.subject_id,
                chat_id=target.chat_id,
                subject_user_id=target.user_id,
                reason=f"reported as {parsed.words}",
                automated=False,
                priority=report_priority(trusted),
                data={"category": category, "trusted": trusted, "report_ids": [str(report_id)]},
                actor_id=caller.user_id,
            )
        else:
            data = {
                **case.data,
                "report_ids": [*case.data.get("report_ids", []), str(report_id)],
                "trusted": bool(case.data.get("trusted")) or trusted,
            }
            priority = max(case.priority, report_priority(trusted))
            await case_store.update_case(tx.conn, case.id, priority=priority, data=data)
        report = Report(
            id=report_id,
            case_id=case.id,
            reporter_id=caller.user_id,
            subject=target.subject.value,
            subject_id=target.subject_id,
            chat_id=target.chat_id,
            category=category,
            text=text,
            trusted=trusted,
            created_at_ms=ctx.clock.now_ms(),
        )
        await store.insert_report(tx.conn, report)
        receipt = report.receipt()
        await notify(ctx, tx, caller.user_id, NoticeKind.REPORT_RECEIVED, receipt)
    return receipt
