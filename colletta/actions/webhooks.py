"""Webhooks from payment providers: verified by the provider, then handed to
`ctx.provider_events`, which decides what they change (and ignores replays)."""

from __future__ import annotations

from collections.abc import Mapping

from colletta.actions.context import Context
from colletta.errors import NotFound, WebhookRefused
from colletta.log import get_logger
from colletta.payments.provider import BadWebhook

log = get_logger(__name__)


async def do_receive_webhook(
    ctx: Context, provider_name: str, body: bytes, headers: Mapping[str, str]
) -> None:
    """One webhook, from the HTTP endpoint or straight from the sandbox: the same checks.
    A webhook that does not verify changes nothing (WebhookRefused); an event type Colletta
    does not use is accepted and dropped."""
    provider = ctx.providers.get(provider_name)
    if provider is None:
        raise NotFound("no such payment provider")
    try:
        event = provider.parse_webhook(body, headers, ctx.clock.now_ms() // 1000)
    except BadWebhook as exc:
        # The reason names no secret and no part of the body.
        log.warning("webhook from %s refused: %s", provider.name, exc)
        raise WebhookRefused(str(exc)) from None
    if event is not None:
        await ctx.provider_events(event)
