"""Spending is screened like the pot's own texts (DESIGN.md §5): a proposal to buy weapons is
refused with the reason and changes nothing; a sensitive one holds the pot's payouts; a HOLD
freezes the pot until a moderator decides."""

from __future__ import annotations

from colletta.domain.safety import Outcome, PotText, Verdict
from colletta.safety.screening import Screener
from tests.pots.conftest import MakePot


async def test_a_proposal_to_buy_weapons_is_refused_with_the_reason(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    before = await pot.view()
    refused = await pot.propose("alice", 3000, title="Ten AK-47 rifles", payee="Arms dealer")
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["type"].endswith("pot_refused")
    assert "weapons.firearm" in problem["rule_ids"]
    assert await pot.view() == before  # nothing reserved, no verdict changed
    listed = await pot["alice"].ok("GET", f"/api/v1/pots/{pot.id}/proposals")
    assert listed["proposals"] == []


async def test_sensitive_spending_goes_to_the_vote_with_the_payouts_held(
    make_pot: MakePot,
) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    created = await pot.propose(
        "alice", 3000, title="Range repairs for the shooting club", payee="Club treasurer"
    )
    assert created.status_code == 201, created.text
    view = await pot.view()
    assert view["payouts_held"] is True
    assert view["verdict"]["outcome"] == "review"
    assert view["reserved_minor"] == 3000


class _HoldEverySpending(Screener):
    def screen_pot(self, text: PotText) -> Verdict:
        if text.proposals:
            return Verdict(Outcome.HOLD, ("test.hold",), "a moderator must look at this")
        return super().screen_pot(text)


async def test_a_hold_on_spending_freezes_the_pot(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    pot.ctx.screener = _HoldEverySpending()
    held = await pot.propose("alice", 3000)
    assert held.status_code == 409
    assert held.json()["type"].endswith("pot_frozen")
    view = await pot.view()
    assert (view["frozen"], view["frozen_reason"]) == (True, "a moderator must look at this")
    assert view["reserved_minor"] == 0
    contribution = await pot["bob"].call(
        "POST",
        f"/api/v1/pots/{pot.id}/contributions",
        json={"client_id": "more", "amount_minor": 100, "currency": "EUR"},
    )
    assert contribution.status_code == 409  # a frozen pot takes no money either
