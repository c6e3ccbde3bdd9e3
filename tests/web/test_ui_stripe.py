"""Contributing by card on a server whose payment provider is Stripe, in a real browser: the
card form loads Stripe.js only when it shows, the card is confirmed with the contribution's
client secret, and the pot counts the money when Stripe's webhook lands; a declined card says
so and counts nothing.

Stripe here is `localstripe` (a fake Stripe server) and the fake Stripe.js it serves at
/js.stripe.com/v3/. That fake's `confirmCardPayment` does not send the card: it only plays the
3-D Secure step (`POST /v1/payment_intents/<id>/_authenticate`, a dialog with "Complete
authentication") of a PaymentIntent that already has its card and is in `requires_action`; and
localstripe's confirm endpoint takes neither a publishable key nor a `payment_method`. So the
test plays the part of Stripe that the fake leaves out: when the browser's confirmation reaches
localstripe, it attaches the card the member typed (with the secret key) and confirms it,
which 3-D Secure test cards leave waiting for that step; then the browser's call goes on.
Everything else is the web client, the server and localstripe as they are."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e.nodes import Node
from tests.localstripe import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    running_localstripe,
    webhook_form,
)
from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Api,
    User,
    data_dir,
    screenshot,
    two_in_a_group,
)

DAY_MS = 86_400_000
POT = "Roof repairs"
# Stripe's test cards that ask for 3-D Secure: one then succeeds, one is then declined.
CARD_OK = "4000000000003220"
CARD_DECLINED = "4000008400001629"
WEBHOOK_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as url:
        yield url


@pytest.fixture
def node(migrated: Path, tmp_path: Path, localstripe: str) -> Iterator[Node]:
    """A real server taking payments with Stripe (localstripe), which sends it webhooks."""
    server = Node(
        data_dir(migrated, tmp_path),
        payments_provider="stripe",
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_api_base=localstripe,
        stripe_js_url=f"{localstripe}/js.stripe.com/v3/",
    )
    server.start()
    try:
        path, form = webhook_form(server.url)
        assert httpx.post(f"{localstripe}{path}", data=form).status_code == 200
        yield server
    finally:
        server.stop()


@dataclass
class StripeSide:
    """What real Stripe.js would send from the card form: the card the member typed."""

    localstripe: str
    number: str = ""

    def attach_card(self, route: Route) -> None:
        payment_id = route.request.url.split("/v1/payment_intents/")[1].split("/")[0]
        with httpx.Client(base_url=self.localstripe, auth=(SECRET_KEY, "")) as stripe:
            method = stripe.post(
                "/v1/payment_methods",
                data={
                    "type": "card",
                    "card[number]": self.number,
                    "card[exp_month]": "12",
                    "card[exp_year]": "2030",
                    "card[cvc]": "123",
                },
            )
            assert method.status_code == 200, method.text
            attached = stripe.post(
                f"/v1/payment_intents/{payment_id}", data={"payment_method": method.json()["id"]}
            )
            assert attached.status_code == 200, attached.text
            confirmed = stripe.post(f"/v1/payment_intents/{payment_id}/confirm")
            assert confirmed.json()["status"] == "requires_action", confirmed.text
        route.continue_()


def card(page: Page) -> Locator:
    """The pot's card: in the chat's strip, or at the top of the pot's screen."""
    return page.locator("article.pot-card")


def card_form(page: Page) -> Locator:
    return page.get_by_role("group", name="Card")


def pay_by_card(page: Page, stripe: StripeSide, amount: str, number: str) -> str:
    """Type the amount and the card, contribute, and pass 3-D Secure; the contribution's id."""
    section = page.get_by_role("region", name="Contributions")
    section.get_by_label("Amount").fill(amount)
    fields = card_form(page)
    for placeholder, value in (
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "20121"),
    ):
        fields.get_by_placeholder(placeholder, exact=True).fill(value)
    stripe.number = number
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/contributions")
    ) as started:
        section.get_by_role("button", name="Contribute").click()
    page.get_by_role("button", name="Complete authentication").click()
    contribution_id: str = started.value.json()["id"]
    return contribution_id


def wait_for_status(api: Api, user: User, contribution_id: str, status: str) -> None:
    """Until Stripe's webhook about the contribution has reached the server."""
    deadline = time.monotonic() + WEBHOOK_TIMEOUT_S
    while api.call(user, "GET", f"/api/v1/contributions/{contribution_id}")["status"] != status:
        assert time.monotonic() < deadline, f"contribution {contribution_id} never {status}"
        time.sleep(0.05)  # polling the server for a webhook sent by another process


def test_a_member_pays_by_card_and_a_declined_card_counts_nothing(
    open_page: Callable[..., Page], api: Api, localstripe: str
) -> None:
    pair = two_in_a_group(open_page, api, "Neighbours")
    ann, bob = pair.ann, pair.bob
    pot = api.call(
        pair.ann_user,
        "POST",
        f"/api/v1/chats/{pair.chat_id}/pots",
        json={
            "title": POT,
            "currency": "EUR",
            "goal_minor": 10_000,
            "deadline_at_ms": int(time.time() * 1000) + 10 * DAY_MS,
        },
    )
    stripe = StripeSide(localstripe)
    bob.route("**/v1/payment_intents/*/_authenticate*", stripe.attach_card)
    expect(card(bob)).to_contain_text("€0.00 of €100.00")
    # Stripe.js is no part of the app: nothing loaded it before a card form showed.
    assert bob.evaluate("() => typeof window.Stripe") == "undefined"
    card(bob).get_by_role("link", name=POT).click()
    expect(bob.get_by_role("heading", name=POT, level=1)).to_be_visible()
    expect(card_form(bob).get_by_placeholder("number", exact=True)).to_be_visible()
    scripts = bob.evaluate("() => [...document.scripts].map((s) => s.src)")
    assert f"{localstripe}/js.stripe.com/v3/" in scripts
    section = bob.get_by_role("region", name="Contributions")
    expect(section.get_by_role("link", name="Continue to payment")).to_have_count(0)

    # A declined card: the member reads why, and the pot counts nothing.
    declined = pay_by_card(bob, stripe, "30", CARD_DECLINED)
    expect(section.get_by_role("alert")).to_have_text("Not paid: Your card was declined.")
    wait_for_status(api, pair.bob_user, declined, "failed")
    for page in (ann, bob):
        expect(card(page)).to_contain_text("€0.00 of €100.00")
    assert api.call(pair.bob_user, "GET", f"/api/v1/pots/{pot['id']}")["raised_minor"] == 0

    # A good card: accepted at once; both screens follow live when the webhook lands.
    paid = pay_by_card(bob, stripe, "12.50", CARD_OK)
    expect(section.get_by_role("status")).to_have_text(
        "Card accepted. The pot counts it as soon as Stripe confirms the payment."
    )
    for page in (bob, ann):
        expect(card(page)).to_contain_text("€12.50 of €100.00")
        expect(card(page)).to_contain_text("1 contributor")
    expect(section.locator("ul.contributions")).to_contain_text("You")
    wait_for_status(api, pair.bob_user, paid, "posted")
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        bob.set_viewport_size(size)
        screenshot(bob, f"pot-card-payment-{width}")
