"""Pots over HTTP: opening one, what members and outsiders see, contributing, and the ledger
mirroring what the provider confirmed, once, however its events arrive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from colletta.actions.provider_events import on_provider_event
from colletta.clock import FakeClock
from colletta.payments.provider import (
    MoneyMove,
    Outcome,
    PaymentRequest,
    ProviderEvent,
    ProviderEventKind,
    Providers,
    StartedPayment,
)
from colletta.store import ledger as ledger_store
from colletta.store.ledger_check import check_ledger
from tests.conftest import MakePerson, Person

DAY_MS = 86_400_000


class Double:
    """Payments that succeed when told to (the sandbox replaces it once it lands)."""

    name = "double"

    def __init__(self) -> None:
        self.started: dict[str, PaymentRequest] = {}

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        self.started[request.key] = request
        payment_id = f"pay_{request.key.split(':')[1]}"
        return StartedPayment(self.name, payment_id, f"https://pay.test/{payment_id}", None)

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        return MoneyMove(f"re_{key}", Outcome.SUCCEEDED)

    async def payout(
        self, amount_minor: int, currency: str, payee: str, *, key: str, metadata: dict[str, str]
    ) -> MoneyMove:
        return MoneyMove(f"po_{key}", Outcome.SUCCEEDED)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None:
        return None

    def event(self, contribution: dict[str, Any], kind: ProviderEventKind) -> ProviderEvent:
        request = self.started[f"contribution:{contribution['id']}"]
        payment_id = f"pay_{contribution['id']}"
        return ProviderEvent(
            self.name,
            f"evt_{kind}_{payment_id}",
            kind,
            payment_id,
            payment_id,
            request.amount_minor,
            request.currency,
            dict(request.metadata),
        )


@pytest.fixture
def double(app: Any) -> Double:
    provider = Double()
    app.state.ctx.providers = Providers([provider], provider.name)
    return provider


async def _group(admin: Person, *members: Person, kind: str = "group") -> str:
    chat = await admin.ok("POST", "/api/v1/chats", json={"kind": kind, "title": "Trip"})
    if members:
        for member in members:
            await admin.ok(
                "POST", f"/api/v1/chats/{chat['id']}/members", json={"user_id": member.id}
            )
    return str(chat["id"])


def _pot_body(clock: FakeClock, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Tent for the trip",
        "description": "A four-person tent",
        "currency": "EUR",
        "goal_minor": 20_000,
        "deadline_at_ms": clock.now_ms() + 7 * DAY_MS,
        "items": [{"what": "Tent", "quantity": 1, "price_minor": 20_000}],
        "options": ["Green tent", "Blue tent"],
        **extra,
    }


async def _ledger_clean(app: Any) -> None:
    async with app.state.ctx.db.read() as conn:
        problems = await check_ledger(conn)
    assert problems == []


async def test_an_admin_opens_a_pot_and_members_see_it(
    app: Any, person: MakePerson, clock: FakeClock
) -> None:
    admin, member, outsider = await person(), await person(), await person()
    chat_id = await _group(admin, member)
    pot = await admin.ok("POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock))
    assert (pot["status"], pot["raised"], pot["goal"]) == ("open", "0.00", "200.00")
    assert [o["title"] for o in pot["options"]] == ["Green tent", "Blue tent"]
    assert pot["verdict"]["outcome"] == "allow"
    seen = await member.ok("GET", f"/api/v1/pots/{pot['id']}")
    assert seen["title"] == "Tent for the trip"
    assert seen["verdict"] is None
    listed = await member.ok("GET", f"/api/v1/chats/{chat_id}/pots")
    assert [p["id"] for p in listed["pots"]] == [pot["id"]]
    hidden = await outsider.call("GET", f"/api/v1/pots/{pot['id']}")
    assert hidden.status_code == 404
    # A plain member may not open one unless the chat allows it.
    refused = await member.call("POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock))
    assert refused.status_code == 403
    await admin.ok("PATCH", f"/api/v1/chats/{chat_id}", json={"members_create_pots": True})
    await member.ok("POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XXX"}, "currency"),
        ({"goal_minor": 0}, "goal_minor"),
        ({"goal_minor": -5}, "goal_minor"),
        ({"deadline_at_ms": 0}, "deadline_at_ms"),
        ({"title": "  "}, "title"),
        ({"options": ["Same", "Same"]}, "options"),
        ({"majority_pct": 20}, "majority_pct"),
    ],
)
async def test_bad_pots_are_refused_with_the_field(
    app: Any, person: MakePerson, clock: FakeClock, change: dict[str, Any], field: str
) -> None:
    admin = await person()
    chat_id = await _group(admin)
    response = await admin.call(
        "POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock, **change)
    )
    assert response.status_code in (400, 422)
    assert field in response.text
    assert (await admin.ok("GET", f"/api/v1/chats/{chat_id}/pots"))["pots"] == []


class CardDouble(Double):
    """Payments the client confirms itself with a secret, as with Stripe's PaymentIntents."""

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        started = await super().start_payment(request)
        return replace(started, checkout_url=None, client_secret=f"{started.payment_id}_secret")


async def test_the_client_secret_is_in_the_answer_that_starts_the_payment_only(
    app: Any, person: MakePerson, clock: FakeClock
) -> None:
    provider = CardDouble()
    app.state.ctx.providers = Providers([provider], provider.name)
    admin, member = await person(), await person()
    chat_id = await _group(admin, member)
    pot = await admin.ok("POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock))
    body = {"client_id": "card-1", "amount_minor": 1_000, "currency": "EUR"}
    started = await member.ok("POST", f"/api/v1/pots/{pot['id']}/contributions", json=body)
    assert started["client_secret"] == f"pay_{started['id']}_secret"
    assert started["checkout_url"] is None
    # Never stored: a retry, and the member's own view of it, do not carry it.
    again = await member.ok("POST", f"/api/v1/pots/{pot['id']}/contributions", json=body)
    assert again["id"] == started["id"]
    assert again["client_secret"] is None
    mine = await member.ok("GET", f"/api/v1/contributions/{started['id']}")
    assert mine.get("client_secret") is None
    assert len(provider.started) == 1


async def test_no_pot_in_a_direct_chat(app: Any, person: MakePerson, clock: FakeClock) -> None:
    alice, bob = await person(), await person()
    direct = await alice.ok("POST", "/api/v1/chats/direct", json={"user_id": bob.id})
    response = await alice.call("POST", f"/api/v1/chats/{direct['id']}/pots", json=_pot_body(clock))
    assert response.status_code == 422


async def test_a_confirmed_contribution_counts_once_however_often_it_is_confirmed(
    app: Any, person: MakePerson, clock: FakeClock, double: Double
) -> None:
    admin, member = await person(), await person()
    chat_id = await _group(admin, member)
    pot = await admin.ok("POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock))
    body = {"client_id": "c1", "amount_minor": 2_500, "currency": "EUR"}
    started = await member.ok("POST", f"/api/v1/pots/{pot['id']}/contributions", json=body)
    assert started["status"] == "pending"
    assert started["checkout_url"]
    assert started["client_secret"] is None  # the sandbox's kind of provider: a page to pay at
    again = await member.ok("POST", f"/api/v1/pots/{pot['id']}/contributions", json=body)
    assert again["id"] == started["id"]
    assert len(double.started) == 1
    unconfirmed = await member.ok("GET", f"/api/v1/pots/{pot['id']}")
    assert unconfirmed["raised_minor"] == 0
    ctx = app.state.ctx
    succeeded = double.event(started, ProviderEventKind.PAYMENT_SUCCEEDED)
    for _ in range(3):
        await on_provider_event(ctx, succeeded)
    # A failure reported after the success (reordered) changes nothing either.
    await on_provider_event(ctx, double.event(started, ProviderEventKind.PAYMENT_FAILED))
    seen = await member.ok("GET", f"/api/v1/pots/{pot['id']}")
    assert (seen["raised_minor"], seen["raised"], seen["contributor_count"]) == (2_500, "25.00", 1)
    assert (seen["balance_minor"], seen["mine_minor"]) == (2_500, 2_500)
    mine = await member.ok("GET", f"/api/v1/contributions/{started['id']}")
    assert (mine["status"], mine["checkout_url"]) == ("posted", None)
    listed = await admin.ok("GET", f"/api/v1/pots/{pot['id']}/contributions")
    assert [(c["user_id"], c["amount_minor"]) for c in listed["contributions"]] == [
        (member.id, 2_500)
    ]
    async with ctx.db.read() as conn:
        transfers = await ledger_store.list_pot_transfers(conn, int(pot["id"]))
    assert len(transfers) == 1
    await _ledger_clean(app)


async def test_contributions_that_do_not_fit_are_refused_and_change_nothing(
    app: Any, person: MakePerson, clock: FakeClock, double: Double
) -> None:
    admin, member, outsider = await person(), await person(), await person()
    chat_id = await _group(admin, member)
    pot = await admin.ok(
        "POST",
        f"/api/v1/chats/{chat_id}/pots",
        json=_pot_body(clock, member_cap_minor=5_000, currency="JPY", goal_minor=20_000),
    )
    path = f"/api/v1/pots/{pot['id']}/contributions"
    cases = [
        (member, {"amount_minor": 0, "currency": "JPY"}, 422),
        (member, {"amount_minor": -100, "currency": "JPY"}, 422),
        (member, {"amount_minor": 100, "currency": "EUR"}, 422),
        (member, {"amount_minor": 5_001, "currency": "JPY"}, 422),
        (outsider, {"amount_minor": 100, "currency": "JPY"}, 404),
    ]
    for who, body, status in cases:
        response = await who.call("POST", path, json={"client_id": "x", **body})
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert double.started == {}
    # The same client_id with another amount is a conflict, not a second contribution.
    await member.ok("POST", path, json={"client_id": "y", "amount_minor": 100, "currency": "JPY"})
    clash = await member.call(
        "POST", path, json={"client_id": "y", "amount_minor": 200, "currency": "JPY"}
    )
    assert clash.status_code == 409
    assert len(double.started) == 1


async def test_a_subscriber_may_contribute_to_a_channel_pot_and_stays_unnamed_to_others(
    app: Any, person: MakePerson, clock: FakeClock, double: Double
) -> None:
    admin, subscriber, other = await person(), await person(), await person()
    channel = await admin.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "News", "is_public": True}
    )
    for who in (subscriber, other):
        await who.ok("POST", f"/api/v1/chats/{channel['id']}/subscribe")
    pot = await admin.ok("POST", f"/api/v1/chats/{channel['id']}/pots", json=_pot_body(clock))
    started = await subscriber.ok(
        "POST",
        f"/api/v1/pots/{pot['id']}/contributions",
        json={"client_id": "s1", "amount_minor": 1_000, "currency": "EUR"},
    )
    await on_provider_event(
        app.state.ctx, double.event(started, ProviderEventKind.PAYMENT_SUCCEEDED)
    )
    sync = await other.ok("GET", f"/api/v1/sync?cursors={channel['id']}:0")
    posted = [e for e in sync["events"] if e["type"] == "pot.contribution_posted"]
    assert len(posted) == 1
    assert posted[0]["user_id"] is None
    assert posted[0]["pot"]["raised_minor"] == 1_000
    mine = await subscriber.ok("GET", f"/api/v1/sync?cursors={channel['id']}:0")
    assert [e["user_id"] for e in mine["events"] if e["type"] == "pot.contribution_posted"] == [
        subscriber.id
    ]


async def test_an_anonymous_pot_names_contributors_to_admins_only(
    app: Any, person: MakePerson, clock: FakeClock, double: Double
) -> None:
    admin, alice, bob = await person(), await person(), await person()
    chat_id = await _group(admin, alice, bob)
    pot = await admin.ok(
        "POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock, visibility="anonymous")
    )
    started = await alice.ok(
        "POST",
        f"/api/v1/pots/{pot['id']}/contributions",
        json={"client_id": "a", "amount_minor": 700, "currency": "EUR"},
    )
    await on_provider_event(
        app.state.ctx, double.event(started, ProviderEventKind.PAYMENT_SUCCEEDED)
    )
    path = f"/api/v1/pots/{pot['id']}/contributions"
    assert [c["user_id"] for c in (await bob.ok("GET", path))["contributions"]] == [None]
    assert [c["user_id"] for c in (await alice.ok("GET", path))["contributions"]] == [alice.id]
    assert [c["user_id"] for c in (await admin.ok("GET", path))["contributions"]] == [alice.id]
    events = (await bob.ok("GET", f"/api/v1/sync?cursors={chat_id}:0"))["events"]
    posted = [e for e in events if e["type"] == "pot.contribution_posted"]
    assert posted[0]["user_id"] is None


async def test_one_vote_per_member_on_the_options(
    app: Any, person: MakePerson, clock: FakeClock
) -> None:
    admin, member, outsider = await person(), await person(), await person()
    chat_id = await _group(admin, member)
    pot = await admin.ok("POST", f"/api/v1/chats/{chat_id}/pots", json=_pot_body(clock))
    green, blue = (o["id"] for o in pot["options"])
    path = f"/api/v1/pots/{pot['id']}/option-votes"
    voted = await member.ok("POST", path, json={"option_id": green})
    assert voted["my_option_id"] == green
    assert [(o["votes"], o["weight"]) for o in voted["options"]] == [(1, 1), (0, 0)]
    second = await member.call("POST", path, json={"option_id": blue})
    assert (second.status_code, second.json()["type"].rsplit("/", 1)[-1]) == (409, "already_voted")
    assert (await outsider.call("POST", path, json={"option_id": blue})).status_code == 404
    wrong = await admin.call("POST", path, json={"option_id": pot["id"]})
    assert wrong.status_code == 422
