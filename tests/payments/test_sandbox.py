"""The sandbox provider on its own: a fake clock, a recording receiver, no server, no sleep."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import stat
from collections.abc import Mapping
from pathlib import Path

import orjson
import pytest

from colletta.clock import FakeClock
from colletta.errors import Gone, NotFound
from colletta.payments import signing
from colletta.payments.provider import (
    BadWebhook,
    Outcome,
    PaymentRequest,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
)
from colletta.payments.sandbox import (
    CHECKOUT_PATH,
    CHECKOUT_TTL_S,
    Cruelty,
    SandboxProvider,
    load_or_create_secret,
)

SECRET = "sandbox-test-secret"


class Inbox:
    """The receiving end as services wires it: every delivery is verified first."""

    def __init__(self, sandbox: SandboxProvider, clock: FakeClock) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.events: list[ProviderEvent] = []
        self.timestamps: list[int] = []
        self.failures_left = 0
        self.arrived = asyncio.Event()

    async def __call__(self, body: bytes, headers: Mapping[str, str]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("receiver down")
        event = self.sandbox.parse_webhook(body, headers, self.clock.now_ms() // 1000)
        assert event is not None
        self.events.append(event)
        timestamp, _ = signing.parse_header(headers[signing.SIGNATURE_HEADER])
        self.timestamps.append(timestamp)
        self.arrived.set()

    @property
    def kinds(self) -> list[ProviderEventKind]:
        return [event.kind for event in self.events]


@pytest.fixture
def sandbox(clock: FakeClock) -> SandboxProvider:
    return SandboxProvider(SECRET, clock)


@pytest.fixture
def inbox(sandbox: SandboxProvider, clock: FakeClock) -> Inbox:
    inbox = Inbox(sandbox, clock)
    sandbox.deliver = inbox
    return inbox


def request(key: str = "contribution:1", amount_minor: int = 1250) -> PaymentRequest:
    return PaymentRequest(
        key=key,
        amount_minor=amount_minor,
        currency="EUR",
        description="Roof repairs",
        metadata={"pot_id": "7", "contribution_id": key},
    )


async def token_of(sandbox: SandboxProvider, key: str = "contribution:1") -> str:
    started = await sandbox.start_payment(request(key))
    assert started.checkout_url is not None
    assert started.checkout_url.startswith(CHECKOUT_PATH)
    return started.checkout_url.removeprefix(CHECKOUT_PATH)


async def test_a_payment_is_a_checkout_page_on_this_server(sandbox: SandboxProvider) -> None:
    started = await sandbox.start_payment(request())
    assert started.provider == "sandbox"
    assert started.client_secret is None
    assert started.payment_id.startswith("pi_sbx_")
    assert (await sandbox.start_payment(request())).payment_id == started.payment_id
    assert (await sandbox.start_payment(request("contribution:2"))).payment_id != (
        started.payment_id
    )
    checkout = sandbox.open_checkout(await token_of(sandbox))
    assert (checkout.payment_id, checkout.amount_minor, checkout.currency) == (
        started.payment_id,
        1250,
        "EUR",
    )
    assert checkout.description == "Roof repairs"
    assert checkout.metadata == {"pot_id": "7", "contribution_id": "contribution:1"}


async def test_the_page_survives_a_restart_and_serves_on_another_node(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    """Nothing is stored: another process with the same secret reads the same token."""
    token = await token_of(sandbox)
    other_node = SandboxProvider(SECRET, clock)
    assert other_node.open_checkout(token) == sandbox.open_checkout(token)


async def test_a_tampered_or_foreign_token_names_no_payment(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    token = await token_of(sandbox)
    payload, mac = token.split(".")
    data = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["a"] = 1
    cheaper = base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    foreign = await token_of(SandboxProvider("another-secret", clock))
    for bad in (f"{cheaper}.{mac}", f"{payload}.{flipped}", payload, "", "x.y", foreign, "é.é"):
        with pytest.raises(NotFound):
            sandbox.open_checkout(bad)
        with pytest.raises(NotFound):
            sandbox.decide(bad, confirm=True)
    assert sandbox.waiting == 0


async def test_a_page_expires_after_a_day(sandbox: SandboxProvider, clock: FakeClock) -> None:
    token = await token_of(sandbox)
    clock.advance(CHECKOUT_TTL_S * 1000 + 1)
    with pytest.raises(Gone):
        sandbox.decide(token, confirm=True)


async def test_confirming_sends_one_signed_webhook_later(
    sandbox: SandboxProvider, inbox: Inbox, clock: FakeClock
) -> None:
    token = await token_of(sandbox)
    decision = sandbox.decide(token, confirm=True)
    assert decision.outcome is Outcome.SUCCEEDED
    assert not decision.already
    assert inbox.events == []  # later, not during the payer's request
    assert await sandbox.flush() == 1
    [event] = inbox.events
    assert event.kind is ProviderEventKind.PAYMENT_SUCCEEDED
    assert event.object_id == event.payment_id == decision.checkout.payment_id
    assert (event.amount_minor, event.currency) == (1250, "EUR")
    assert event.metadata == {"pot_id": "7", "contribution_id": "contribution:1"}
    assert inbox.timestamps == [clock.now_ms() // 1000]
    assert await sandbox.flush() == 0
    # The payer presses the button again (or the back button): nothing new is sent.
    again = sandbox.decide(token, confirm=False)
    assert again.already
    assert again.outcome is Outcome.SUCCEEDED
    assert await sandbox.flush(everything=True) == 0
    assert len(inbox.events) == 1


async def test_declining_sends_a_failed_payment(sandbox: SandboxProvider, inbox: Inbox) -> None:
    decision = sandbox.decide(await token_of(sandbox), confirm=False)
    assert decision.outcome is Outcome.FAILED
    await sandbox.flush()
    assert inbox.kinds == [ProviderEventKind.PAYMENT_FAILED]


async def test_refunds_and_payouts_are_idempotent_by_key(
    sandbox: SandboxProvider, inbox: Inbox
) -> None:
    payment_id = (await sandbox.start_payment(request())).payment_id
    first = await sandbox.refund(payment_id, 500, "EUR", key="refund:1", metadata={"r": "1"})
    again = await sandbox.refund(payment_id, 500, "EUR", key="refund:1", metadata={"r": "1"})
    other = await sandbox.refund(payment_id, 500, "EUR", key="refund:2", metadata={"r": "2"})
    assert first == again
    assert first.outcome is Outcome.PENDING
    assert other.id != first.id
    payout = await sandbox.payout(900, "EUR", "payee:3", key="payout:1", metadata={"p": "1"})
    assert await sandbox.payout(900, "EUR", "payee:3", key="payout:1", metadata={}) == payout
    # Another process (or this one after a restart) gives the same ids for the same keys.
    elsewhere = SandboxProvider(SECRET, FakeClock())
    assert (await elsewhere.refund(payment_id, 500, "EUR", key="refund:1", metadata={})).id == (
        first.id
    )
    await sandbox.flush()
    assert inbox.kinds == [
        ProviderEventKind.REFUND_SUCCEEDED,
        ProviderEventKind.REFUND_SUCCEEDED,
        ProviderEventKind.PAYOUT_PAID,
    ]
    refund_event = inbox.events[0]
    assert (refund_event.object_id, refund_event.payment_id) == (first.id, payment_id)
    assert (refund_event.amount_minor, refund_event.metadata) == (500, {"r": "1"})
    assert inbox.events[2].object_id == payout.id
    assert inbox.events[2].payment_id is None


async def test_refusals(sandbox: SandboxProvider) -> None:
    with pytest.raises(ProviderDeclined):
        await sandbox.refund("pi_elsewhere", 5, "EUR", key="r", metadata={})
    with pytest.raises(ProviderDeclined):
        await sandbox.start_payment(request(amount_minor=0))
    with pytest.raises(ProviderDeclined):
        await sandbox.payout(5, "XXX", "payee:1", key="p", metadata={})


async def test_webhooks_that_do_not_verify_are_refused(
    sandbox: SandboxProvider, clock: FakeClock
) -> None:
    now_s = clock.now_ms() // 1000
    body = b'{"id":"evt_1","type":"payment.succeeded"}'

    def signed(payload: bytes, secret: str = SECRET) -> dict[str, str]:
        return {"Stripe-Signature": signing.signature_header([secret], payload, now_s)}

    with pytest.raises(BadWebhook):
        sandbox.parse_webhook(body, {}, now_s)
    with pytest.raises(BadWebhook):
        sandbox.parse_webhook(body, signed(body, "not-the-secret"), now_s)
    with pytest.raises(BadWebhook):  # signed, but not an event the sandbox makes
        sandbox.parse_webhook(body, signed(body), now_s)
    with pytest.raises(BadWebhook):
        sandbox.parse_webhook(b"\xff", signed(b"\xff"), now_s)
    unknown = orjson.dumps(
        {
            "id": "evt_2",
            "type": "payment.disputed",
            "data": {
                "object": {
                    "id": "pi_sbx_1",
                    "payment_id": "pi_sbx_1",
                    "amount_minor": 1,
                    "currency": "EUR",
                    "metadata": {},
                }
            },
        }
    )
    assert sandbox.parse_webhook(unknown, signed(unknown), now_s) is None


# -- cruelty: deterministic under a seed --


async def run_scenario(cruelty: Cruelty, *, advance_ms: int = 0) -> list[tuple[str, str]]:
    """Five payments confirmed and two refunds, under `cruelty`: what arrives, in order."""
    clock = FakeClock()
    sandbox = SandboxProvider(SECRET, clock, cruelty=cruelty)
    inbox = Inbox(sandbox, clock)
    sandbox.deliver = inbox
    for n in range(5):
        sandbox.decide(await token_of(sandbox, f"contribution:{n}"), confirm=True)
    for n in range(2):
        await sandbox.refund("pi_sbx_x", 100, "EUR", key=f"refund:{n}", metadata={})
    clock.advance(advance_ms)
    await sandbox.flush()
    return [(event.kind.value, event.object_id) for event in inbox.events]


async def test_duplicates_arrive_twice_with_the_same_event_id(
    sandbox: SandboxProvider, inbox: Inbox
) -> None:
    sandbox.cruelty = Cruelty(duplicate_share=1.0, seed=1)
    sandbox.decide(await token_of(sandbox), confirm=True)
    await sandbox.flush()
    assert len(inbox.events) == 2
    assert inbox.events[0] == inbox.events[1]


async def test_delays_hold_deliveries_until_the_clock_gets_there(
    sandbox: SandboxProvider, inbox: Inbox, clock: FakeClock
) -> None:
    sandbox.cruelty = Cruelty(delay_max_s=60, seed=4)
    for n in range(5):
        sandbox.decide(await token_of(sandbox, f"c:{n}"), confirm=True)
    await sandbox.flush()
    early = len(inbox.events)
    assert early < 5
    clock.advance(60_000)
    await sandbox.flush()
    assert len(inbox.events) == 5
    # Signed when sent, not when made: a delayed webhook is not stale.
    assert inbox.timestamps[-1] == clock.now_ms() // 1000


async def test_reordering_is_repeatable_under_a_seed() -> None:
    in_order = await run_scenario(Cruelty())
    assert [kind for kind, _ in in_order] == ["payment.succeeded"] * 5 + ["refund.succeeded"] * 2
    shuffled = await run_scenario(Cruelty(reorder=True, seed=7))
    assert shuffled != in_order
    assert sorted(shuffled) == sorted(in_order)
    assert await run_scenario(Cruelty(reorder=True, seed=7)) == shuffled


async def test_every_kind_of_cruelty_together_is_repeatable_under_a_seed() -> None:
    cruel = Cruelty(fail_share=0.3, delay_max_s=30, duplicate_share=0.5, reorder=True, seed=11)
    first = await run_scenario(cruel, advance_ms=30_000)
    assert first == await run_scenario(cruel, advance_ms=30_000)
    kinds = {kind for kind, _ in first}
    assert "payment.failed" in kinds
    assert "payment.succeeded" in kinds
    assert len(first) > 7  # some came twice
    other_seed = await run_scenario(dataclasses.replace(cruel, seed=12), advance_ms=30_000)
    assert other_seed != first


async def test_failures_on_request(sandbox: SandboxProvider, inbox: Inbox) -> None:
    sandbox.cruelty = Cruelty(error_share=1.0)
    with pytest.raises(ProviderError):
        await sandbox.start_payment(request())
    with pytest.raises(ProviderError):
        await sandbox.refund("pi_sbx_1", 5, "EUR", key="refund:1", metadata={})
    with pytest.raises(ProviderError):
        await sandbox.payout(5, "EUR", "payee:1", key="payout:1", metadata={})
    assert sandbox.waiting == 0  # nothing happened: the same keys may be tried again
    sandbox.cruelty = Cruelty(fail_share=1.0)
    token = await token_of(sandbox)
    assert sandbox.decide(token, confirm=True).outcome is Outcome.FAILED
    refund = await sandbox.refund("pi_sbx_1", 5, "EUR", key="refund:1", metadata={})
    assert refund.outcome is Outcome.PENDING
    await sandbox.payout(5, "EUR", "payee:1", key="payout:1", metadata={})
    await sandbox.flush()
    assert inbox.kinds == [
        ProviderEventKind.PAYMENT_FAILED,
        ProviderEventKind.REFUND_FAILED,
        ProviderEventKind.PAYOUT_FAILED,
    ]


async def test_a_failed_delivery_is_tried_again_later(
    sandbox: SandboxProvider, inbox: Inbox, clock: FakeClock
) -> None:
    inbox.failures_left = 2
    sandbox.decide(await token_of(sandbox), confirm=True)
    assert await sandbox.flush() == 1
    assert inbox.events == []
    assert sandbox.waiting == 1
    assert await sandbox.flush() == 0  # not due yet: the retry waits a second
    clock.advance(1_000)
    await sandbox.flush()
    clock.advance(2_000)
    await sandbox.flush()
    assert inbox.kinds == [ProviderEventKind.PAYMENT_SUCCEEDED]
    assert sandbox.waiting == 0


async def test_stop_sends_what_still_waits(
    sandbox: SandboxProvider, inbox: Inbox, clock: FakeClock
) -> None:
    sandbox.cruelty = Cruelty(delay_max_s=3600, seed=2)
    sandbox.decide(await token_of(sandbox), confirm=True)
    await sandbox.aclose()
    assert inbox.kinds == [ProviderEventKind.PAYMENT_SUCCEEDED]


async def test_the_background_task_delivers_on_its_own(
    sandbox: SandboxProvider, inbox: Inbox
) -> None:
    await sandbox.start()
    try:
        sandbox.decide(await token_of(sandbox), confirm=True)
        await asyncio.wait_for(inbox.arrived.wait(), 10)
        assert inbox.kinds == [ProviderEventKind.PAYMENT_SUCCEEDED]
    finally:
        await sandbox.aclose()


async def test_a_delivery_cut_off_by_stop_is_sent_again(
    sandbox: SandboxProvider, inbox: Inbox
) -> None:
    """The server stops while a webhook is being delivered: it goes again, never lost."""
    entered, calls = asyncio.Event(), 0

    async def stuck_once(body: bytes, headers: Mapping[str, str]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            entered.set()
            await asyncio.Event().wait()  # never returns: cancelled by stop
        await inbox(body, headers)

    sandbox.deliver = stuck_once
    await sandbox.start()
    sandbox.decide(await token_of(sandbox), confirm=True)
    await asyncio.wait_for(entered.wait(), 10)
    await sandbox.aclose()
    assert inbox.kinds == [ProviderEventKind.PAYMENT_SUCCEEDED]
    assert sandbox.waiting == 0


def test_the_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sandbox-secret"
    secret = load_or_create_secret(path)
    assert len(secret) == 64
    assert load_or_create_secret(path) == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
