"""Stripe through the official library, against a real `localstripe` process (a stateful fake
Stripe server) whose webhooks reach the real Colletta server over HTTP.

In CI these run, never skip; elsewhere they skip only if localstripe cannot start."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import stripe
from pydantic import SecretStr

from colletta.app import create_app
from colletta.clock import SystemClock
from colletta.config import Settings
from colletta.payments.provider import (
    BadWebhook,
    Outcome,
    PaymentRequest,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
)
from colletta.payments.stripe import KEY_FIELD, StripeProvider
from tests.conftest import start_server
from tests.localstripe import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    free_port,
    running_localstripe,
    webhook_form,
)

WEBHOOK_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A localstripe process on a free port; its base URL."""
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as url:
        yield url


@dataclass
class Live:
    server_url: str
    provider: StripeProvider
    events: list[ProviderEvent]
    arrived: asyncio.Condition

    async def wait_for(self, kind: ProviderEventKind, object_id: str) -> ProviderEvent:
        def found() -> ProviderEvent | None:
            return next(
                (e for e in self.events if e.kind is kind and e.object_id == object_id), None
            )

        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: found() is not None), WEBHOOK_TIMEOUT_S
            )
        event = found()
        assert event is not None
        return event


@pytest.fixture
async def live(localstripe: str, settings: Settings) -> AsyncIterator[Live]:
    """The real server taking payments with Stripe (localstripe), on the system clock: the
    webhooks are signed with the time they are sent."""
    stripe_settings = settings.model_copy(
        update={
            "payments_provider": "stripe",
            "stripe_secret_key": SecretStr(SECRET_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_publishable_key": PUBLISHABLE_KEY,
            "stripe_api_base": localstripe,
        }
    )
    application = create_app(stripe_settings, clock=SystemClock())
    uv, task, url = await start_server(application, stripe_settings)
    try:
        ctx = application.state.ctx
        events: list[ProviderEvent] = []
        arrived = asyncio.Condition()

        async def record(event: ProviderEvent) -> None:
            async with arrived:
                events.append(event)
                arrived.notify_all()

        ctx.provider_events = record
        async with httpx.AsyncClient() as client:
            path, form = webhook_form(url)
            registered = await client.post(f"{localstripe}{path}", data=form)
            assert registered.status_code == 200, registered.text
        provider = ctx.providers.get("stripe")
        assert isinstance(provider, StripeProvider)
        yield Live(url, provider, events, arrived)
    finally:
        uv.should_exit = True
        await task


def payment(key: str, amount_minor: int = 1250) -> PaymentRequest:
    return PaymentRequest(
        key=key,
        amount_minor=amount_minor,
        currency="EUR",
        description="Roof repairs",
        metadata={"pot_id": "7", "contribution_id": "42"},
    )


async def pay_with(live: Live, payment_id: str, payment_method: str) -> None:
    """What the payer's browser does with Stripe.js, here with the secret key: attach a test
    card and confirm (localstripe takes the card by update, not in confirm)."""
    client = live.provider.client
    await client.v1.payment_intents.update_async(payment_id, {"payment_method": payment_method})
    await client.v1.payment_intents.confirm_async(payment_id)


async def test_a_card_payment_is_confirmed_by_a_verified_webhook(live: Live) -> None:
    started = await live.provider.start_payment(payment(f"contribution:{secrets.token_hex(4)}"))
    assert started.provider == "stripe"
    assert started.payment_id.startswith("pi_")
    assert started.checkout_url is None
    assert started.client_secret
    assert started.client_secret.startswith(started.payment_id)
    assert live.events == []

    await pay_with(live, started.payment_id, "pm_card_visa")
    event = await live.wait_for(ProviderEventKind.PAYMENT_SUCCEEDED, started.payment_id)
    assert event.provider == "stripe"
    assert event.event_id.startswith("evt_")
    assert event.payment_id == started.payment_id
    assert (event.amount_minor, event.currency) == (1250, "EUR")
    assert event.metadata == {"pot_id": "7", "contribution_id": "42"}


async def test_a_declined_card_ends_in_a_failed_payment(live: Live) -> None:
    started = await live.provider.start_payment(payment(f"contribution:{secrets.token_hex(4)}"))
    with pytest.raises(stripe.CardError):
        await pay_with(live, started.payment_id, "pm_card_chargeCustomerFail")
    event = await live.wait_for(ProviderEventKind.PAYMENT_FAILED, started.payment_id)
    assert event.metadata["contribution_id"] == "42"


async def test_a_refund_is_made_once_per_key(live: Live) -> None:
    started = await live.provider.start_payment(payment(f"contribution:{secrets.token_hex(4)}"))
    await pay_with(live, started.payment_id, "pm_card_visa")
    key = f"refund:{secrets.token_hex(4)}"
    refund = await live.provider.refund(
        started.payment_id, 500, "EUR", key=key, metadata={"pot_id": "7"}
    )
    assert refund.id.startswith("re_")
    assert refund.outcome is Outcome.SUCCEEDED
    # Retried (a timeout, a restart, days later): the same refund, not a second one.
    again = await live.provider.refund(started.payment_id, 500, "EUR", key=key, metadata={})
    assert again == refund
    refunds = await live.provider.client.v1.refunds.list_async(
        {"payment_intent": started.payment_id}
    )
    assert [r.id for r in refunds.data] == [refund.id]
    assert refunds.data[0].amount == 500
    other = await live.provider.refund(started.payment_id, 100, "EUR", key=key + "b", metadata={})
    assert other.id != refund.id


async def test_a_payout_is_made_and_reported_pending(live: Live) -> None:
    payout = await live.provider.payout(
        900, "EUR", "payee:3", key=f"payout:{secrets.token_hex(4)}", metadata={"proposal": "5"}
    )
    assert payout.id.startswith("po_")
    assert payout.outcome is Outcome.PENDING
    made = await live.provider.client.v1.payouts.retrieve_async(payout.id)
    assert made.amount == 900
    assert made.to_dict()["metadata"] == {"proposal": "5"}
    assert "payee:3" in (made.description or "")


async def test_stripe_refusals_and_outages(live: Live, localstripe: str) -> None:
    with pytest.raises(ProviderDeclined):
        await live.provider.refund("pi_nonexistent", 100, "EUR", key="r-none", metadata={})
    with pytest.raises(ProviderDeclined):
        await live.provider.start_payment(payment("contribution:zero", amount_minor=0))
    down = StripeProvider(
        SECRET_KEY,
        WEBHOOK_SECRET,
        api_base=f"http://127.0.0.1:{free_port()}",
        max_network_retries=0,
    )
    try:
        with pytest.raises(ProviderError):
            await down.start_payment(payment("contribution:down"))
    finally:
        await down.aclose()


async def test_a_webhook_not_signed_by_stripe_is_refused(live: Live) -> None:
    body = orjson.dumps(stripe_event("payment_intent.succeeded", intent("pi_forged")))
    forged = stripe.WebhookSignature.generate_signature_header(body.decode(), "whsec_guessed")
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{live.server_url}/api/v1/payments/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": forged},
        )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/bad_webhook")
    assert live.events == []


# -- Stripe's other events, read from bodies shaped as Stripe sends them (localstripe sends
# no refund or payout-end events) --


def stripe_event(type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{secrets.token_hex(6)}",
        "object": "event",
        "type": type_,
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "data": {"object": obj},
    }


def intent(payment_id: str) -> dict[str, Any]:
    return {
        "id": payment_id,
        "object": "payment_intent",
        "amount": 1250,
        "currency": "eur",
        "metadata": {"pot_id": "7"},
    }


def refund_object(status: str) -> dict[str, Any]:
    return {
        "id": "re_1",
        "object": "refund",
        "amount": 500,
        "currency": "eur",
        "payment_intent": "pi_1",
        "status": status,
        "metadata": {"pot_id": "7", KEY_FIELD: "refund:1"},
    }


def payout_object(status: str) -> dict[str, Any]:
    return {
        "id": "po_1",
        "object": "payout",
        "amount": 900,
        "currency": "eur",
        "status": status,
        "metadata": {"proposal": "5"},
    }


# Reading webhooks makes no request: one provider for these tests.
OFFLINE = StripeProvider(SECRET_KEY, WEBHOOK_SECRET, api_base="http://127.0.0.1:9")


def parse(event: dict[str, Any], secret: str = WEBHOOK_SECRET, now_s: int | None = None) -> Any:
    body = orjson.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret)
    return OFFLINE.parse_webhook(
        body, {"stripe-signature": header}, now_s if now_s is not None else int(time.time())
    )


@pytest.mark.parametrize(
    ("type_", "obj", "kind"),
    [
        ("payment_intent.succeeded", intent("pi_1"), ProviderEventKind.PAYMENT_SUCCEEDED),
        ("payment_intent.payment_failed", intent("pi_1"), ProviderEventKind.PAYMENT_FAILED),
        ("refund.created", refund_object("succeeded"), ProviderEventKind.REFUND_SUCCEEDED),
        ("refund.updated", refund_object("succeeded"), ProviderEventKind.REFUND_SUCCEEDED),
        ("refund.updated", refund_object("failed"), ProviderEventKind.REFUND_FAILED),
        ("refund.failed", refund_object("failed"), ProviderEventKind.REFUND_FAILED),
        ("payout.paid", payout_object("paid"), ProviderEventKind.PAYOUT_PAID),
        ("payout.failed", payout_object("failed"), ProviderEventKind.PAYOUT_FAILED),
    ],
)
def test_stripe_events_become_provider_events(
    type_: str, obj: dict[str, Any], kind: ProviderEventKind
) -> None:
    event = parse(stripe_event(type_, obj))
    assert event.kind is kind
    assert event.object_id == obj["id"]
    assert event.currency == "EUR"
    assert event.amount_minor == obj["amount"]
    assert KEY_FIELD not in event.metadata  # our own bookkeeping, not the caller's metadata
    if type_.startswith("refund"):
        assert event.payment_id == "pi_1"
    if type_.startswith("payout"):
        assert event.payment_id is None


@pytest.mark.parametrize(
    ("type_", "obj"),
    [
        ("refund.created", refund_object("pending")),
        ("payout.created", payout_object("pending")),
        ("charge.succeeded", {"id": "ch_1"}),
        ("customer.created", {"id": "cus_1"}),
    ],
)
def test_events_colletta_does_not_use_are_dropped(type_: str, obj: dict[str, Any]) -> None:
    assert parse(stripe_event(type_, obj)) is None


def test_stripe_webhooks_that_do_not_verify_are_refused() -> None:
    event = stripe_event("payment_intent.succeeded", intent("pi_1"))
    with pytest.raises(BadWebhook):
        parse(event, secret="whsec_other")
    with pytest.raises(BadWebhook):  # Colletta's clock is an hour ahead of the signature
        parse(event, now_s=int(time.time()) + 3600)
    with pytest.raises(BadWebhook):
        OFFLINE.parse_webhook(b"{}", {}, int(time.time()))
    body = b"\xff\xfe"
    header = stripe.WebhookSignature.generate_signature_header("x", WEBHOOK_SECRET)
    with pytest.raises(BadWebhook):
        OFFLINE.parse_webhook(body, {"Stripe-Signature": header}, int(time.time()))
