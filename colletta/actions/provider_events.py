"""Where a verified provider event goes: payments, refunds or payouts."""

from __future__ import annotations

from colletta.actions import contributions, payouts, refunds
from colletta.actions.context import Context
from colletta.payments.provider import ProviderEvent, ProviderEventKind

_REFUNDS = (ProviderEventKind.REFUND_SUCCEEDED, ProviderEventKind.REFUND_FAILED)
_PAYOUTS = (ProviderEventKind.PAYOUT_PAID, ProviderEventKind.PAYOUT_FAILED)


async def on_provider_event(ctx: Context, event: ProviderEvent) -> None:
    """Apply a verified event once, whatever its order and however often it comes."""
    if event.kind in _REFUNDS:
        await refunds.on_refund_event(ctx, event)
    elif event.kind in _PAYOUTS:
        await payouts.on_payout_event(ctx, event)
    else:
        await contributions.on_payment_event(ctx, event)
