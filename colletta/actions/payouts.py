"""Payouts of spending the contributors voted through.

The pot worker asks the provider (outside any transaction: a network call) with the
proposal's transfer id as the idempotency key, so asking again after a crash or a timeout is
the same payout, never a second one. What the provider answers, or later says in a webhook,
is applied once: paid → the reservation is posted; failed → it is voided and the money is
free again. While a pot is frozen or its screening wants a moderator (`Pot.payouts_held`),
nothing is asked: the task waits and is looked at again (`resume_payouts` lets it go at once).
"""

from __future__ import annotations

from dataclasses import replace

from colletta.actions.context import Context
from colletta.actions.contributions import provider_of
from colletta.actions.pots import schedule_task
from colletta.actions.proposals import emit_resolved, lock_proposal
from colletta.actions.refunds import CONFIRM_WAIT_MS, RETRY_FIRST_MS, settle_if_empty
from colletta.domain.ledger import TransferFlag
from colletta.domain.pots import ProposalStatus, TaskKind, resolution_transfer_id
from colletta.domain.spending import HELD_RECHECK_MS
from colletta.errors import Unavailable
from colletta.log import get_logger
from colletta.payments.provider import (
    Outcome,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
)
from colletta.store import ledger as ledger_store
from colletta.store import pot_tasks as task_store
from colletta.store import pots as pot_store
from colletta.store import proposals as store
from colletta.store.db import Tx

log = get_logger(__name__)


async def run_payout(ctx: Context, proposal_id: int) -> int | None:
    """Ask the provider to pay a passed proposal (the pot worker's PAYOUT task). Returns when
    to ask again (ms), or None when the task is finished."""
    async with ctx.db.read() as conn:
        proposal = await store.get_proposal(conn, proposal_id)
        pot = None if proposal is None else await pot_store.get_pot(conn, proposal.pot_id)
    if proposal is None or pot is None or proposal.status is not ProposalStatus.PASSED:
        return None
    now_ms = ctx.clock.now_ms()
    # Once asked (payout_id known), asking again with the key only reads where it stands.
    if pot.payouts_held and proposal.payout_id is None:
        return now_ms + HELD_RECHECK_MS
    try:
        provider = provider_of(ctx)
        move = await provider.payout(
            proposal.amount_minor,
            pot.currency,
            proposal.payee,
            key=proposal.transfer_id,
            metadata={"proposal_id": str(proposal.id), "pot_id": str(pot.id)},
        )
    except (ProviderError, Unavailable):
        log.warning("payments: provider unreachable for a payout; will retry")
        return now_ms + RETRY_FIRST_MS
    except ProviderDeclined:
        await fail_payout(ctx, proposal.id, None)
        return None
    if move.outcome is Outcome.SUCCEEDED:
        await finish_payout(ctx, proposal.id, move.id)
        return None
    if move.outcome is Outcome.FAILED:
        await fail_payout(ctx, proposal.id, move.id)
        return None
    async with ctx.db.write() as tx:
        locked = await lock_proposal(tx, proposal.id)
        if locked is not None and locked[1].payout_id is None:
            await store.update_proposal(tx.conn, proposal.id, payout_id=move.id)
    return now_ms + CONFIRM_WAIT_MS


async def on_payout_event(ctx: Context, event: ProviderEvent) -> None:
    """The provider paid or failed a payout: the same steps as the worker's, once."""
    raw = event.metadata.get("proposal_id", "")
    proposal_id = int(raw) if raw.isdigit() and len(raw) <= 19 else None
    async with ctx.db.read() as conn:
        proposal = None if proposal_id is None else await store.get_proposal(conn, proposal_id)
        pot = None if proposal is None else await pot_store.get_pot(conn, proposal.pot_id)
    if proposal is None or pot is None:
        log.info("payments: %s payout event for an unknown payout; ignored", event.provider)
        return
    if (proposal.amount_minor, pot.currency) != (event.amount_minor, event.currency):
        log.warning(
            "payments: %s payout event for proposal %s does not match its amount; ignored",
            event.provider,
            proposal.id,
        )
        return
    if event.kind is ProviderEventKind.PAYOUT_PAID:
        await finish_payout(ctx, proposal.id, event.object_id)
    elif event.kind is ProviderEventKind.PAYOUT_FAILED:
        await fail_payout(ctx, proposal.id, event.object_id)


async def finish_payout(ctx: Context, proposal_id: int, payout_id: str) -> None:
    """The provider paid: post the reservation, once."""
    await _settle_payout(ctx, proposal_id, payout_id, paid=True)


async def fail_payout(ctx: Context, proposal_id: int, payout_id: str | None) -> None:
    """The provider will not pay: void the reservation, once; the money is available again."""
    await _settle_payout(ctx, proposal_id, payout_id, paid=False)


async def _settle_payout(
    ctx: Context, proposal_id: int, payout_id: str | None, *, paid: bool
) -> None:
    async with ctx.db.write() as tx:
        locked = await lock_proposal(tx, proposal_id)
        if locked is None:
            return
        pot, proposal = locked
        if proposal.status is not ProposalStatus.PASSED:
            if paid and proposal.status is ProposalStatus.FAILED:
                # A provider's failure is final; a "paid" after it is theirs to explain.
                log.error("payments: payout of proposal %s paid after it failed", proposal.id)
            return  # a replay, or an event after the other outcome
        status = ProposalStatus.PAID if paid else ProposalStatus.FAILED
        await ledger_store.resolve_pending(
            tx.conn,
            resolution_transfer_id(proposal.transfer_id),
            proposal.transfer_id,
            TransferFlag.POST_PENDING if paid else TransferFlag.VOID_PENDING,
            now_ms=ctx.clock.now_ms(),
        )
        payout_id = payout_id or proposal.payout_id
        await store.update_proposal(tx.conn, proposal.id, status=status, payout_id=payout_id)
        await task_store.unschedule(tx.conn, TaskKind.PAYOUT, proposal.id)
        await settle_if_empty(ctx, tx, pot.id)  # a refunding pot whose last money left
        if not paid:
            log.warning("payments: payout of proposal %s failed; its money is free", proposal.id)
        settled = replace(proposal, status=status, payout_id=payout_id)
        await emit_resolved(ctx, tx, pot, settled)


async def resume_payouts(ctx: Context, tx: Tx, pot_id: int) -> int:
    """The pot's payouts are no longer held (unfrozen, or a moderator cleared its review):
    every passed proposal's payout falls due now. Returns how many. Inside `tx`."""
    now_ms = ctx.clock.now_ms()
    passed = await store.list_proposals(
        tx.conn, pot_id, statuses=(ProposalStatus.PASSED,), limit=None
    )
    for proposal in passed:
        await schedule_task(ctx, tx, TaskKind.PAYOUT, proposal.id, pot_id, now_ms)
    return len(passed)
