"""Pots from the SDK against the real server: open, read, edit, list, vote, contribute.

Payments go through the test double of tests/sdk/conftest.py (`payments`): its confirmations
are handed to the server's `on_provider_event` directly. The proposal, share, admin and ledger
calls are tested here once the server has their routes (other branches); until then those
tests skip.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from colletta_sdk import ApiError, Client, PotItem
from colletta_sdk.models import User
from colletta_sdk.money import AmountError, format_amount, minor_digits, money, parse_amount
from colletta_sdk.pot_models import Pot

from colletta.actions.accounts import do_create_operator
from colletta.clock import FakeClock
from colletta.payments.sandbox import Cruelty
from tests.conftest import PASSWORD, Server
from tests.sdk.conftest import Payments

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]
DAY_MS = 86_400_000


async def open_pot(admin: Client, clock: FakeClock, *members: User, **extra: Any) -> Pot:
    chat = await admin.create_chat("group", "Campers")
    for member in members:
        await admin.add_member(chat.id, member.id)
    fields: dict[str, Any] = {
        "description": "A four-person tent",
        "items": [PotItem("Tent", 1, 20_000)],
        "options": ["Green tent", "Blue tent"],
        **extra,
    }
    return await admin.create_pot(
        chat.id, "Tent for the trip", "EUR", 20_000, clock.now_ms() + 7 * DAY_MS, **fields
    )


def has_route(server: Server, path: str) -> bool:
    return path in server.app.openapi()["paths"]


# Amounts


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "eur", 1250),
        ("12", "EUR", 1200),
        ("1500", "JPY", 1500),
        ("1.25", "KWD", 1250),
        ("0.001", "KWD", 1),
        ("3.1415", "CLF", 31415),
    ],
)
def test_amounts_read_in_the_currencys_digits(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("1.5", "JPY", "JPY has no decimal digits; '1.5' has 1"),
        ("1.505", "EUR", "EUR has 2 decimal digits; '1.505' has 3"),
        ("12,50", "EUR", "not an amount"),
        ("-5", "EUR", "not an amount"),
        ("0.00", "EUR", "more than zero"),
        ("5", "EURO", "not a currency code"),
    ],
)
def test_amounts_that_are_not_money_are_refused(text: str, currency: str, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency)


def test_amounts_print_in_the_currencys_digits() -> None:
    assert [format_amount(1250, c) for c in ("EUR", "JPY", "KWD")] == ["12.50", "1250", "1.250"]
    assert (format_amount(-5, "EUR"), money(2500, "eur")) == ("-0.05", "25.00 EUR")
    assert (minor_digits("usd"), minor_digits("ISK"), minor_digits("OMR")) == (2, 0, 3)


# Pots


async def test_open_read_edit_list_and_vote(
    server_url: str, make_user: MakeUser, clock: FakeClock
) -> None:
    admin, _ = await make_user()
    member, member_user = await make_user()
    outsider, _ = await make_user()
    pot = await open_pot(admin, clock, member_user, model="all_or_nothing")
    assert (pot.goal, pot.raised, pot.currency, pot.status) == ("200.00", "0.00", "EUR", "open")
    assert (pot.model, pot.visibility, pot.progress) == ("all_or_nothing", "named", 0.0)
    assert pot.items == (PotItem("Tent", 1, 20_000),)
    assert pot.verdict is not None
    assert pot.verdict.outcome == "allow"

    seen = await member.pot(pot.id)
    assert [o.title for o in seen.options] == ["Green tent", "Blue tent"]
    assert (seen.verdict, seen.mine_minor, seen.my_option_id) == (None, 0, None)
    assert [p.id for p in await member.pots(pot.chat_id)] == [pot.id]

    green = seen.options[0]
    voted = await member.vote_option(pot.id, green.id)
    assert voted.my_option_id == green.id
    assert [(o.title, o.votes) for o in voted.options] == [("Green tent", 1), ("Blue tent", 0)]

    edited = await admin.update_pot(pot.id, title="Tent and pegs", options=["Red tent"])
    assert edited.title == "Tent and pegs"
    assert [o.title for o in edited.options] == ["Green tent", "Blue tent", "Red tent"]

    with pytest.raises(ApiError) as hidden:
        await outsider.pot(pot.id)
    assert hidden.value.status == 404
    with pytest.raises(ApiError) as refused:
        await member.update_pot(pot.id, title="Mine now")
    assert refused.value.status == 403


async def test_a_bad_pot_is_refused_with_its_field(
    server_url: str, make_user: MakeUser, clock: FakeClock
) -> None:
    admin, _ = await make_user()
    with pytest.raises(ApiError) as info:
        await open_pot(admin, clock, options=["Same", "Same"])
    assert info.value.status in (400, 422)
    assert "options" in str(info.value.extra) + str(info.value.detail)


async def test_a_contribution_counts_once_confirmed_and_a_retry_is_the_same_one(
    server_url: str, make_user: MakeUser, clock: FakeClock, payments: Payments
) -> None:
    admin, _ = await make_user()
    member, member_user = await make_user()
    pot = await open_pot(admin, clock, member_user)
    started = await member.contribute(pot.id, 2_500, "EUR", client_id="tent-1")
    assert (started.status, started.amount_minor, started.settled) == ("pending", 2_500, False)
    assert started.checkout_url == f"https://pay.test/pay_{started.id}"
    again = await member.contribute(pot.id, 2_500, "EUR", client_id="tent-1")
    assert again.id == started.id
    assert payments.started() == [started.id]
    with pytest.raises(ApiError) as conflict:
        await member.contribute(pot.id, 3_000, "EUR", client_id="tent-1")
    assert conflict.value.status == 409
    assert (await member.pot(pot.id)).raised_minor == 0

    await payments.confirm(started.id)
    posted = await member.contribution(started.id)
    assert (posted.status, posted.checkout_url, posted.settled) == ("posted", None, True)
    seen = await member.pot(pot.id)
    assert (seen.raised, seen.contributor_count, seen.mine_minor) == ("25.00", 1, 2_500)
    assert seen.progress == 0.125

    second = await member.contribute(pot.id, 500, "EUR")  # a fresh client_id each call
    assert second.id != started.id
    await payments.confirm(second.id)
    page = await admin.contributions(pot.id, limit=1)
    assert [(c.user_id, c.amount_minor) for c in page.contributions] == [(member_user.id, 2_500)]
    assert page.next_after is not None
    listed = [c async for c in admin.iter_contributions(pot.id, page_size=1)]
    assert [c.amount_minor for c in listed] == [2_500, 500]


async def test_a_failed_payment_never_counts(
    server_url: str, make_user: MakeUser, clock: FakeClock, payments: Payments
) -> None:
    admin, _ = await make_user()
    pot = await open_pot(admin, clock)
    started = await admin.contribute(pot.id, 1_000, "EUR")
    await payments.confirm(started.id, succeeded=False)
    assert (await admin.contribution(started.id)).status == "failed"
    assert (await admin.pot(pot.id)).raised_minor == 0
    assert [c async for c in admin.iter_contributions(pot.id)] == []


async def test_an_unreachable_provider_says_so_and_a_retry_is_the_same_contribution(
    server: Server, make_user: MakeUser, clock: FakeClock
) -> None:
    sandbox = server.app.state.ctx.providers.default
    sandbox.cruelty = Cruelty(error_share=1.0, seed=1)
    admin, _ = await make_user()
    pot = await open_pot(admin, clock)
    with pytest.raises(ApiError) as info:
        await admin.contribute(pot.id, 1_000, "EUR", client_id="once")
    assert info.value.status == 503
    sandbox.cruelty = Cruelty()
    started = await admin.contribute(pot.id, 1_000, "EUR", client_id="once")
    assert started.checkout_url
    again = await admin.contribute(pot.id, 1_000, "EUR", client_id="once")
    assert again.id == started.id


# Routes other branches bring: tested once the server has them


async def test_proposals_share_and_ledger(
    server: Server, make_user: MakeUser, clock: FakeClock, payments: Payments
) -> None:
    for path in (
        "/api/v1/pots/{pot_id}/proposals",
        "/api/v1/proposals/{proposal_id}/votes",
        "/api/v1/pots/{pot_id}/my-share",
        "/api/v1/pots/{pot_id}/ledger",
        "/api/v1/pots/{pot_id}/ledger.csv",
    ):
        if not has_route(server, path):
            pytest.skip(f"the server has no {path} yet")
    admin, _ = await make_user()
    member, member_user = await make_user()
    pot = await open_pot(admin, clock, member_user)
    for client, amount in ((admin, 6_000), (member, 4_000)):
        started = await client.contribute(pot.id, amount, "EUR")
        await payments.confirm(started.id)

    share = await member.my_share(pot.id)
    assert share.pot_id == pot.id
    assert share.mine_minor in (None, 4_000)

    proposal = await admin.propose(pot.id, "Tent", 8_000, "Camping shop", client_id="p1")
    assert (proposal.title, proposal.amount_minor) == ("Tent", 8_000)
    assert (await admin.propose(pot.id, "Tent", 8_000, "Camping shop", client_id="p1")).id == (
        proposal.id
    )
    assert [p.id for p in await member.proposals(pot.id)] == [proposal.id]
    voted = await member.vote_proposal(proposal.id, True)
    assert voted.id == proposal.id
    assert (await member.proposal(proposal.id)).id == proposal.id

    page = await admin.ledger(pot.id)
    assert page.transfers
    assert page.totals
    assert len([t async for t in admin.iter_ledger(pot.id, page_size=1)]) == len(page.transfers)
    csv_text = await admin.ledger_csv(pot.id)
    assert csv_text.splitlines()[0].count(",") >= 2


async def test_admin_actions(server: Server, make_user: MakeUser, clock: FakeClock) -> None:
    if not has_route(server, "/api/v1/pots/{pot_id}/freeze"):
        pytest.skip("the server cannot freeze pots yet")
    admin, _ = await make_user()
    pot = await open_pot(admin, clock)
    with pytest.raises(ApiError) as refused:
        await admin.freeze_pot(pot.id, "checking a report")
    assert refused.value.status == 403  # freezing is the operator's
    name = f"op{secrets.token_hex(4)}"
    await do_create_operator(server.app.state.ctx, name, PASSWORD)
    async with Client(server.url) as operator:
        await operator.login(name, PASSWORD)
        frozen = await operator.freeze_pot(pot.id, "checking a report")
        assert (frozen.id, frozen.frozen) == (pot.id, True)
        assert not (await operator.unfreeze_pot(pot.id)).frozen
    assert (await admin.close_pot(pot.id)).status != "open"


# Answers of any shape from the action routes


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"id": "7", "title": "Tent", "status": "voting"}),
        (200, {"proposal": {"id": "7", "title": "Tent", "status": "voting"}, "tally": {}}),
        (200, {"tally": {"yes_weight": 1}}),
        (204, None),
    ],
)
async def test_a_vote_reads_the_proposal_from_any_answer(status: int, body: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"id": "7", "title": "Tent", "status": "voting"})
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    async with Client("http://colletta.test", "t", httpx.MockTransport(handler)) as client:
        voted = await client.vote_proposal("7", approve=True)
    assert (voted.id, voted.title, voted.status) == ("7", "Tent", "voting")
