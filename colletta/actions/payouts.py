"""Payouts of spending the contributors voted through (filled in by the proposals work)."""

from __future__ import annotations

from colletta.actions.context import Context
from colletta.log import get_logger
from colletta.payments.provider import ProviderEvent

log = get_logger(__name__)


async def on_payout_event(ctx: Context, event: ProviderEvent) -> None:
    log.info("payments: %s payout event with no handler yet; ignored", event.provider)


async def run_payout(ctx: Context, proposal_id: int) -> int | None:
    """Ask the provider to pay a passed proposal (the pot worker's PAYOUT task). Returns when
    to ask again (ms), or None when the task is finished."""
    return None
