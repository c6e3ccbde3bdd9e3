"""Pots: create, read, edit (screened again), and vote on what to buy (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError

from colletta.actions.callers import Caller
from colletta.actions.chats import ChatAccess, load_chat_access
from colletta.actions.context import Context
from colletta.actions.verdicts import Screened, record_refusal, record_verdict
from colletta.domain import events
from colletta.domain.cases import Subject
from colletta.domain.chats import Role
from colletta.domain.ledger import AccountFlag
from colletta.domain.money import format_amount
from colletta.domain.pots import (
    DESCRIPTION_MAX_CHARS,
    PAGE_MAX,
    TITLE_MAX_CHARS,
    AlreadyVoted,
    Item,
    Option,
    Pot,
    PotDraft,
    PotRefused,
    PotStatus,
    TaskKind,
    Visibility,
    VoteWeighting,
    can_create_pot,
    can_manage_pot,
    check_items,
    check_new_pot,
    check_options,
    check_pot_chat,
    pot_account_key,
    sees_contributors,
    verdict_allows_opening,
)
from colletta.domain.safety import Outcome, Verdict
from colletta.domain.text import check_line, check_multiline
from colletta.errors import Forbidden, InvalidInput, NotFound
from colletta.ids import new_id
from colletta.store import contributions as contribution_store
from colletta.store import ledger as ledger_store
from colletta.store import pot_tasks as task_store
from colletta.store import pots as store
from colletta.store.db import Conn, Tx


@dataclass(frozen=True, slots=True)
class PotAccess:
    """A pot as one caller may see it, with the chat it lives in."""

    pot: Pot
    chat: ChatAccess
    is_operator: bool

    @property
    def role(self) -> Role | None:
        return self.chat.role

    @property
    def is_member(self) -> bool:
        return self.chat.member is not None

    @property
    def sees_contributors(self) -> bool:
        return sees_contributors(self.pot, self.role, self.is_operator)


def no_such_pot() -> NotFound:
    return NotFound("no such pot")


async def load_pot_access(
    conn: Conn, caller: Caller, pot_id: int, *, for_update: bool = False
) -> PotAccess:
    """The pot and the caller's place in its chat; the same 404 for a pot that does not exist
    and one in a chat the caller cannot read."""
    pot = await store.get_pot(conn, pot_id, for_update=for_update)
    if pot is None:
        raise no_such_pot()
    try:
        chat = await load_chat_access(
            conn, caller, pot.chat_id, allow_public=True, for_update=False
        )
    except NotFound:
        raise no_such_pot() from None
    return PotAccess(pot, chat, caller.user.is_operator)


class _OfPot(Protocol):
    @property
    def pot_id(self) -> int: ...


Row = TypeVar("Row", bound=_OfPot)


async def lock_with_pot(
    tx: Tx, load: Callable[..., Awaitable[Row | None]], row_id: int
) -> tuple[Pot, Row] | None:
    """A pot's row (a contribution, a proposal: `load(conn, id, for_update=…)`) and its pot,
    row-locked pot first: the order every money path locks in, so two never deadlock."""
    found = await load(tx.conn, row_id)
    if found is None:
        return None
    pot = await store.get_pot(tx.conn, found.pot_id, for_update=True)
    row = await load(tx.conn, row_id, for_update=True)
    if pot is None or row is None:
        return None
    return pot, row


def require_member(access: PotAccess) -> None:
    if access.chat.member is None:
        raise Forbidden("join the chat first")


def pot_summary(pot: Pot) -> dict[str, Any]:
    """What every member sees of a pot: no person in it, so it can travel in any event."""
    return {
        "id": str(pot.id),
        "chat_id": str(pot.chat_id),
        "title": pot.title,
        "description": pot.description,
        "currency": pot.currency,
        "goal_minor": pot.goal_minor,
        "raised_minor": pot.raised_minor,
        "raised": format_amount(pot.raised_minor, pot.currency),
        "goal": format_amount(pot.goal_minor, pot.currency),
        "contributor_count": pot.contributor_count,
        "deadline_at_ms": pot.deadline_at_ms,
        "model": pot.model.value,
        "visibility": pot.visibility.value,
        "vote_weighting": pot.vote_weighting.value,
        "member_cap_minor": pot.member_cap_minor,
        "pot_cap_minor": pot.pot_cap_minor,
        "quorum_pct": pot.quorum_pct,
        "majority_pct": pot.majority_pct,
        "proposal_window_s": pot.proposal_window_s,
        "status": pot.status.value,
        "frozen": pot.frozen,
        "payouts_held": pot.payouts_held,
        "created_at_ms": pot.created_at_ms,
        "closed_at_ms": pot.closed_at_ms,
    }


async def pot_view(conn: Conn, access: PotAccess, viewer_id: int) -> dict[str, Any]:
    """The whole pot for one viewer: items, options with their tallies, the balance, and the
    screening verdict for its organiser, the chat's admins and the operator."""
    pot = access.pot
    items = await store.get_items(conn, pot.id)
    options = await store.get_options(conn, pot.id)
    tallies = await option_tallies(conn, pot)
    account = (await ledger_store.get_accounts(conn, [pot.account_id]))[pot.account_id]
    view = pot_summary(pot)
    view["created_by"] = str(pot.created_by) if access.sees_contributors else None
    view["items"] = [item.view() for item in items]
    view["options"] = [
        {"id": str(option.id), "title": option.title, **tallies.get(option.id, _NO_VOTES)}
        for option in options
    ]
    view["my_option_id"] = _str_or_none(await store.get_option_vote(conn, pot.id, viewer_id))
    view["balance_minor"] = account.balance_minor
    view["available_minor"] = account.available_minor
    view["reserved_minor"] = account.debits_pending
    view["mine_minor"] = await contribution_store.held_by(conn, pot.id, viewer_id)
    organiser = viewer_id == pot.created_by or (access.role or 0) >= Role.ADMIN
    view["verdict"] = pot.verdict.view() if organiser or access.is_operator else None
    view["frozen_reason"] = pot.frozen_reason if organiser or access.is_operator else None
    return view


_NO_VOTES = {"votes": 0, "weight": 0}


def _str_or_none(value: int | None) -> str | None:
    return None if value is None else str(value)


async def option_tallies(conn: Conn, pot: Pot) -> dict[int, dict[str, int]]:
    """Per option: how many voted for it, and their weight (1 each, or what each holds in the
    pot when votes are weighted by contribution, counted now)."""
    voters = await store.get_option_voters(conn, pot.id)
    held = (
        await contribution_store.held_per_contributor(conn, pot.id)
        if pot.vote_weighting is VoteWeighting.CONTRIBUTION
        else {}
    )
    out: dict[int, dict[str, int]] = {}
    for user_id, option_id in voters:
        tally = out.setdefault(option_id, {"votes": 0, "weight": 0})
        tally["votes"] += 1
        tally["weight"] += (
            held.get(user_id, 0) if pot.vote_weighting is VoteWeighting.CONTRIBUTION else 1
        )
    return out


def _screen(ctx: Context, pot_text: Any) -> Verdict:
    return ctx.screener.screen_pot(pot_text)


async def do_create_pot(
    ctx: Context, caller: Caller, chat_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Open a pot in a group or channel. Screening decides first: BLOCK refuses with its
    reason and writes nothing; HOLD opens it frozen; REVIEW opens it with payouts held."""
    now_ms = ctx.clock.now_ms()
    draft = check_new_pot(fields, now_ms)
    verdict = _screen(ctx, draft.text())
    try:
        return await _create_pot(ctx, caller, chat_id, draft, verdict, now_ms)
    except PotRefused:
        target = Screened(
            Subject.CHAT, chat_id, chat_id, caller.user_id, f"The pot “{draft.title}”"
        )
        await record_refusal(ctx, verdict, target)
        raise


async def _create_pot(
    ctx: Context, caller: Caller, chat_id: int, draft: PotDraft, verdict: Verdict, now_ms: int
) -> dict[str, Any]:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=False
        )
        check_pot_chat(access.chat.kind)
        assert access.member is not None
        if not can_create_pot(access.member.role, access.chat.members_create_pots):
            raise Forbidden("only admins open pots in this chat")
        verdict_allows_opening(verdict)
        pot_id = new_id()
        account = await ledger_store.ensure_account(
            tx.conn,
            pot_account_key(pot_id),
            draft.currency,
            AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS,
            now_ms,
        )
        pot = Pot(
            id=pot_id,
            chat_id=chat_id,
            created_by=caller.user_id,
            title=draft.title,
            description=draft.description,
            currency=draft.currency,
            goal_minor=draft.goal_minor,
            deadline_at_ms=draft.deadline_at_ms,
            model=draft.model,
            visibility=draft.visibility,
            vote_weighting=draft.vote_weighting,
            member_cap_minor=draft.member_cap_minor,
            pot_cap_minor=draft.pot_cap_minor,
            quorum_pct=draft.quorum_pct,
            majority_pct=draft.majority_pct,
            proposal_window_s=draft.proposal_window_s,
            status=PotStatus.OPEN,
            frozen=verdict.outcome is Outcome.HOLD,
            frozen_reason=verdict.reason if verdict.outcome is Outcome.HOLD else None,
            verdict=verdict,
            raised_minor=0,
            contributor_count=0,
            account_id=account.id,
            created_at_ms=now_ms,
            closed_at_ms=None,
        )
        options = [Option(new_id(), title) for title in draft.options]
        await store.insert_pot(tx.conn, pot, draft.items, options)
        target = Screened.pot(pot, caller.user_id, f"The pot “{pot.title}”")
        await record_verdict(ctx, tx, verdict, target)
        await schedule_task(ctx, tx, TaskKind.DEADLINE, pot.id, pot.id, pot.deadline_at_ms)
        await emit_pot(ctx, tx, pot, events.POT_CREATED, by_user_id=caller.user_id)
        return await pot_view(
            tx.conn, PotAccess(pot, access, caller.user.is_operator), caller.user_id
        )


async def schedule_task(
    ctx: Context, tx: Tx, kind: TaskKind, item_id: int, pot_id: int, due_at_ms: int
) -> None:
    """Queue money work for the pot worker and wake this node's worker once `tx` commits."""
    await task_store.schedule(tx.conn, kind, item_id, pot_id, due_at_ms)

    async def wake() -> None:
        ctx.pot_signal.scheduled(due_at_ms)

    tx.on_commit(wake)


async def emit_pot(ctx: Context, tx: Tx, pot: Pot, type_: str, **data: Any) -> int:
    """A pot event in its chat, carrying the pot's summary as it is now."""
    payload = {"pot_id": str(pot.id), "pot": pot_summary(pot)}
    for key, value in data.items():
        payload[key] = str(value) if key.endswith("_id") and isinstance(value, int) else value
    return await ctx.emit(tx, pot.chat_id, type_, payload)


async def access_pot_view(ctx: Context, caller: Caller, pot_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        access = await load_pot_access(conn, caller, pot_id)
        return await pot_view(conn, access, caller.user_id)


async def access_chat_pots(ctx: Context, caller: Caller, chat_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)
        return [pot_summary(pot) for pot in await store.list_chat_pots(conn, chat_id, PAGE_MAX)]


async def do_update_pot(
    ctx: Context,
    caller: Caller,
    pot_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    items: list[dict[str, Any]] | None = None,
    options: list[str] | None = None,
) -> dict[str, Any]:
    """Edit a pot's texts, items or add options; every edit is screened again. BLOCK refuses
    the edit; HOLD freezes the pot; a verdict never gets milder by editing (a moderator
    clears it)."""
    new_title = check_line(title, "title", TITLE_MAX_CHARS) if title is not None else None
    new_description = (
        check_multiline(description, "description", DESCRIPTION_MAX_CHARS)
        if description is not None
        else None
    )
    new_items = check_items(items) if items is not None else None
    added = check_options(options) if options is not None else []
    refused: list[tuple[Pot, Verdict]] = []
    try:
        return await _update_pot(
            ctx, caller, pot_id, (new_title, new_description, new_items, added), refused
        )
    except PotRefused:
        if refused:
            pot, verdict = refused[0]
            await record_refusal(ctx, verdict, _edit_of(pot, caller))
        raise


def _edit_of(pot: Pot, caller: Caller) -> Screened:
    return Screened.pot(pot, caller.user_id, f"An edit of the pot “{pot.title}”")


async def _update_pot(
    ctx: Context,
    caller: Caller,
    pot_id: int,
    changes: tuple[str | None, str | None, list[Item] | None, list[str]],
    refused: list[tuple[Pot, Verdict]],
) -> dict[str, Any]:
    new_title, new_description, new_items, added = changes
    async with ctx.db.write() as tx:
        access = await load_pot_access(tx.conn, caller, pot_id, for_update=True)
        require_member(access)
        pot = access.pot
        if not can_manage_pot(pot, caller.user_id, access.role or Role.MEMBER):
            raise Forbidden("only the organiser or an admin edits a pot")
        if pot.status not in (PotStatus.OPEN, PotStatus.CLOSED):
            raise InvalidInput(f"this pot is {pot.status.value}")
        current_items = await store.get_items(tx.conn, pot.id)
        current_options = await store.get_options(tx.conn, pot.id)
        if {o.title for o in current_options} & set(added):
            raise InvalidInput("that option exists already", field="options")
        edited = replace(
            pot,
            title=new_title if new_title is not None else pot.title,
            description=new_description if new_description is not None else pot.description,
        )
        all_items: list[Item] = new_items if new_items is not None else current_items
        new_options = [Option(new_id(), title) for title in added]
        verdict = _screen(ctx, edited.text(all_items, [*current_options, *new_options]))
        refused.append((pot, verdict))
        verdict_allows_opening(verdict)
        if verdict.outcome.severity > pot.verdict.outcome.severity:
            edited = replace(edited, verdict=verdict)
            await record_verdict(ctx, tx, verdict, _edit_of(pot, caller))
        if verdict.outcome is Outcome.HOLD and not pot.frozen:
            edited = replace(edited, frozen=True, frozen_reason=verdict.reason)
        await store.update_pot(
            tx.conn,
            pot.id,
            title=edited.title,
            description=edited.description,
            verdict=edited.verdict,
            frozen=edited.frozen,
            frozen_reason=edited.frozen_reason,
        )
        if new_items is not None:
            await store.replace_items(tx.conn, pot.id, new_items)
        for position, option in enumerate(new_options, start=len(current_options)):
            await store.insert_option(tx.conn, pot.id, option, position)
        await emit_pot(ctx, tx, edited, events.POT_UPDATED, by_user_id=caller.user_id)
        return await pot_view(tx.conn, replace(access, pot=edited), caller.user_id)


async def do_vote_option(
    ctx: Context, caller: Caller, pot_id: int, option_id: int
) -> dict[str, Any]:
    """One vote per member on what to buy; a second vote is refused."""
    try:
        async with ctx.db.write() as tx:
            access = await load_pot_access(tx.conn, caller, pot_id, for_update=True)
            require_member(access)
            pot = access.pot
            if pot.status not in (PotStatus.OPEN, PotStatus.CLOSED) or pot.frozen:
                raise InvalidInput("voting on this pot is over")
            if option_id not in {o.id for o in await store.get_options(tx.conn, pot.id)}:
                raise InvalidInput("no such option in this pot", field="option_id")
            if await store.get_option_vote(tx.conn, pot.id, caller.user_id) is not None:
                raise AlreadyVoted("you voted on this pot's options already")
            await store.insert_option_vote(
                tx.conn, pot.id, caller.user_id, option_id, ctx.clock.now_ms()
            )
            tallies = await option_tallies(tx.conn, pot)
            await emit_pot(
                ctx,
                tx,
                pot,
                events.POT_OPTION_VOTED,
                user_id=caller.user_id if pot.visibility is Visibility.NAMED else None,
                option_id=option_id,
                options=[{"id": str(oid), **tally} for oid, tally in sorted(tallies.items())],
            )
            return await pot_view(tx.conn, access, caller.user_id)
    except IntegrityError:
        # The same member's vote raced in from another request.
        raise AlreadyVoted("you voted on this pot's options already") from None
