"""The ledger every member reads: each transfer with who, what, why, when and its state,
under the pot's visibility rule; totals that equal the ledger; pages; the CSV export."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import httpx
import pytest

from colletta.actions.provider_events import on_provider_event
from colletta.domain.pot_admin import CSV_HEADER
from colletta.payments.provider import Outcome
from tests.conftest import MakePerson, Person
from tests.pots.worker_helpers import HOUR_MS, Money, operator
from tests.test_messages import make_group


@pytest.fixture
def money(app: Any) -> Money:
    return Money.install(app.state.ctx)


def ledger(pot_id: int, suffix: str = "") -> str:
    return f"/api/v1/pots/{pot_id}/ledger{suffix}"


async def _busy_pot(money: Money, owner: Person, bob: Person, chat_id: str, **fields: Any) -> int:
    """Contributions posted, one refunded, one being refunded, a payout paid and one
    reserved by a running vote."""
    pot_id = await money.pot(owner, chat_id, **fields)
    await money.give(bob, pot_id, 1_250)
    money.advance(1)
    await money.give(owner, pot_id, 5_000)
    late = await money.give(bob, pot_id, 99, paid=False)
    later = await money.give(bob, pot_id, 10, paid=False)
    await owner.ok("POST", f"/api/v1/pots/{pot_id}/close")
    money.advance(1)
    await money.spend(pot_id, 2_000)
    money.advance(1)
    await money.spend(pot_id, 500, post=False)
    money.advance(1)
    # Paid after closing: they go back (one refund made, one still pending).
    await on_provider_event(money.ctx, money.double.pay(late))
    await money.run_until_idle()
    money.advance(1)
    money.double.will("refund", Outcome.PENDING)
    await on_provider_event(money.ctx, money.double.pay(later))
    await money.run()
    return pot_id


async def test_members_read_every_transfer_and_totals_that_equal_the_ledger(
    money: Money, person: MakePerson
) -> None:
    owner, bob, dave = await person(), await person(), await person()
    chat_id = await make_group(owner, bob, dave)
    pot_id = await _busy_pot(money, owner, bob, chat_id)
    page = await dave.ok("GET", ledger(pot_id))
    rows = [(t["code"], t["amount"], t["state"], t["who"], t["why"]) for t in page["transfers"]]
    assert rows == [
        ("contribution", "12.50", "posted", bob.username, "contribution"),
        ("contribution", "50.00", "posted", owner.username, "contribution"),
        ("payout", "20.00", "posted", "Camping Shop", "Four tents"),
        ("payout", "5.00", "pending", "Camping Shop", "Four tents"),
        ("contribution", "0.99", "posted", bob.username, "contribution"),
        ("refund", "0.99", "posted", bob.username, "refund"),
        ("contribution", "0.10", "posted", bob.username, "contribution"),
        ("refund", "0.10", "pending", bob.username, "refund"),
    ]
    assert {t["who_user_id"] for t in page["transfers"] if t["code"] != "payout"} == {
        bob.id,
        owner.id,
    }
    totals = page["totals"]
    books = await money.check_books(pot_id)
    assert totals == books.view()
    assert (totals["raised"], totals["spent"], totals["refunded"]) == ("63.59", "20.00", "0.99")
    assert (totals["reserved_minor"], totals["balance_minor"]) == (510, 4_260)
    assert totals["available_minor"] == totals["balance_minor"] - totals["reserved_minor"]
    assert page["next_after"] is None


async def test_an_anonymous_pot_names_contributors_to_admins_and_the_operator_only(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, bob, dave, outsider = await person(), await person(), await person(), await person()
    chat_id = await make_group(owner, bob, dave)
    pot_id = await money.pot(owner, chat_id, visibility="anonymous")
    await money.give(bob, pot_id, 300)
    money.advance(1)
    await money.give(dave, pot_id, 200)
    op = await operator(http, money.ctx)  # not in the group

    async def who(viewer: Person) -> list[str | None]:
        page = await viewer.ok("GET", ledger(pot_id))
        return [t["who"] for t in page["transfers"]]

    assert await who(dave) == [None, dave.username]  # one's own, and nobody else's
    assert await who(bob) == [bob.username, None]
    assert await who(owner) == [bob.username, dave.username]
    assert await who(op) == [bob.username, dave.username]
    assert (await outsider.call("GET", ledger(pot_id))).status_code == 404
    assert (await outsider.call("GET", ledger(pot_id, ".csv"))).status_code == 404
    csv_rows = _rows(await dave.call("GET", ledger(pot_id, ".csv")))
    assert [row["who"] for row in csv_rows] == ["", dave.username]
    assert [row["who_user_id"] for row in csv_rows] == ["", dave.id]


async def test_a_channels_subscribers_read_its_pots_ledger_and_readers_do_not(
    money: Money, person: MakePerson
) -> None:
    owner, subscriber, reader = await person(), await person(), await person()
    channel = await owner.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "News", "is_public": True}
    )
    await subscriber.ok("POST", f"/api/v1/chats/{channel['id']}/subscribe")
    pot_id = await money.pot(owner, channel["id"])
    await money.give(subscriber, pot_id, 800)
    page = await subscriber.ok("GET", ledger(pot_id))
    assert [t["who"] for t in page["transfers"]] == [subscriber.username]
    assert (await reader.call("GET", ledger(pot_id))).status_code == 403


async def test_pages_and_the_csv_export_hold_the_same_transfers(
    money: Money, person: MakePerson
) -> None:
    owner, bob = await person(), await person()
    chat_id = await make_group(owner, bob)
    pot_id = await _busy_pot(money, owner, bob, chat_id)
    whole = (await bob.ok("GET", ledger(pot_id)))["transfers"]
    paged: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after is not None:
            params["after"] = after
        page = await bob.ok("GET", ledger(pot_id), params=params)
        paged += page["transfers"]
        after = page["next_after"]
        if after is None:
            break
    assert paged == whole
    bad = await bob.call("GET", ledger(pot_id), params={"after": "yesterday"})
    assert bad.status_code == 422

    response = await bob.call("GET", ledger(pot_id, ".csv"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="pot-{pot_id}-ledger.csv"'
    )
    assert response.text.splitlines()[0] == ",".join(CSV_HEADER)
    rows = _rows(response)
    assert [r["transfer"] for r in rows] == [t["transfer"] for t in whole]
    assert [(r["amount"], int(r["amount_minor"])) for r in rows] == [
        (t["amount"], t["amount_minor"]) for t in whole
    ]
    posted: Counter[str] = Counter()
    for row in rows:
        if row["state"] == "posted":
            posted[row["code"]] += int(row["amount_minor"])
    totals = (await money.check_books(pot_id)).view()
    assert (posted["contribution"], posted["refund"], posted["payout"]) == (
        totals["raised_minor"],
        totals["refunded_minor"],
        totals["spent_minor"],
    )


async def test_a_long_ledger_streams_whole_in_csv(
    money: Money, person: MakePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    from colletta.actions import pot_admin

    monkeypatch.setattr(pot_admin, "LEDGER_PAGE_MAX", 4)
    owner, bob = await person(), await person()
    chat_id = await make_group(owner, bob)
    pot_id = await money.pot(owner, chat_id, deadline_at_ms=money.now_ms() + 2 * HOUR_MS)
    for i in range(9):
        money.advance(1)
        await money.give(bob, pot_id, 10 + i)
    rows = _rows(await bob.call("GET", ledger(pot_id, ".csv")))
    assert [int(r["amount_minor"]) for r in rows] == [10 + i for i in range(9)]


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))
