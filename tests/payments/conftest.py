"""Fixtures for the payment tests that run the app: its sandbox, and what it hands on."""

from __future__ import annotations

from typing import Any

import pytest

from colletta.payments.provider import PaymentRequest, ProviderEvent
from colletta.payments.sandbox import CHECKOUT_PATH, SandboxProvider


@pytest.fixture
def sandbox(app: Any) -> SandboxProvider:
    provider = app.state.ctx.providers.get("sandbox")
    assert isinstance(provider, SandboxProvider)
    return provider


@pytest.fixture
def handed_on(app: Any) -> list[ProviderEvent]:
    """The events the webhook path hands to `ctx.provider_events` (pots, later)."""
    events: list[ProviderEvent] = []

    async def record(event: ProviderEvent) -> None:
        events.append(event)

    app.state.ctx.provider_events = record
    return events


async def start_payment(
    sandbox: SandboxProvider,
    amount_minor: int = 1250,
    currency: str = "EUR",
    *,
    return_url: str | None = None,
    key: str = "contribution:1",
) -> str:
    """A payment started with the sandbox; returns its checkout page's path."""
    started = await sandbox.start_payment(
        PaymentRequest(
            key=key,
            amount_minor=amount_minor,
            currency=currency,
            description="Mosque roof <repairs> & iftar",
            metadata={"pot_id": "7"},
            return_url=return_url,
        )
    )
    assert started.checkout_url is not None
    assert started.checkout_url.startswith(CHECKOUT_PATH)
    return started.checkout_url
