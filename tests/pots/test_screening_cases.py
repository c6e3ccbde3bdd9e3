"""A restricting screening verdict leaves a case in the moderation queue and a statement of
reasons in the organiser's inbox (DESIGN.md §5, DSA Art. 17); an allowed pot leaves neither."""

from __future__ import annotations

from typing import Any

from colletta.actions.context import Context
from colletta.actions.pot_admin import clear_pot_verdict
from colletta.domain.cases import CaseKind, CaseStatus, Subject
from colletta.domain.safety import Outcome, PotText, Verdict
from colletta.safety.screening import Screener
from colletta.store import cases as case_store
from tests.conftest import MakePerson
from tests.moderation.conftest import transparency_db_errors
from tests.pots.conftest import DAY_MS, MakePot
from tests.pots.worker_helpers import operator
from tests.test_messages import make_group


def _pot(title: str, now_ms: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "currency": "EUR",
        "goal_minor": 50_000,
        "deadline_at_ms": now_ms + 10 * DAY_MS,
        **extra,
    }


async def _cases(ctx: Context, subject: Subject, subject_id: str) -> list[Any]:
    async with ctx.db.read() as conn:
        return await case_store.list_cases_about(conn, subject, int(subject_id))


async def test_a_refused_pot_is_recorded_and_its_organiser_gets_a_statement(
    ctx: Context, person: MakePerson, http: Any
) -> None:
    owner, member = await person(), await person()
    chat_id = await make_group(owner, member)
    now_ms = ctx.clock.now_ms()
    refused = await owner.call(
        "POST",
        f"/api/v1/chats/{chat_id}/pots",
        json=_pot("Rifles and ammo for the brigade", now_ms),
    )
    assert refused.status_code == 403, refused.text
    [case] = await _cases(ctx, Subject.CHAT, chat_id)
    assert (case.kind, case.status, case.decision) == (
        CaseKind.SCREENING,
        CaseStatus.DECIDED,
        "refused",
    )
    assert case.subject_user_id == int(owner.id)
    statements = (await owner.ok("GET", "/api/v1/me/statements"))["statements"]
    [statement] = statements
    assert statement["monetary"] == "DECISION_MONETARY_TERMINATION"
    assert statement["automation"] == "AUTOMATED_DECISION_FULLY"
    assert statement["automated_detection"] is True
    assert statement["rule_ids"] == refused.json()["rule_ids"]
    assert "Rifles and ammo" in statement["facts"]
    notices = (await owner.ok("GET", "/api/v1/me/notices"))["notices"]
    assert [n["kind"] for n in notices] == ["statement"]
    assert notices[0]["data"]["statement"]["id"] == statement["id"]
    # Nobody else sees it; the operator does, also in the transparency database's schema.
    assert (await member.ok("GET", "/api/v1/me/statements"))["statements"] == []
    hidden = await member.call("GET", f"/api/v1/statements/{statement['id']}")
    assert hidden.status_code == 404
    op = await operator(http, ctx)
    exported = await op.ok(
        "GET", f"/api/v1/statements/{statement['id']}", params={"format": "transparency-db"}
    )
    assert exported["decision_monetary"] == "DECISION_MONETARY_TERMINATION"
    assert exported["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert exported["automated_detection"] == "Yes"
    assert exported["puid"] == statement["id"]
    assert transparency_db_errors(exported) == []


async def test_a_pot_sent_for_review_opens_a_case_for_a_human(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 1000}, title="Shooting club range repairs")
    view = await pot.view()
    assert view["verdict"]["outcome"] == "review"
    [case] = await _cases(pot.ctx, Subject.POT, pot.id)
    assert (case.kind, case.status) == (CaseKind.SCREENING, CaseStatus.OPEN)
    assert case.rule_ids == tuple(view["verdict"]["rule_ids"])
    [statement] = (await pot.owner.ok("GET", "/api/v1/me/statements"))["statements"]
    assert statement["monetary"] == "DECISION_MONETARY_SUSPENSION"
    assert statement["case_id"] == str(case.id)


async def test_an_allowed_pot_leaves_no_case_and_no_statement(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 1000}, title="Birthday present for Marta")
    assert await _cases(pot.ctx, Subject.POT, pot.id) == []
    assert (await pot.owner.ok("GET", "/api/v1/me/statements"))["statements"] == []
    assert (await pot.owner.ok("GET", "/api/v1/me/notices"))["notices"] == []


async def test_refused_spending_is_recorded_against_the_pot(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000})
    refused = await pot.propose("alice", 3000, title="Ten AK-47 rifles", payee="Arms dealer")
    assert refused.status_code == 403
    [case] = await _cases(pot.ctx, Subject.POT, pot.id)
    assert case.decision == "refused"
    assert case.subject_user_id == int(pot["alice"].id)
    [statement] = (await pot["alice"].ok("GET", "/api/v1/me/statements"))["statements"]
    assert "Ten AK-47 rifles" in statement["facts"]


async def _clear(pot: Any) -> None:
    async with pot.ctx.db.write() as tx:
        await clear_pot_verdict(pot.ctx, tx, int(pot.id), by_user_id=int(pot.owner.id))


async def test_a_moderator_clearing_a_review_releases_the_payouts(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 1000}, title="Shooting club range repairs")
    assert (await pot.view())["payouts_held"] is True
    await _clear(pot)
    view = await pot.view()
    assert view["payouts_held"] is False
    assert view["verdict"]["rule_ids"] == ["moderator.cleared"]


class _HoldTitles(Screener):
    def screen_pot(self, text: PotText) -> Verdict:
        if "hold" in text.title:
            return Verdict(Outcome.HOLD, ("test.hold",), "a moderator must look at this")
        return super().screen_pot(text)


async def test_clearing_a_hold_unfreezes_but_leaves_the_operators_own_freeze(
    make_pot: MakePot, ctx: Context, http: Any
) -> None:
    ctx.screener = _HoldTitles()
    held = await make_pot({}, title="please hold")
    assert (await held.view())["frozen"] is True
    await _clear(held)
    assert (await held.view())["frozen"] is False

    other = await make_pot({}, title="hold this one too")
    op = await operator(http, ctx)
    await op.ok("POST", f"/api/v1/pots/{other.id}/unfreeze")
    await op.ok("POST", f"/api/v1/pots/{other.id}/freeze", json={"reason": "police asked"})
    await _clear(other)
    view = await other.view()
    assert (view["frozen"], view["frozen_reason"]) == (True, "police asked")
