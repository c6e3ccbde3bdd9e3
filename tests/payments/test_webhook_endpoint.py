"""`POST /api/v1/payments/webhooks/{provider}` over HTTP: only what verifies is handed on."""

from __future__ import annotations

import httpx
import orjson
import pytest

from colletta.clock import FakeClock
from colletta.payments import signing
from colletta.payments.provider import ProviderEvent, ProviderEventKind
from colletta.payments.sandbox import SandboxProvider

PATH = "/api/v1/payments/webhooks/sandbox"
EVENT = orjson.dumps(
    {
        "id": "evt_sbx_1",
        "object": "event",
        "type": "payment.succeeded",
        "created": 0,
        "data": {
            "object": {
                "id": "pi_sbx_1",
                "payment_id": "pi_sbx_1",
                "amount_minor": 1250,
                "currency": "EUR",
                "metadata": {"pot_id": "7"},
            }
        },
    }
)


def signed(secret: str, clock: FakeClock, body: bytes = EVENT, age_s: int = 0) -> dict[str, str]:
    timestamp = clock.now_ms() // 1000 - age_s
    return {
        "Stripe-Signature": signing.signature_header([secret], body, timestamp),
        "Content-Type": "application/json",
    }


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/bad_webhook")


async def test_a_signed_event_is_handed_on_once_verified(
    http: httpx.AsyncClient,
    sandbox: SandboxProvider,
    handed_on: list[ProviderEvent],
    clock: FakeClock,
) -> None:
    response = await http.post(PATH, content=EVENT, headers=signed(sandbox.webhook_secret, clock))
    assert response.status_code == 200
    assert response.json() == {}
    assert handed_on == [
        ProviderEvent(
            provider="sandbox",
            event_id="evt_sbx_1",
            kind=ProviderEventKind.PAYMENT_SUCCEEDED,
            object_id="pi_sbx_1",
            payment_id="pi_sbx_1",
            amount_minor=1250,
            currency="EUR",
            metadata={"pot_id": "7"},
        )
    ]


async def test_a_bad_signature_changes_nothing(
    http: httpx.AsyncClient,
    sandbox: SandboxProvider,
    handed_on: list[ProviderEvent],
    clock: FakeClock,
) -> None:
    good = signed(sandbox.webhook_secret, clock)
    assert_refused(await http.post(PATH, content=EVENT))
    assert_refused(await http.post(PATH, content=EVENT, headers=signed("guessed", clock)))
    tampered = EVENT.replace(b"1250", b"9250")
    assert_refused(await http.post(PATH, content=tampered, headers=good))
    stale = signed(sandbox.webhook_secret, clock, age_s=signing.TOLERANCE_S + 1)
    assert_refused(await http.post(PATH, content=EVENT, headers=stale))
    garbage = b"\x00not json"
    signed_garbage = signed(sandbox.webhook_secret, clock, garbage)
    assert_refused(await http.post(PATH, content=garbage, headers=signed_garbage))
    assert handed_on == []


async def test_event_types_colletta_does_not_use_are_accepted_and_dropped(
    http: httpx.AsyncClient,
    sandbox: SandboxProvider,
    handed_on: list[ProviderEvent],
    clock: FakeClock,
) -> None:
    body = EVENT.replace(b"payment.succeeded", b"payment.disputed")
    headers = signed(sandbox.webhook_secret, clock, body)
    response = await http.post(PATH, content=body, headers=headers)
    assert response.status_code == 200
    assert handed_on == []


async def test_a_provider_this_server_does_not_use_is_not_found(
    http: httpx.AsyncClient, handed_on: list[ProviderEvent], clock: FakeClock
) -> None:
    for name in ("paypal", "stripe"):  # Stripe: no keys configured
        response = await http.post(
            f"/api/v1/payments/webhooks/{name}", content=EVENT, headers=signed("x", clock)
        )
        assert response.status_code == 404, name
        assert response.json()["type"].endswith("/not_found")
    assert handed_on == []


@pytest.mark.settings(
    payments_provider="stripe",
    stripe_secret_key="sk_test_x",
    stripe_webhook_secret="whsec_x",
    stripe_publishable_key="pk_test_x",
)
async def test_a_server_taking_real_money_has_no_sandbox(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    response = await http.post(PATH, content=EVENT, headers=signed("anything", clock))
    assert response.status_code == 404
