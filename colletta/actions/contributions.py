"""The path of a contribution (DESIGN.md §4): ask the provider for a payment, and mirror in
the ledger what the provider confirms, once, however often and in whatever order its webhooks
arrive."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from colletta.actions import behaviour, refunds
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.pots import (
    emit_pot,
    load_pot_access,
    lock_with_pot,
    no_such_pot,
    require_member,
)
from colletta.domain import events
from colletta.domain.ledger import AccountFlag, RefKind, TransferCode
from colletta.domain.messages import check_client_txn_id
from colletta.domain.pots import (
    PAGE_MAX,
    Contribution,
    ContributionStatus,
    Pot,
    Visibility,
    check_contribution,
    clearing_account_key,
    contribution_transfer_id,
    over_cap,
)
from colletta.errors import Conflict, InvalidInput, Unavailable
from colletta.ids import new_id
from colletta.log import get_logger
from colletta.payments.provider import (
    PaymentRequest,
    Provider,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
)
from colletta.store import contributions as store
from colletta.store import ledger as ledger_store
from colletta.store import pots as pot_store
from colletta.store.db import Tx

log = get_logger(__name__)
PROVIDER_RETRY_AFTER_S = 5


def provider_of(ctx: Context, name: str | None = None) -> Provider:
    """The provider called `name` (the default one for new payments)."""
    found = ctx.providers.default if name is None else ctx.providers.get(name)
    if found is None:
        raise Unavailable(f"payment provider {name} is not set up", PROVIDER_RETRY_AFTER_S)
    return found


def contribution_view(c: Contribution, *, named: bool) -> dict[str, Any]:
    view = c.view(show_contributor=named)
    view["checkout_url"] = c.checkout_url if c.status is ContributionStatus.PENDING else None
    return view


async def do_contribute(
    ctx: Context,
    caller: Caller,
    pot_id: int,
    amount_minor: int,
    currency: str,
    client_id: str,
) -> dict[str, Any]:
    """Start a contribution: a payment the contributor completes at the provider (the
    sandbox's checkout page by default). The money counts once the provider confirms it.
    A retry with the same `client_id` returns the same contribution and payment."""
    check_client_txn_id(client_id, field="client_id")
    try:
        contribution, title = await _open(ctx, caller, pot_id, amount_minor, currency, client_id)
    except IntegrityError:
        # The same client_id raced in from another request: answer with the winner.
        async with ctx.db.read() as conn:
            found = await store.get_by_client(conn, pot_id, caller.user_id, client_id)
            pot = await pot_store.get_pot(conn, pot_id)
        if found is None or pot is None:
            raise
        contribution, title = found, pot.title
    client_secret = None
    if contribution.status is ContributionStatus.PENDING and contribution.payment_id is None:
        provider = provider_of(ctx, contribution.provider)
        contribution, client_secret = await _start_payment(ctx, provider, contribution, title)
    view = contribution_view(contribution, named=True)
    # Never stored: only the answer that started the payment carries it.
    view["client_secret"] = client_secret
    return view


async def _open(
    ctx: Context,
    caller: Caller,
    pot_id: int,
    amount_minor: int,
    currency: str,
    client_id: str,
) -> tuple[Contribution, str]:
    async with ctx.db.write() as tx:
        access = await load_pot_access(tx.conn, caller, pot_id)
        require_member(access)
        pot = access.pot
        existing = await store.get_by_client(tx.conn, pot_id, caller.user_id, client_id)
        if existing is not None:
            if (existing.amount_minor, existing.currency) != (amount_minor, currency):
                raise Conflict(
                    "that client_id was used for another contribution", field="client_id"
                )
            return existing, pot.title
        mine_minor = await store.held_by(tx.conn, pot_id, caller.user_id)
        check_contribution(pot, amount_minor, currency, mine_minor)
        provider = provider_of(ctx).name
        contribution = Contribution(
            id=new_id(),
            pot_id=pot.id,
            chat_id=pot.chat_id,
            user_id=caller.user_id,
            client_id=client_id,
            amount_minor=amount_minor,
            currency=currency,
            provider=provider,
            payment_id=None,
            checkout_url=None,
            status=ContributionStatus.PENDING,
            transfer_id=None,
            refund_transfer_id=None,
            refunded_minor=0,
            created_at_ms=ctx.clock.now_ms(),
            posted_at_ms=None,
        )
        await store.insert_contribution(tx.conn, contribution)
        return contribution, pot.title


async def _start_payment(
    ctx: Context, provider: Provider, contribution: Contribution, title: str
) -> tuple[Contribution, str | None]:
    """Ask the provider for the payment (outside any transaction: it is a network call). The
    key makes a repeat after a crash or a retry the same payment at the provider. Returns the
    contribution and the payment's client secret (Stripe's), for the payer's browser."""
    request = PaymentRequest(
        key=f"contribution:{contribution.id}",
        amount_minor=contribution.amount_minor,
        currency=contribution.currency,
        description=title,
        metadata={"contribution_id": str(contribution.id), "pot_id": str(contribution.pot_id)},
    )
    try:
        started = await provider.start_payment(request)
    except ProviderError:
        log.warning("payments: %s unreachable while starting a payment", provider.name)
        raise Unavailable(
            "the payment provider is unreachable; try again", PROVIDER_RETRY_AFTER_S
        ) from None
    except ProviderDeclined:
        async with ctx.db.write() as tx:
            await store.update_contribution(
                tx.conn, contribution.id, status=ContributionStatus.FAILED
            )
        raise InvalidInput("the payment provider declined this payment") from None
    async with ctx.db.write() as tx:
        current = await store.get_contribution(tx.conn, contribution.id, for_update=True)
        assert current is not None
        if current.payment_id is not None:  # a webhook or a retry got there first
            return (
                current,
                started.client_secret if current.payment_id == started.payment_id else None,
            )
        await store.update_contribution(
            tx.conn,
            contribution.id,
            payment_id=started.payment_id,
            checkout_url=started.checkout_url,
        )
    started_now = replace(current, payment_id=started.payment_id, checkout_url=started.checkout_url)
    return started_now, started.client_secret


async def access_contribution(ctx: Context, caller: Caller, contribution_id: int) -> dict[str, Any]:
    """One's own contribution (its status, and the checkout link while it waits)."""
    async with ctx.db.read() as conn:
        found = await store.get_contribution(conn, contribution_id)
        if found is None or found.user_id != caller.user_id:
            raise no_such_pot()
        return contribution_view(found, named=True)


async def access_contributions(
    ctx: Context, caller: Caller, pot_id: int, after_id: int | None, limit: int
) -> dict[str, Any]:
    """Confirmed contributions, oldest first; named or not by the pot's visibility rule."""
    async with ctx.db.read() as conn:
        access = await load_pot_access(conn, caller, pot_id)
        require_member(access)
        listed = await store.list_contributions(
            conn,
            pot_id,
            statuses=(
                ContributionStatus.POSTED,
                ContributionStatus.REFUNDING,
                ContributionStatus.REFUNDED,
            ),
            after_id=after_id,
            limit=min(limit, PAGE_MAX),
        )
    named = access.sees_contributors
    return {
        "contributions": [
            contribution_view(c, named=named or c.user_id == caller.user_id) for c in listed
        ],
        "next_after": str(listed[-1].id) if len(listed) == min(limit, PAGE_MAX) else None,
    }


# --- what the provider tells us


async def on_payment_event(ctx: Context, event: ProviderEvent) -> None:
    """A verified payment event: applied once, whatever its order and repeats."""
    if event.kind is ProviderEventKind.PAYMENT_SUCCEEDED:
        await _payment_succeeded(ctx, event)
    elif event.kind is ProviderEventKind.PAYMENT_FAILED:
        await _payment_failed(ctx, event)


def _contribution_id(event: ProviderEvent) -> int | None:
    raw = event.metadata.get("contribution_id", "")
    return int(raw) if raw.isdigit() and len(raw) <= 19 else None


async def matching_contribution(tx: Tx, event: ProviderEvent) -> Contribution | None:
    """The contribution `event` is about, locked after its pot (the order every money path
    locks in), or None (logged) when the event matches none of ours."""
    found = await _matching(tx, event)
    return None if found is None else found[0]


async def _matching(tx: Tx, event: ProviderEvent) -> tuple[Contribution, Pot] | None:
    """`matching_contribution`, with the pot as locked."""
    contribution_id = _contribution_id(event)
    found = (
        None if contribution_id is None else await store.get_contribution(tx.conn, contribution_id)
    )
    if found is None or found.provider != event.provider:
        log.info("payments: %s event for an unknown payment; ignored", event.provider)
        return None
    if (found.amount_minor, found.currency) != (event.amount_minor, event.currency):
        log.warning(
            "payments: %s event for contribution %s does not match its amount; ignored",
            event.provider,
            found.id,
        )
        return None
    locked = await lock_with_pot(tx, store.get_contribution, found.id)
    return None if locked is None else (locked[1], locked[0])


async def _payment_succeeded(ctx: Context, event: ProviderEvent) -> None:
    async with ctx.db.write() as tx:
        found = await _matching(tx, event)
        if found is None or found[0].status not in (
            ContributionStatus.PENDING,
            ContributionStatus.FAILED,  # a payment retried at the provider after a failure
        ):
            return  # a replay: the money is in the ledger already
        contribution, pot = found
        await post_contribution(
            ctx, tx, contribution, event.payment_id or event.object_id, locked_pot=pot
        )


async def post_contribution(
    ctx: Context,
    tx: Tx,
    contribution: Contribution,
    payment_id: str,
    *,
    locked_pot: Pot | None = None,
) -> None:
    """Mirror a confirmed payment: clearing → pot, the contribution posted, the pot's totals,
    and the event to the chat; money that came too late or over a cap goes straight back.
    `locked_pot`: the contribution's pot, as already read and locked in `tx`."""
    now_ms = ctx.clock.now_ms()
    pot = locked_pot or await pot_store.get_pot(tx.conn, contribution.pot_id, for_update=True)
    assert pot is not None
    assert pot.id == contribution.pot_id
    clearing = await ledger_store.ensure_account(
        tx.conn,
        clearing_account_key(contribution.provider, contribution.currency),
        contribution.currency,
        AccountFlag.NONE,
        now_ms,
    )
    transfer_id = contribution_transfer_id(contribution.provider, payment_id)
    await ledger_store.create_transfer(
        tx.conn,
        transfer_id,
        debit_account_id=clearing.id,
        credit_account_id=pot.account_id,
        amount_minor=contribution.amount_minor,
        code=TransferCode.CONTRIBUTION,
        ref_kind=RefKind.CONTRIBUTION,
        ref_id=contribution.id,
        pot_id=pot.id,
        now_ms=now_ms,
    )
    if pot.member_cap_minor is not None:
        mine_minor = await store.held_by(tx.conn, pot.id, contribution.user_id)
        holds_some = mine_minor > 0
    else:  # only whether they are a contributor already matters: no need to add it all up
        mine_minor = 0
        holds_some = await store.holds_any(tx.conn, pot.id, contribution.user_id)
    late = not pot.collecting or over_cap(pot, contribution.amount_minor, mine_minor)
    await store.update_contribution(
        tx.conn,
        contribution.id,
        status=ContributionStatus.POSTED,
        payment_id=payment_id,
        transfer_id=transfer_id,
        posted_at_ms=now_ms,
    )
    new_contributors = 0 if holds_some else 1
    before_minor = pot.raised_minor
    await pot_store.add_raised(tx.conn, pot.id, contribution.amount_minor, new_contributors)
    # The pot is locked in tx: its totals are now exactly these, no need to read it again.
    pot = replace(
        pot,
        raised_minor=pot.raised_minor + contribution.amount_minor,
        contributor_count=pot.contributor_count + new_contributors,
    )
    await emit_pot(
        ctx,
        tx,
        pot,
        events.POT_CONTRIBUTION_POSTED,
        contribution_id=contribution.id,
        user_id=contribution.user_id if pot.visibility is Visibility.NAMED else None,
        amount_minor=contribution.amount_minor,
    )
    if not late and behaviour.due(ctx.settings, pot, before_minor, new_contributors == 1):
        pot = await behaviour.check_contributions(ctx, tx, pot)
    if late:
        posted = replace(
            contribution,
            status=ContributionStatus.POSTED,
            payment_id=payment_id,
            transfer_id=transfer_id,
        )
        await refunds.start_refund(ctx, tx, pot, posted)


async def _payment_failed(ctx: Context, event: ProviderEvent) -> None:
    async with ctx.db.write() as tx:
        contribution = await matching_contribution(tx, event)
        if contribution is None or contribution.status is not ContributionStatus.PENDING:
            return
        await store.update_contribution(
            tx.conn,
            contribution.id,
            status=ContributionStatus.FAILED,
            payment_id=event.payment_id or event.object_id,
        )
