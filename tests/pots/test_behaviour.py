"""Behavioural screening applied to pots (safety.behaviour, actions.behaviour): red flags
counted at contribution posting and at proposal creation hold payouts (REVIEW) or freeze the
pot (HOLD); the everyday look-alike changes nothing."""

from __future__ import annotations

import pytest

from colletta.actions.cases import open_case
from colletta.domain.cases import Case, CaseKind, CaseStatus, Subject
from colletta.store import cases as case_store
from tests.pots.conftest import DAY_MS, MakePot, Pot, contribute

HOUR_MS = 3_600_000


async def _behaviour_cases(pot: Pot) -> list[Case]:
    async with pot.ctx.db.read() as conn:
        found = await case_store.list_cases_about(conn, Subject.POT, int(pot.id))
    return [c for c in found if c.kind is CaseKind.BEHAVIOUR]


# Four small gifts from new accounts in the window are a crowd here; looked at every 2nd.
CROWD = pytest.mark.settings(behaviour_new_donors_min=4, behaviour_check_every=2)


@CROWD
async def test_small_gifts_from_many_new_accounts_hold_the_payouts(make_pot: MakePot) -> None:
    pot = await make_pot({f"new{i}": 500 for i in range(6)})
    view = await pot.view()
    assert view["payouts_held"] is True
    assert view["frozen"] is False  # it still collects
    assert view["verdict"]["outcome"] == "review"
    assert "behaviour.new_donors" in view["verdict"]["rule_ids"]
    assert "new accounts" in view["verdict"]["reason"]
    # a case in the moderation queue, and the organiser is told why
    [case] = await _behaviour_cases(pot)
    assert case.status is CaseStatus.OPEN
    assert case.rule_ids == ("behaviour.new_donors",)
    [statement] = (await pot.owner.ok("GET", "/api/v1/me/statements"))["statements"]
    assert statement["rule_ids"] == ["behaviour.new_donors"]
    assert statement["monetary"] == "DECISION_MONETARY_SUSPENSION"


@CROWD
@pytest.mark.settings(behaviour_new_account_s=0)
async def test_the_same_gifts_from_established_accounts_change_nothing(make_pot: MakePot) -> None:
    pot = await make_pot({f"old{i}": 500 for i in range(6)})
    view = await pot.view()
    assert view["payouts_held"] is False
    assert view["verdict"]["outcome"] == "allow"
    assert await _behaviour_cases(pot) == []


async def test_a_large_payout_asked_at_once_is_reviewed(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 60_000})
    created = await pot.propose("alice", 30_000)
    assert created.status_code == 201, created.text
    view = await pot.view()
    assert view["payouts_held"] is True
    assert view["verdict"]["rule_ids"] == ["behaviour.early_payout"]


async def test_a_large_payout_asked_days_later_is_not(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 60_000})
    pot.clock.advance(3 * DAY_MS)
    assert (await pot.propose("alice", 30_000)).status_code == 201
    assert (await pot.view())["payouts_held"] is False


async def test_one_payee_paid_from_pots_of_three_chats_is_reviewed(make_pot: MakePot) -> None:
    pots = [await make_pot({"alice": 5000}) for _ in range(3)]
    for pot in pots:
        created = await pot.propose("alice", 1000, payee="Mr. X, IBAN XX00 1234")
        assert created.status_code == 201, created.text
    first, _, third = [await pot.view() for pot in pots]
    assert first["payouts_held"] is False  # one chat, then two: nothing unusual
    assert third["payouts_held"] is True
    assert third["verdict"]["rule_ids"] == ["behaviour.shared_payee"]


async def test_two_flags_freeze_the_pot_and_refuse_the_payout(make_pot: MakePot) -> None:
    for _ in range(2):
        earlier = await make_pot({"alice": 5000})
        earlier.clock.advance(3 * DAY_MS)
        assert (await earlier.propose("alice", 1000, payee="Shared payee")).status_code == 201
    pot = await make_pot({"alice": 60_000})
    held = await pot.propose("alice", 30_000, payee="Shared payee")
    assert held.status_code == 409
    assert held.json()["type"].endswith("pot_frozen")
    view = await pot.view()
    assert view["frozen"] is True
    assert view["reserved_minor"] == 0
    assert set(view["verdict"]["rule_ids"]) == {"behaviour.early_payout", "behaviour.shared_payee"}
    [case] = await _behaviour_cases(pot)
    assert set(case.rule_ids) == {
        "behaviour.early_payout",
        "behaviour.shared_payee",
    }


async def test_a_chat_that_had_content_removed_under_an_order_freezes_its_pot(
    make_pot: MakePot,
) -> None:
    pot = await make_pot({"alice": 5000})
    async with pot.ctx.db.write() as tx:
        await open_case(
            pot.ctx, tx, kind=CaseKind.ORDER, subject=Subject.MESSAGE, subject_id=1,
            chat_id=int(pot.chat_id), reason="removal order",
        )  # fmt: skip
    await pot.propose("alice", 1000)
    view = await pot.view()
    assert view["frozen"] is True
    assert "behaviour.order_chat" in view["verdict"]["rule_ids"]


@pytest.mark.settings(behaviour_late_join_min_members=5)
async def test_a_chat_whose_members_all_just_joined_holds_payouts(make_pot: MakePot) -> None:
    pot = await make_pot({f"m{i}": 1000 for i in range(6)})
    view = await pot.view()
    assert view["payouts_held"] is True
    assert view["verdict"]["rule_ids"] == ["behaviour.late_joiners"]


@pytest.mark.settings(behaviour_spike_min_minor=10_000)
async def test_a_sudden_inflow_after_a_quiet_week_holds_the_payouts(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 1000, "bob": 0})
    pot.clock.advance(5 * DAY_MS)
    await contribute(pot.ctx, pot.double, pot["bob"], pot.id, 40_000)
    view = await pot.view()
    assert view["payouts_held"] is True
    assert view["verdict"]["rule_ids"] == ["behaviour.inflow_spike"]


@pytest.mark.settings(behaviour_spike_min_minor=10_000)
async def test_the_same_sum_at_the_pots_usual_pace_is_not_a_spike(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 30_000, "bob": 0})  # a busy pot from its first hour
    pot.clock.advance(2 * HOUR_MS)
    await contribute(pot.ctx, pot.double, pot["bob"], pot.id, 40_000)
    assert (await pot.view())["payouts_held"] is False
