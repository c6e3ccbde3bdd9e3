"""Spending proposals (DESIGN.md §4.3, docs/spending.md).

A proposal reserves its amount with a pending transfer pot → payees, so two proposals can
never promise the same money. Contributors vote, each once; it passes at the pot's quorum and
majority, never on the proposer's vote alone, and a chat admin has no say beyond their own
vote as a contributor. Passed → the pot worker pays it out (`actions.payouts`); rejected, or
the window over without a decision → the reservation is voided and the money is free again.

Every writer locks in the order of the other money paths: pot → proposal → ledger accounts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from colletta.actions import behaviour
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.media import MediaFile, access_media_file
from colletta.actions.pots import (
    PotAccess,
    emit_pot,
    load_pot_access,
    lock_with_pot,
    require_member,
    schedule_task,
)
from colletta.actions.verdicts import Screened, record_refusal, record_verdict
from colletta.domain import events
from colletta.domain.cases import CaseKind
from colletta.domain.chats import Role, sees_members
from colletta.domain.ledger import AccountFlag, RefKind, TransferCode, TransferFlag
from colletta.domain.media import ExpiryKind
from colletta.domain.messages import check_client_txn_id
from colletta.domain.money import check_amount, format_amount
from colletta.domain.pots import (
    PAGE_MAX,
    TITLE_MAX_CHARS,
    AlreadyVoted,
    Pot,
    PotFrozen,
    PotRefused,
    Proposal,
    ProposalStatus,
    Tally,
    TaskKind,
    Visibility,
    check_payee,
    check_spending,
    decide,
    payee_account_key,
    proposal_transfer_id,
    resolution_transfer_id,
    verdict_allows_opening,
)
from colletta.domain.safety import Outcome, Verdict
from colletta.domain.spending import (
    HELD_RECHECK_MS,
    ProposalClosed,
    Vote,
    can_propose,
    count_votes,
    vote_weight,
)
from colletta.domain.text import check_line
from colletta.errors import Conflict, Forbidden, InvalidInput, NotFound
from colletta.ids import new_id
from colletta.safety.behaviour import stricter
from colletta.store import contributions as contribution_store
from colletta.store import expiries as expiry_store
from colletta.store import ledger as ledger_store
from colletta.store import media as media_store
from colletta.store import pot_tasks as task_store
from colletta.store import pots as pot_store
from colletta.store import proposals as store
from colletta.store.db import Conn, Tx


def no_such_proposal() -> NotFound:
    return NotFound("no such proposal")


# --- views


def proposal_summary(pot: Pot, p: Proposal, tally: Tally) -> dict[str, Any]:
    """What every member sees of a proposal, and what events carry: no person in it (the
    proposer travels as `by_user_id`, which a channel's subscribers get as null)."""
    return {
        "id": str(p.id),
        "pot_id": str(p.pot_id),
        "chat_id": str(p.chat_id),
        "proposer_id": None,
        "title": p.title,
        "amount_minor": p.amount_minor,
        "amount": format_amount(p.amount_minor, pot.currency),
        "currency": pot.currency,
        "payee": p.payee,
        "receipt_media_id": None if p.receipt_media_id is None else str(p.receipt_media_id),
        "status": p.status.value,
        "payout_id": p.payout_id,
        "closes_at_ms": p.closes_at_ms,
        "created_at_ms": p.created_at_ms,
        "resolved_at_ms": p.resolved_at_ms,
        "tally": tally.view(),
    }


def _shows_proposer(access: PotAccess) -> bool:
    role = access.role
    return access.is_operator or (role is not None and sees_members(access.chat.chat.kind, role))


async def _views(
    conn: Conn, access: PotAccess, proposals: list[Proposal], viewer_id: int
) -> list[dict[str, Any]]:
    """Proposals as `viewer_id` sees them: the tally, their own vote and whether they may
    vote; the proposer where the chat shows its members (or to the proposer)."""
    pot = access.pot
    votes = await store.list_votes(conn, [p.id for p in proposals])
    held = await contribution_store.held_per_contributor(conn, pot.id)
    shows_proposer = _shows_proposer(access)
    out = []
    for p in proposals:
        view = proposal_summary(pot, p, count_votes(pot, p, votes[p.id], held))
        if shows_proposer or p.proposer_id == viewer_id:
            view["proposer_id"] = str(p.proposer_id)
        mine = next((v for v in votes[p.id] if v.user_id == viewer_id), None)
        view["my_vote"] = None if mine is None else {"approve": mine.approve, "weight": mine.weight}
        view["can_vote"] = (
            mine is None
            and p.status is ProposalStatus.VOTING
            and vote_weight(pot, held.get(viewer_id, 0)) > 0
        )
        out.append(view)
    return out


async def proposal_view(
    conn: Conn, access: PotAccess, proposal: Proposal, viewer_id: int
) -> dict[str, Any]:
    return (await _views(conn, access, [proposal], viewer_id))[0]


async def tally_of(conn: Conn, pot: Pot, proposal: Proposal) -> Tally:
    """The proposal's tally now: its votes, and the contributors who could still vote."""
    votes = (await store.list_votes(conn, [proposal.id]))[proposal.id]
    held = await contribution_store.held_per_contributor(conn, pot.id)
    return count_votes(pot, proposal, votes, held)


async def emit_resolved(ctx: Context, tx: Tx, pot: Pot, proposal: Proposal) -> None:
    """`pot.proposal_resolved`: every change of status after voting (passed, rejected,
    expired, then paid or failed)."""
    tally = await tally_of(tx.conn, pot, proposal)
    await emit_pot(
        ctx,
        tx,
        pot,
        events.POT_PROPOSAL_RESOLVED,
        proposal_id=proposal.id,
        status=proposal.status.value,
        proposal=proposal_summary(pot, proposal, tally),
    )


# --- loading


async def _load(
    conn: Conn, caller: Caller, proposal_id: int, *, for_update: bool = False
) -> tuple[PotAccess, Proposal]:
    """The proposal and the caller's access to its pot, locked pot first; the same 404 for a
    proposal that does not exist and one in a chat the caller cannot read."""
    found = await store.get_proposal(conn, proposal_id)
    if found is None:
        raise no_such_proposal()
    try:
        access = await load_pot_access(conn, caller, found.pot_id, for_update=for_update)
    except NotFound:
        raise no_such_proposal() from None
    if for_update:
        found = await store.get_proposal(conn, proposal_id, for_update=True)
        assert found is not None
    return access, found


async def lock_proposal(tx: Tx, proposal_id: int) -> tuple[Pot, Proposal] | None:
    """The proposal and its pot, row-locked pot first."""
    return await lock_with_pot(tx, store.get_proposal, proposal_id)


# --- proposing


async def do_create_proposal(
    ctx: Context,
    caller: Caller,
    pot_id: int,
    client_id: str,
    title: str,
    amount_minor: int,
    payee: str,
    receipt_media_id: int | None = None,
) -> tuple[dict[str, Any], bool]:
    """Propose spending: reserve `amount_minor` of the pot's available money for `payee` and
    open the vote for the pot's window. (view, created): a retry with the same `client_id`
    answers with the proposal already made (created=False)."""
    check_client_txn_id(client_id, field="client_id")
    fields = (
        check_line(title, "title", TITLE_MAX_CHARS),
        check_amount(amount_minor),
        check_payee(payee),
        receipt_media_id,
    )
    try:
        return await _create(ctx, caller, pot_id, client_id, fields)
    except _Refused as refused:
        target = _spending(refused.pot, caller.user_id, fields[0])
        await record_refusal(ctx, refused.verdict, target)
        raise refused.error from None
    except _Held as held:
        await _freeze_for_review(ctx, pot_id, held, caller.user_id, fields[0])
        raise PotFrozen(
            "this spending needs a moderator's review; the pot is frozen until then",
            reason=held.verdict.reason,
        ) from None
    except IntegrityError:
        # The same client_id raced in from another request: answer with the winner.
        async with ctx.db.read() as conn:
            found = await store.get_by_client(conn, pot_id, caller.user_id, client_id)
        if found is None:
            raise
        return await access_proposal(ctx, caller, found.id), False


class _Held(Exception):
    """Screening put a proposal on HOLD: the pot is frozen in a transaction of its own."""

    def __init__(self, verdict: Verdict, kind: CaseKind = CaseKind.SCREENING) -> None:
        super().__init__(verdict.reason)
        self.verdict, self.kind = verdict, kind


class _Refused(Exception):
    """Screening refused a proposal (BLOCK): the refusal is recorded in a transaction of its
    own, since the proposal's rolls back."""

    def __init__(self, verdict: Verdict, pot: Pot, error: PotRefused) -> None:
        super().__init__(verdict.reason)
        self.verdict, self.pot, self.error = verdict, pot, error


def _spending(pot: Pot, proposer_id: int, title: str) -> Screened:
    return Screened.pot(pot, proposer_id, f"Spending “{title}” from the pot “{pot.title}”")


async def _screen_spending(
    ctx: Context, tx: Tx, pot: Pot, title: str, payee: str, caller_id: int
) -> Verdict:
    """The pot's texts with this spending, screened (DESIGN.md §5): BLOCK refuses it with the
    reason, HOLD freezes the pot, REVIEW holds the pot's payouts until a moderator clears it."""
    items = await pot_store.get_items(tx.conn, pot.id)
    options = await pot_store.get_options(tx.conn, pot.id)
    text = replace(pot.text(items, options), proposals=(title, payee))
    verdict = ctx.screener.screen_pot(text)
    try:
        verdict_allows_opening(verdict)
    except PotRefused as error:
        raise _Refused(verdict, pot, error) from None
    if verdict.outcome is Outcome.HOLD:
        raise _Held(verdict)
    if verdict.outcome.severity > pot.verdict.outcome.severity:
        await pot_store.update_pot(tx.conn, pot.id, verdict=verdict)
        await emit_pot(ctx, tx, replace(pot, verdict=verdict), events.POT_UPDATED, change="review")
        await record_verdict(ctx, tx, verdict, _spending(pot, caller_id, title))
    return verdict


async def _freeze_for_review(
    ctx: Context, pot_id: int, why: _Held, caller_id: int, title: str
) -> None:
    verdict = why.verdict
    async with ctx.db.write() as tx:
        pot = await pot_store.get_pot(tx.conn, pot_id, for_update=True)
        if pot is None or pot.frozen:
            return
        await record_verdict(ctx, tx, verdict, _spending(pot, caller_id, title), why.kind)
        held = replace(pot, frozen=True, frozen_reason=verdict.reason, verdict=verdict)
        await pot_store.update_pot(
            tx.conn, pot.id, frozen=True, frozen_reason=verdict.reason, verdict=verdict
        )
        await emit_pot(ctx, tx, held, events.POT_UPDATED, change="frozen")


async def _create(
    ctx: Context,
    caller: Caller,
    pot_id: int,
    client_id: str,
    fields: tuple[str, int, str, int | None],
) -> tuple[dict[str, Any], bool]:
    title, amount_minor, payee, receipt_media_id = fields
    async with ctx.db.write() as tx:
        access = await load_pot_access(tx.conn, caller, pot_id, for_update=True)
        require_member(access)
        pot = access.pot
        existing = await store.get_by_client(tx.conn, pot.id, caller.user_id, client_id)
        if existing is not None:
            if (
                existing.title,
                existing.amount_minor,
                existing.payee,
                existing.receipt_media_id,
            ) != fields:
                raise Conflict("that client_id was used for another proposal", field="client_id")
            return await proposal_view(tx.conn, access, existing, caller.user_id), False
        check_spending(pot)
        held = await contribution_store.held_by(tx.conn, pot.id, caller.user_id)
        if not can_propose(pot, caller.user_id, access.role or Role.MEMBER, held):
            raise Forbidden("only contributors, the pot's organiser and admins propose spending")
        screened = await _screen_spending(ctx, tx, pot, title, payee, caller.user_id)
        pot = replace(pot, verdict=stricter(pot.verdict, screened))
        flagged = await behaviour.check_spending(ctx, tx, pot, payee)
        if flagged.outcome is Outcome.HOLD:
            raise _Held(stricter(pot.verdict, flagged), CaseKind.BEHAVIOUR)
        pot = await behaviour.apply(ctx, tx, pot, flagged)
        if receipt_media_id is not None:
            await _keep_receipt(tx, pot, caller.user_id, receipt_media_id)
        now_ms = ctx.clock.now_ms()
        proposal_id = new_id()
        proposal = Proposal(
            id=proposal_id,
            pot_id=pot.id,
            chat_id=pot.chat_id,
            proposer_id=caller.user_id,
            client_id=client_id,
            title=title,
            amount_minor=amount_minor,
            payee=payee,
            receipt_media_id=receipt_media_id,
            status=ProposalStatus.VOTING,
            transfer_id=proposal_transfer_id(proposal_id),
            payout_id=None,
            closes_at_ms=now_ms + pot.proposal_window_s * 1000,
            created_at_ms=now_ms,
            resolved_at_ms=None,
        )
        payees = await ledger_store.ensure_account(
            tx.conn, payee_account_key(pot.currency), pot.currency, AccountFlag.NONE, now_ms
        )
        # The pot's account refuses to promise more than it has (ExceedsCredits, a 409).
        await ledger_store.create_transfer(
            tx.conn,
            proposal.transfer_id,
            debit_account_id=pot.account_id,
            credit_account_id=payees.id,
            amount_minor=amount_minor,
            code=TransferCode.PAYOUT,
            flags=TransferFlag.PENDING,
            ref_kind=RefKind.PROPOSAL,
            ref_id=proposal.id,
            pot_id=pot.id,
            now_ms=now_ms,
        )
        await store.insert_proposal(tx.conn, proposal)
        await schedule_task(ctx, tx, TaskKind.PROPOSAL, proposal.id, pot.id, proposal.closes_at_ms)
        view = await proposal_view(tx.conn, access, proposal, caller.user_id)
        tally = await tally_of(tx.conn, pot, proposal)
        await emit_pot(
            ctx,
            tx,
            pot,
            events.POT_PROPOSAL_CREATED,
            proposal_id=proposal.id,
            by_user_id=caller.user_id,
            proposal=proposal_summary(pot, proposal, tally),
        )
        return view, True


async def _keep_receipt(tx: Tx, pot: Pot, user_id: int, media_id: int) -> None:
    """A receipt is one of the proposer's own uploads to the pot's chat. One that no message
    carries is kept for the proposal (not purged after a day like other such uploads)."""
    item = await media_store.get_media(tx.conn, pot.chat_id, media_id)
    if item is None or item.uploader_id != user_id:
        raise InvalidInput(
            "the receipt must be one of your uploads to this chat", field="receipt_media_id"
        )
    if item.message_id is None:
        await expiry_store.unschedule(tx.conn, ExpiryKind.MEDIA, item.id)


# --- voting


async def do_vote_proposal(
    ctx: Context, caller: Caller, proposal_id: int, approve: bool
) -> dict[str, Any]:
    """One vote per contributor, weighted as the pot says (snapshotted in the vote). The
    outcome is decided as soon as no remaining vote could change it."""
    try:
        async with ctx.db.write() as tx:
            access, proposal = await _load(tx.conn, caller, proposal_id, for_update=True)
            require_member(access)
            pot = access.pot
            now_ms = ctx.clock.now_ms()
            if proposal.status is not ProposalStatus.VOTING or now_ms >= proposal.closes_at_ms:
                raise ProposalClosed("voting on this proposal is over")
            held = await contribution_store.held_by(tx.conn, pot.id, caller.user_id)
            weight = vote_weight(pot, held)
            if weight == 0:
                raise Forbidden("only contributors vote on spending")
            if await store.get_vote(tx.conn, proposal.id, caller.user_id) is not None:
                raise AlreadyVoted("you voted on this proposal already")
            await store.insert_vote(
                tx.conn, Vote(proposal.id, caller.user_id, approve, weight, now_ms)
            )
            tally = await tally_of(tx.conn, pot, proposal)
            await emit_pot(
                ctx,
                tx,
                pot,
                events.POT_PROPOSAL_VOTED,
                proposal_id=proposal.id,
                user_id=caller.user_id if pot.visibility is Visibility.NAMED else None,
                approve=approve,
                tally=tally.view(),
            )
            outcome = decide(pot, proposal, tally, window_over=False)
            if outcome is not ProposalStatus.VOTING:
                proposal = await _settle_vote(ctx, tx, pot, proposal, outcome)
            return await proposal_view(tx.conn, access, proposal, caller.user_id)
    except IntegrityError:
        # The same contributor's vote raced in from another request.
        raise AlreadyVoted("you voted on this proposal already") from None


async def close_vote(ctx: Context, proposal_id: int) -> None:
    """The proposal's window ended: decide it (the pot worker's PROPOSAL task). Passed,
    rejected, or expired when too few voted."""
    async with ctx.db.write() as tx:
        locked = await lock_proposal(tx, proposal_id)
        if locked is None:
            return
        pot, proposal = locked
        if proposal.status is not ProposalStatus.VOTING:
            await task_store.unschedule(tx.conn, TaskKind.PROPOSAL, proposal.id)
            return
        if ctx.clock.now_ms() < proposal.closes_at_ms:
            return  # not yet: the task stays due at closes_at_ms
        tally = await tally_of(tx.conn, pot, proposal)
        outcome = decide(pot, proposal, tally, window_over=True)
        await _settle_vote(ctx, tx, pot, proposal, outcome)


async def _settle_vote(
    ctx: Context, tx: Tx, pot: Pot, proposal: Proposal, outcome: ProposalStatus
) -> Proposal:
    """Apply a decided vote: passed → queue the payout (later while the pot's payouts are
    held); rejected or expired → release the reservation."""
    now_ms = ctx.clock.now_ms()
    if outcome is ProposalStatus.PASSED:
        due_ms = now_ms + HELD_RECHECK_MS if pot.payouts_held else now_ms
        await schedule_task(ctx, tx, TaskKind.PAYOUT, proposal.id, pot.id, due_ms)
    else:
        flag = (
            TransferFlag.EXPIRE_PENDING
            if outcome is ProposalStatus.EXPIRED
            else TransferFlag.VOID_PENDING
        )
        await ledger_store.resolve_pending(
            tx.conn,
            resolution_transfer_id(proposal.transfer_id),
            proposal.transfer_id,
            flag,
            now_ms=now_ms,
        )
    await store.update_proposal(tx.conn, proposal.id, status=outcome, resolved_at_ms=now_ms)
    await task_store.unschedule(tx.conn, TaskKind.PROPOSAL, proposal.id)
    settled = replace(proposal, status=outcome, resolved_at_ms=now_ms)
    await emit_resolved(ctx, tx, pot, settled)
    return settled


# --- reading


async def access_proposals(
    ctx: Context, caller: Caller, pot_id: int, after_id: int | None = None, limit: int = PAGE_MAX
) -> dict[str, Any]:
    """A pot's proposals, oldest first, for its chat's members."""
    limit = max(1, min(limit, PAGE_MAX))
    async with ctx.db.read() as conn:
        access = await load_pot_access(conn, caller, pot_id)
        require_member(access)
        listed = await store.list_proposals(conn, pot_id, after_id=after_id, limit=limit)
        views = await _views(conn, access, listed, caller.user_id)
    return {
        "proposals": views,
        "next_after": str(listed[-1].id) if len(listed) == limit else None,
    }


async def access_receipt_file(
    ctx: Context, caller: Caller, proposal_id: int, *, thumbnail: bool
) -> MediaFile:
    """A proposal's receipt (or its thumbnail), for everyone who reads the proposal: the
    voters check it, though no message carries the upload."""
    async with ctx.db.read() as conn:
        access, proposal = await _load(conn, caller, proposal_id)
        require_member(access)
    if proposal.receipt_media_id is None:
        raise NotFound("this proposal has no receipt")
    return await access_media_file(
        ctx, caller, proposal.chat_id, proposal.receipt_media_id, thumbnail=thumbnail, receipt=True
    )


async def access_proposal(ctx: Context, caller: Caller, proposal_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        access, proposal = await _load(conn, caller, proposal_id)
        require_member(access)
        return await proposal_view(conn, access, proposal, caller.user_id)
