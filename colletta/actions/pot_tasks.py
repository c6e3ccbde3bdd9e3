"""The pot worker's work (DESIGN.md §4, §6): deadlines, vote windows, refunds, payouts, and
giving a pot's money back, on as many nodes as there are.

A sweep leases a batch of due tasks in one short transaction (SKIP LOCKED, then due again
after the lease, one attempt more) and commits before running any: provider calls are
network calls and never run inside a transaction. Each task's step is idempotent; a node
that dies mid-task leaves its lease to run out, and the next node to lease it does the same
step with the same idempotency keys. A finished task is deleted, or due again when its step
says so, only if it is still the lease this node took (`store.pot_tasks.end_lease`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from colletta.actions import payouts, proposals
from colletta.actions.context import Context
from colletta.actions.contributions import provider_of
from colletta.actions.pots import emit_pot, schedule_task
from colletta.actions.refunds import (
    close_with_nothing_back,
    retry_delay_ms,
    run_refund,
    settle_if_empty,
    start_refund,
)
from colletta.domain import events
from colletta.domain.ledger import TransferCode, TransferFlag
from colletta.domain.money import split_pro_rata
from colletta.domain.pot_admin import at_deadline, deadline_due
from colletta.domain.pots import (
    Pot,
    PotStatus,
    ProposalStatus,
    TaskKind,
    resolution_transfer_id,
)
from colletta.errors import Outage, Unavailable
from colletta.log import get_logger
from colletta.store import contributions as contribution_store
from colletta.store import ledger as ledger_store
from colletta.store import pot_tasks as store
from colletta.store import pots as pot_store
from colletta.store.db import Tx
from colletta.store.pot_tasks import PotTask

log = get_logger(__name__)
# Tasks leased per transaction: few, so that a batch of slow provider calls ends well within
# its lease and another node does not start the same calls over.
LEASE_BATCH = 16
# Contributions given back per transaction while a pot is refunded.
REFUND_BATCH = 200
# A pot waiting for a payout in flight before it splits what is left: asked again this often.
PAYOUT_WAIT_MS = 60_000


async def next_due_ms(ctx: Context) -> int | None:
    async with ctx.db.read() as conn:
        return await store.next_due_ms(conn)


async def run_due_tasks(ctx: Context) -> int:
    """Run every task due by now, a leased batch at a time; returns how many ran."""
    ran = 0
    lease_ms = ctx.settings.pot_task_lease_s * 1000
    while True:
        async with ctx.db.write() as tx:
            leased = await store.lease_due(tx.conn, ctx.clock.now_ms(), LEASE_BATCH, lease_ms)
        if not leased:
            return ran
        for task in leased:
            await _run_leased(ctx, task)
            ran += 1


async def _run_leased(ctx: Context, task: PotTask) -> None:
    """One leased task; a failure leaves the lease to run out (the task is tried again)."""
    try:
        again_ms = await _STEPS[task.kind](ctx, task)
    except Outage as exc:
        log.warning("pots: %s task failed, %s; retried after its lease", task.kind, exc.detail)
        return
    except Exception:
        log.exception("pots: %s task failed; retried after its lease", task.kind.value)
        return
    async with ctx.db.write() as tx:
        await store.end_lease(tx.conn, task, again_ms)


async def _deadline(ctx: Context, task: PotTask) -> int | None:
    return await do_close_pot_at_deadline(ctx, task.item_id)


async def _proposal(ctx: Context, task: PotTask) -> int | None:
    await proposals.close_vote(ctx, task.item_id)
    return None


async def _payout(ctx: Context, task: PotTask) -> int | None:
    return await payouts.run_payout(ctx, task.item_id)


async def _refund(ctx: Context, task: PotTask) -> int | None:
    """Ask the contribution's provider; asked again no sooner than the backoff of this
    task's attempts (an unreachable provider is asked less and less often)."""
    async with ctx.db.read() as conn:
        contribution = await contribution_store.get_contribution(conn, task.item_id)
    if contribution is None:
        return None
    try:
        provider = provider_of(ctx, contribution.provider)
    except Unavailable:
        log.warning("pots: provider %s is not set up; refund waits", contribution.provider)
        return ctx.clock.now_ms() + retry_delay_ms(task.attempts)
    again_ms = await run_refund(ctx, provider, contribution.id)
    if again_ms is None:
        return None
    return max(again_ms, ctx.clock.now_ms() + retry_delay_ms(task.attempts))


async def _refund_all(ctx: Context, task: PotTask) -> int | None:
    return await do_refund_batch(ctx, task.item_id)


_STEPS: dict[TaskKind, Callable[[Context, PotTask], Awaitable[int | None]]] = {
    TaskKind.DEADLINE: _deadline,
    TaskKind.PROPOSAL: _proposal,
    TaskKind.PAYOUT: _payout,
    TaskKind.REFUND: _refund,
    TaskKind.REFUND_ALL: _refund_all,
}


# --- deadlines


async def do_close_pot_at_deadline(ctx: Context, pot_id: int) -> int | None:
    """An open pot at its deadline: all-or-nothing below its goal is given back, anything
    else closes. Idempotent; returns when to look again if the deadline is still ahead (a
    node whose clock is behind). A frozen pot's deadline waits: unfreezing schedules it
    again, and refunding all makes it moot."""
    async with ctx.db.write() as tx:
        pot = await pot_store.get_pot(tx.conn, pot_id, for_update=True)
        if pot is None or pot.status is not PotStatus.OPEN or pot.frozen:
            return None
        now_ms = ctx.clock.now_ms()
        if not deadline_due(pot, now_ms):
            return pot.deadline_at_ms
        if at_deadline(pot) is PotStatus.REFUNDING:
            await begin_refunding(ctx, tx, pot, cause="goal_missed")
        else:
            await pot_store.update_pot(
                tx.conn, pot.id, status=PotStatus.CLOSED, closed_at_ms=now_ms
            )
            await emit_updated(ctx, tx, pot.id, change="closed", cause="deadline")
    return None


async def emit_updated(
    ctx: Context, tx: Tx, pot_id: int, *, change: str, by_user_id: int | None = None, **data: Any
) -> Pot:
    """`pot.updated` saying what `change`d, with the pot as it is now in `tx`; returns it."""
    pot = await pot_store.get_pot(tx.conn, pot_id)
    assert pot is not None
    if by_user_id is not None:
        data["by_user_id"] = by_user_id
    await emit_pot(ctx, tx, pot, events.POT_UPDATED, change=change, **data)
    return pot


# --- giving a pot's money back


async def begin_refunding(
    ctx: Context, tx: Tx, pot: Pot, *, cause: str, by_user_id: int | None = None
) -> Pot:
    """Turn `pot` (locked in `tx`) to REFUNDING: spending votes still running are voided,
    and the worker gives back what is left, a page at a time (REFUND_ALL), split over the
    contributions by what each still has in (all of it when nothing was spent)."""
    now_ms = ctx.clock.now_ms()
    await void_voting_proposals(ctx, tx, pot, now_ms)
    # Spending the contributors already passed is paid first (asked now, unless payouts are
    # held): a payout may have reached the provider before a crash recorded it, so it is
    # never voided here; the split waits for it.
    if not pot.payouts_held:
        await payouts.resume_payouts(ctx, tx, pot.id)
    await pot_store.update_pot(
        tx.conn,
        pot.id,
        status=PotStatus.REFUNDING,
        closed_at_ms=pot.closed_at_ms if pot.closed_at_ms is not None else now_ms,
    )
    await store.unschedule(tx.conn, TaskKind.DEADLINE, pot.id)
    await schedule_task(ctx, tx, TaskKind.REFUND_ALL, pot.id, pot.id, now_ms)
    await emit_updated(ctx, tx, pot.id, change="refunding", cause=cause, by_user_id=by_user_id)
    # Nothing in it (nothing raised, or all spent): settled at once.
    return await settle_if_empty(ctx, tx, pot.id)


async def void_voting_proposals(ctx: Context, tx: Tx, pot: Pot, now_ms: int) -> None:
    """Release the funds reserved by the pot's running spending votes (they are rejected:
    the money is going back). Payouts already passed are left to the payout step."""
    for proposal_id, transfer_id in await pot_store.list_proposal_reservations(
        tx.conn, pot.id, ProposalStatus.VOTING
    ):
        await ledger_store.resolve_pending(
            tx.conn,
            resolution_transfer_id(transfer_id),
            transfer_id,
            TransferFlag.VOID_PENDING,
            now_ms=now_ms,
        )
        await pot_store.resolve_proposal(tx.conn, proposal_id, ProposalStatus.REJECTED, now_ms)
        await store.unschedule(tx.conn, TaskKind.PROPOSAL, proposal_id)
        await emit_pot(
            ctx,
            tx,
            pot,
            events.POT_PROPOSAL_RESOLVED,
            proposal_id=proposal_id,
            status=ProposalStatus.REJECTED.value,
            cause="pot_refunded",
        )


async def do_refund_batch(ctx: Context, pot_id: int) -> int | None:
    """One page of a refunding pot's REFUND_ALL task, in one transaction: start refunds for
    the next REFUND_BATCH posted contributions, each its share of what the pot has available
    now (largest remainder over every contribution still posted, so the shares add up
    exactly). Returns when to run the next page, or None when every contribution has its
    refund started (then the pot is settled as soon as it is empty).

    Resumable after a crash: a started refund moves its contribution out of POSTED in the same
    transaction, so the next page is simply the posted ones left. While a payout is in flight
    the split waits: its money may yet come back."""
    async with ctx.db.write() as tx:
        pot = await pot_store.get_pot(tx.conn, pot_id, for_update=True)
        if pot is None or pot.status is not PotStatus.REFUNDING:
            return None
        now_ms = ctx.clock.now_ms()
        by_code = await ledger_store.sum_by_code(tx.conn, pot.id)
        if by_code.get(TransferCode.PAYOUT, (0, 0))[1]:
            return now_ms + PAYOUT_WAIT_MS
        held = await contribution_store.list_posted_held(tx.conn, pot.id)
        if not held:
            await settle_if_empty(ctx, tx, pot.id)
            return None
        account = (await ledger_store.get_accounts(tx.conn, [pot.account_id]))[pot.account_id]
        weights = [amount for _, amount in held]
        shares = split_pro_rata(min(account.available_minor, sum(weights)), weights)
        for (contribution_id, _), share in list(zip(held, shares, strict=True))[:REFUND_BATCH]:
            contribution = await contribution_store.get_contribution(
                tx.conn, contribution_id, for_update=True
            )
            assert contribution is not None
            if share:
                await start_refund(ctx, tx, pot, contribution, amount_minor=share)
            else:
                await close_with_nothing_back(ctx, tx, pot, contribution)
        return now_ms
