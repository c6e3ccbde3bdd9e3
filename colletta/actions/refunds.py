"""Refunds: a contribution goes back to its payer, at most once.

The money is first reserved (a pending transfer pot → clearing), then asked of the provider
by the pot worker, with the transfer's id as the provider's idempotency key; the provider's
confirmation posts the transfer, a failure voids it and a new attempt is queued.
"""

from __future__ import annotations

from colletta.actions.context import Context
from colletta.actions.pots import emit_pot, lock_with_pot, schedule_task
from colletta.domain import events
from colletta.domain.ledger import AccountFlag, RefKind, TransferCode, TransferFlag
from colletta.domain.pots import (
    Contribution,
    ContributionStatus,
    Pot,
    PotStatus,
    TaskKind,
    Visibility,
    clearing_account_key,
    refund_transfer_id,
    resolution_transfer_id,
)
from colletta.errors import InvalidInput
from colletta.log import get_logger
from colletta.payments.provider import (
    Outcome,
    Provider,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
)
from colletta.store import contributions as store
from colletta.store import ledger as ledger_store
from colletta.store import pot_tasks as task_store
from colletta.store import pots as pot_store
from colletta.store.db import Tx

log = get_logger(__name__)
# A refund the provider could not make is tried again later, then less and less often.
RETRY_FIRST_MS = 60_000
RETRY_MAX_MS = 86_400_000
# A refund the provider accepted but has not confirmed: ask again after this long.
CONFIRM_WAIT_MS = 3_600_000
# In a refund's metadata: the attempt (its transfer id) the provider's events are about.
ATTEMPT_FIELD = "refund_transfer_id"


def retry_delay_ms(attempts: int) -> int:
    """Doubling from RETRY_FIRST_MS with each failed attempt, up to RETRY_MAX_MS."""
    return min(RETRY_FIRST_MS << min(max(attempts - 1, 0), 20), RETRY_MAX_MS)


async def start_refund(
    ctx: Context,
    tx: Tx,
    pot: Pot,
    contribution: Contribution,
    *,
    delay_ms: int = 0,
    amount_minor: int | None = None,
) -> None:
    """Reserve the contribution's money for going back and queue the provider call; nothing
    if it is not in the pot (already refunding, refunded, or never confirmed). `amount_minor`
    gives back part of it (its share of a remainder); by default all it still has in."""
    if contribution.status is not ContributionStatus.POSTED:
        return
    held_minor = contribution.amount_minor - contribution.refunded_minor
    if amount_minor is None:
        amount_minor = held_minor
    if not 0 < amount_minor <= held_minor:
        raise InvalidInput("a refund gives back more than zero and at most what is in")
    now_ms = ctx.clock.now_ms()
    clearing = await ledger_store.ensure_account(
        tx.conn,
        clearing_account_key(contribution.provider, contribution.currency),
        contribution.currency,
        AccountFlag.NONE,
        now_ms,
    )
    attempt = await ledger_store.count_transfers(
        tx.conn, RefKind.CONTRIBUTION, contribution.id, TransferCode.REFUND
    )
    transfer_id = refund_transfer_id(contribution.id, attempt)
    await ledger_store.create_transfer(
        tx.conn,
        transfer_id,
        debit_account_id=pot.account_id,
        credit_account_id=clearing.id,
        amount_minor=amount_minor,
        code=TransferCode.REFUND,
        flags=TransferFlag.PENDING,
        ref_kind=RefKind.CONTRIBUTION,
        ref_id=contribution.id,
        pot_id=pot.id,
        now_ms=now_ms,
    )
    await store.update_contribution(
        tx.conn,
        contribution.id,
        status=ContributionStatus.REFUNDING,
        refund_transfer_id=transfer_id,
    )
    await schedule_task(ctx, tx, TaskKind.REFUND, contribution.id, pot.id, now_ms + delay_ms)


async def run_refund(ctx: Context, provider: Provider, contribution_id: int) -> int | None:
    """Ask the provider for a queued refund (the pot worker's job, outside any transaction).
    Returns when to ask again (ms), or None when the task is finished."""
    async with ctx.db.read() as conn:
        contribution = await store.get_contribution(conn, contribution_id)
        if contribution is None or contribution.status is not ContributionStatus.REFUNDING:
            return None
        assert contribution.refund_transfer_id is not None
        assert contribution.payment_id is not None
        reserved = await ledger_store.get_transfer(conn, contribution.refund_transfer_id)
        assert reserved is not None
    try:
        move = await provider.refund(
            contribution.payment_id,
            reserved.amount_minor,
            contribution.currency,
            key=contribution.refund_transfer_id,
            metadata={
                "contribution_id": str(contribution.id),
                "pot_id": str(contribution.pot_id),
                # Which attempt: its events end that attempt and no other.
                ATTEMPT_FIELD: contribution.refund_transfer_id,
            },
        )
    except ProviderError:
        log.warning("payments: %s unreachable for a refund; will retry", provider.name)
        return ctx.clock.now_ms() + RETRY_FIRST_MS
    except ProviderDeclined:
        await fail_refund(ctx, contribution.id, contribution.refund_transfer_id)
        return None
    if move.outcome is Outcome.SUCCEEDED:
        await finish_refund(ctx, contribution.id, contribution.refund_transfer_id, move.id)
        return None
    if move.outcome is Outcome.FAILED:
        await fail_refund(ctx, contribution.id, contribution.refund_transfer_id)
        return None
    async with ctx.db.write() as tx:
        await store.update_contribution(tx.conn, contribution.id, refund_id=move.id)
    return ctx.clock.now_ms() + CONFIRM_WAIT_MS


async def on_refund_event(ctx: Context, event: ProviderEvent) -> None:
    """The provider confirmed or failed a refund: the same steps as the worker's, once."""
    raw = event.metadata.get("contribution_id", "")
    if not (raw.isdigit() and len(raw) <= 19):
        log.info("payments: %s refund event for an unknown payment; ignored", event.provider)
        return
    async with ctx.db.read() as conn:
        contribution = await store.get_contribution(conn, int(raw))
    if contribution is None or contribution.refund_transfer_id is None:
        log.info("payments: %s refund event for an unknown payment; ignored", event.provider)
        return
    # The attempt the event is about: a late or repeated failure of an earlier attempt must
    # not fail the one under way (the provider may be paying it). Refunds asked before the
    # attempt was in the metadata name none: the current attempt, as it was.
    transfer_id = event.metadata.get(ATTEMPT_FIELD) or contribution.refund_transfer_id
    if event.kind is ProviderEventKind.REFUND_SUCCEEDED:
        await finish_refund(ctx, contribution.id, transfer_id, event.object_id)
    else:
        await fail_refund(ctx, contribution.id, transfer_id)


async def finish_refund(
    ctx: Context, contribution_id: int, transfer_id: str, refund_id: str
) -> None:
    """The provider gave the money back: post the reservation, once."""
    async with ctx.db.write() as tx:
        locked = await lock_with_pot(tx, store.get_contribution, contribution_id)
        if locked is None:
            return
        pot, contribution = locked
        if (
            contribution.status is not ContributionStatus.REFUNDING
            or contribution.refund_transfer_id != transfer_id
        ):
            return  # a replay, or an attempt that was already failed
        now_ms = ctx.clock.now_ms()
        posted, _ = await ledger_store.resolve_pending(
            tx.conn,
            resolution_transfer_id(transfer_id),
            transfer_id,
            TransferFlag.POST_PENDING,
            now_ms=now_ms,
        )
        # All it had in, or its share of a remainder: either way it is done with the pot.
        amount_minor = posted.amount_minor
        await store.update_contribution(
            tx.conn,
            contribution.id,
            status=ContributionStatus.REFUNDED,
            refunded_minor=contribution.refunded_minor + amount_minor,
            refund_id=refund_id,
        )
        await _left_pot(tx, pot.id, contribution.user_id, amount_minor)
        await task_store.unschedule(tx.conn, TaskKind.REFUND, contribution.id)
        pot = await settle_if_empty(ctx, tx, pot.id)
        await emit_pot(
            ctx,
            tx,
            pot,
            events.POT_CONTRIBUTION_REFUNDED,
            contribution_id=contribution.id,
            user_id=contribution.user_id if pot.visibility is Visibility.NAMED else None,
            amount_minor=amount_minor,
        )


async def fail_refund(ctx: Context, contribution_id: int, transfer_id: str) -> None:
    """The provider could not give the money back: release the reservation and queue a new
    attempt (a new provider key: the failed one moved no money)."""
    async with ctx.db.write() as tx:
        locked = await lock_with_pot(tx, store.get_contribution, contribution_id)
        if locked is None:
            return
        pot, contribution = locked
        if (
            contribution.status is not ContributionStatus.REFUNDING
            or contribution.refund_transfer_id != transfer_id
        ):
            return
        voided, _ = await ledger_store.resolve_pending(
            tx.conn,
            resolution_transfer_id(transfer_id),
            transfer_id,
            TransferFlag.VOID_PENDING,
            now_ms=ctx.clock.now_ms(),
        )
        await store.update_contribution(tx.conn, contribution.id, status=ContributionStatus.POSTED)
        attempts = await ledger_store.count_transfers(
            tx.conn, RefKind.CONTRIBUTION, contribution.id, TransferCode.REFUND
        )
        log.warning("payments: refund attempt %d of a contribution failed", attempts)
        delay_ms = retry_delay_ms(attempts)
        posted = await store.get_contribution(tx.conn, contribution.id)
        assert posted is not None
        # The same amount again: a share of a remainder stays that share.
        await start_refund(
            ctx, tx, pot, posted, delay_ms=delay_ms, amount_minor=voided.amount_minor
        )


async def _left_pot(tx: Tx, pot_id: int, user_id: int, amount_minor: int) -> None:
    """A contribution of `user_id` is done with the pot, `amount_minor` of it given back: the
    pot's totals follow (one contributor fewer once nothing of theirs is in)."""
    still_in = await store.held_by(tx.conn, pot_id, user_id)
    await pot_store.add_raised(tx.conn, pot_id, -amount_minor, 0 if still_in else -1)


async def close_with_nothing_back(
    ctx: Context, tx: Tx, pot: Pot, contribution: Contribution
) -> None:
    """A posted contribution whose share of a pot's remainder rounds to nothing: done with
    the pot (REFUNDED, refunded_minor as it was), so the split moves on past it."""
    if contribution.status is not ContributionStatus.POSTED:
        return
    await store.update_contribution(tx.conn, contribution.id, status=ContributionStatus.REFUNDED)
    await _left_pot(tx, pot.id, contribution.user_id, 0)


async def settle_if_empty(ctx: Context, tx: Tx, pot_id: int) -> Pot:
    """A refunding pot with nothing left in its account (nothing reserved either) is settled.
    The account, not `raised_minor`: money spent on payouts is out of the pot too."""
    pot = await pot_store.get_pot(tx.conn, pot_id)
    assert pot is not None
    account = (await ledger_store.get_accounts(tx.conn, [pot.account_id]))[pot.account_id]
    if (
        pot.status is PotStatus.REFUNDING
        and account.balance_minor == 0
        and account.debits_pending == 0
    ):
        await pot_store.update_pot(tx.conn, pot.id, status=PotStatus.SETTLED)
        pot = await pot_store.get_pot(tx.conn, pot_id)
        assert pot is not None
        await emit_pot(ctx, tx, pot, events.POT_UPDATED, change="settled")
    return pot
