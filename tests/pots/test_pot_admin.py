"""Freeze, unfreeze, refund all, close early and finish, through the API: who may, what each
does to the money, and that nothing is ever silently kept (the remainder goes back pro rata,
to the minor unit)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from colletta.actions.pot_tasks import void_voting_proposals
from colletta.actions.provider_events import on_provider_event
from colletta.domain.money import split_pro_rata
from colletta.domain.pots import ContributionStatus, PotFrozen, PotStatus
from colletta.errors import InvalidInput
from colletta.store import pots as pot_store
from tests.conftest import MakePerson, Person
from tests.pots.worker_helpers import HOUR_MS, Money, events_of, operator
from tests.test_expiry import synced
from tests.test_messages import make_group


@pytest.fixture
def money(app: Any) -> Money:
    return Money.install(app.state.ctx)


def problem(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["type"].rsplit("/", 1)[-1]


def path(pot_id: int, action: str) -> str:
    return f"/api/v1/pots/{pot_id}/{action}"


async def _cast(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> tuple[Person, Person, Person, Person, str]:
    """An organiser (owner), an admin, a member, the operator; their group."""
    owner, admin, member = await person(), await person(), await person()
    chat_id = await make_group(owner, admin, member)
    await owner.ok("PATCH", f"/api/v1/chats/{chat_id}/members/{admin.id}", json={"role": "admin"})
    return owner, admin, member, await operator(http, money.ctx), chat_id


async def test_only_the_operator_freezes_and_a_frozen_pot_takes_no_money(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, admin, member, op, chat_id = await _cast(money, http, person)
    outsider = await person()
    pot_id = await money.pot(owner, chat_id)
    waiting = await money.give(member, pot_id, 400, paid=False)
    body = {"reason": "matches a terrorist financing pattern"}
    assert (await outsider.call("POST", path(pot_id, "freeze"), json=body)).status_code == 404
    for someone in (owner, admin, member):
        assert (await someone.call("POST", path(pot_id, "freeze"), json=body)).status_code == 403
    assert (await op.call("POST", path(pot_id, "freeze"), json={})).status_code == 422
    frozen = await op.ok("POST", path(pot_id, "freeze"), json=body)
    assert (frozen["frozen"], frozen["frozen_reason"]) == (True, body["reason"])
    assert (await op.ok("POST", path(pot_id, "freeze"), json={"reason": "again"}))[
        "frozen_reason"
    ] == body["reason"]

    with pytest.raises(PotFrozen) as refused:
        await money.give(member, pot_id, 100)
    assert refused.value.type == "pot_frozen"
    # A payment that was already under way when the pot froze goes straight back.
    await on_provider_event(money.ctx, money.double.pay(waiting))
    await money.run_until_idle()
    [back] = await money.contributions(pot_id)
    assert (back.status, back.refunded_minor) == (ContributionStatus.REFUNDED, 400)
    await money.check_books(pot_id)

    for someone in (owner, admin, member):
        assert (await someone.call("POST", path(pot_id, "unfreeze"))).status_code == 403
    thawed = await op.ok("POST", path(pot_id, "unfreeze"))
    # The operator's actions are in the audit log, newest first.
    trail = await op.ok("GET", "/api/v1/mod/audit", params={"subject": "pot", "subject_id": pot_id})
    assert [e["action"] for e in trail["entries"]] == ["pot.unfrozen", "pot.frozen", "pot.frozen"]
    assert (thawed["frozen"], thawed["frozen_reason"]) == (False, None)
    await money.give(member, pot_id, 100)
    changes = [e["change"] for e in events_of(await synced(member, chat_id), "pot.updated")]
    assert changes == ["frozen", "unfrozen"]
    frozen_event = events_of(await synced(member, chat_id), "pot.updated")[0]
    assert body["reason"] not in str(frozen_event)  # the reason is for organisers only


async def test_unfreezing_after_the_deadline_decides_the_pot_at_once(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, _, member, op, chat_id = await _cast(money, http, person)
    pot_id = await money.pot(owner, chat_id, model="all_or_nothing")
    await money.give(member, pot_id, 700)
    await op.ok("POST", path(pot_id, "freeze"), json={"reason": "checking"})
    money.advance(2 * HOUR_MS)
    await money.run_until_idle()
    assert (await money.get_pot(pot_id)).status is PotStatus.OPEN
    await op.ok("POST", path(pot_id, "unfreeze"))
    await money.run_until_idle()
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    assert (await money.check_books(pot_id)).refunded_minor == 700


async def test_refund_all_voids_running_votes_and_gives_everything_back(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, admin, member, op, chat_id = await _cast(money, http, person)
    pot_id = await money.pot(owner, chat_id)
    for amount in (1_000, 2_000, 3_000):
        await money.give(member, pot_id, amount)
    voting = await money.spend(pot_id, 2_500, post=False)
    await op.ok("POST", path(pot_id, "freeze"), json={"reason": "under review"})
    # Frozen: the operator's to decide, not the organiser's.
    refused = await admin.call("POST", path(pot_id, "refund-all"))
    assert problem(refused) == (409, "pot_frozen")
    assert (await member.call("POST", path(pot_id, "refund-all"))).status_code == 403
    view = await op.ok("POST", path(pot_id, "refund-all"))
    assert view["status"] == "refunding"
    assert await money.proposal_status(voting) == "rejected"
    await money.run_until_idle()
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    totals = await money.check_books(pot_id)
    assert (totals.refunded_minor, totals.reserved_minor, totals.balance_minor) == (6_000, 0, 0)
    assert sorted(money.double.refunded_by_payment().values()) == [1_000, 2_000, 3_000]
    again = await op.call("POST", path(pot_id, "refund-all"))
    assert problem(again) == (409, "pot_closed")
    resolved = events_of(await synced(member, chat_id), "pot.proposal_resolved")
    assert [(e["proposal_id"], e["status"]) for e in resolved] == [(str(voting), "rejected")]


async def test_the_organiser_may_refund_all_of_a_pot_that_is_not_frozen(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, _, member, _, chat_id = await _cast(money, http, person)
    pot_id = await money.pot(owner, chat_id)
    await money.give(member, pot_id, 1_234)
    await owner.ok("POST", path(pot_id, "refund-all"))
    await money.run_until_idle()
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    assert (await money.check_books(pot_id)).refunded_minor == 1_234


async def test_closing_early(money: Money, http: httpx.AsyncClient, person: MakePerson) -> None:
    owner, admin, member, _, chat_id = await _cast(money, http, person)
    keep = await money.pot(owner, chat_id)
    all_or_nothing = await money.pot(owner, chat_id, model="all_or_nothing", goal_minor=1_000)
    await money.give(member, all_or_nothing, 600)
    assert (await member.call("POST", path(keep, "close"))).status_code == 403
    closed = await admin.ok("POST", path(keep, "close"))
    assert (closed["status"], closed["closed_at_ms"]) == ("closed", money.now_ms())
    assert await money.tasks(keep) == 0  # the deadline has nothing left to decide
    refused = await owner.call("POST", path(all_or_nothing, "close"))
    assert problem(refused) == (409, "goal_not_reached")
    await money.give(member, all_or_nothing, 400)
    assert (await owner.ok("POST", path(all_or_nothing, "close")))["status"] == "closed"
    again = await owner.call("POST", path(keep, "close"))
    assert problem(again) == (409, "pot_closed")


async def test_finishing_gives_the_remainder_back_pro_rata_to_the_minor_unit(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, admin, member, _, chat_id = await _cast(money, http, person)
    pot_id = await money.pot(owner, chat_id)
    amounts = [(member, 1_000), (member, 333), (admin, 2_001), (owner, 7)]
    given = {await money.give(who, pot_id, amount): amount for who, amount in amounts}
    refused = await owner.call("POST", path(pot_id, "finish"))
    assert problem(refused) == (409, "pot_closed")
    await owner.ok("POST", path(pot_id, "close"))
    pending = await money.spend(pot_id, 100, post=False)
    refused = await owner.call("POST", path(pot_id, "finish"))
    assert problem(refused) == (409, "spending_pending")
    assert await money.proposal_status(pending) == "voting"
    assert (await member.call("POST", path(pot_id, "finish"))).status_code == 403
    # Spent: the vote above is settled (voided by hand here) and another one paid out.
    await _void(money, pot_id)
    await money.spend(pot_id, 1_000)
    held = sum(given.values())  # 3341
    remainder = held - 1_000
    finished = await admin.ok("POST", path(pot_id, "finish"))
    assert finished["status"] == "refunding"
    await money.run_until_idle()

    shares = split_pro_rata(remainder, list(given.values()))
    refunded = await money.refunded_of(pot_id)
    assert [refunded[cid] for cid in given] == shares
    assert sum(shares) == remainder
    assert all(
        abs(s * held - remainder * a) < held for s, a in zip(shares, given.values(), strict=True)
    )
    pot = await money.get_pot(pot_id)
    assert pot.status is PotStatus.SETTLED
    totals = await money.check_books(pot_id)
    assert (totals.spent_minor, totals.refunded_minor, totals.balance_minor) == (
        1_000,
        remainder,
        0,
    )


async def test_shares_of_nothing_end_a_contribution_without_a_refund(
    money: Money, http: httpx.AsyncClient, person: MakePerson
) -> None:
    owner, _, member, _, chat_id = await _cast(money, http, person)
    pot_id = await money.pot(owner, chat_id)
    given = [await money.give(member, pot_id, 1) for _ in range(3)]
    await money.spend(pot_id, 2)
    await owner.ok("POST", path(pot_id, "close"))
    await owner.ok("POST", path(pot_id, "finish"))
    await money.run_until_idle()
    contributions = {c.id: c for c in await money.contributions(pot_id)}
    assert [contributions[cid].refunded_minor for cid in given] == [1, 0, 0]
    assert {c.status for c in contributions.values()} == {ContributionStatus.REFUNDED}
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    await money.check_books(pot_id)


async def _void(money: Money, pot_id: int) -> None:
    """The running vote ends without spending (as a rejected vote would)."""
    async with money.ctx.db.write() as tx:
        pot = await pot_store.get_pot(tx.conn, pot_id, for_update=True)
        assert pot is not None
        await void_voting_proposals(money.ctx, tx, pot, money.now_ms())


@given(
    total=st.integers(0, 10**12),
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=40),
)
def test_pro_rata_parts_add_up_exactly_and_stay_within_a_unit(
    total: int, weights: list[int]
) -> None:
    weight_total = sum(weights)
    if weight_total == 0:
        assert split_pro_rata(0, weights) == [0] * len(weights)
        with pytest.raises(InvalidInput):
            split_pro_rata(total or 1, weights)
        return
    total = min(total, weight_total)
    parts = split_pro_rata(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        # |part - total * weight / weight_total| < 1, in integers
        assert abs(part * weight_total - total * weight) < weight_total
        assert 0 <= part <= weight
    # Deterministic, and the larger weight never gets less.
    assert split_pro_rata(total, weights) == parts
    for (pa, wa), (pb, wb) in pairwise(zip(parts, weights, strict=True)):
        if wa > wb:
            assert pa >= pb
