"""Announcements are screened like the pots they speak for (actions.announcements): a post by
the chat's admins or a pot's organiser in a chat with a pot in play. BLOCK refuses the post
with the reason; REVIEW holds the pots' payouts; a plain member's post changes no pot."""

from __future__ import annotations

from typing import Any

from colletta.domain.cases import CaseKind, Subject
from colletta.store import cases as case_store
from tests.conftest import MakePerson, Person
from tests.pots.conftest import MakePot
from tests.test_messages import history, make_group, send

WEAPONS = "Every euro buys rifles and ammo for the brothers at the front"
SENSITIVE = "Reminder: the hunting club's rifles need new scopes, licence fees due Friday"


async def _post(person: Person, chat_id: str, text: str, txn: str = "t1") -> Any:
    return await person.call(
        "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": text, "client_txn_id": txn}
    )


async def test_an_admins_post_to_buy_weapons_is_refused_with_the_reason(
    make_pot: MakePot,
) -> None:
    pot = await make_pot({"alice": 5000})
    refused = await _post(pot.owner, pot.chat_id, WEAPONS)
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["type"].endswith("announcement_refused")
    assert "weapons.firearm" in problem["rule_ids"]
    assert problem["detail"]  # the reason, for the poster
    seen = await history(pot["alice"], pot.chat_id)
    assert all(m.get("text") != WEAPONS for m in seen["messages"])
    async with pot.ctx.db.read() as conn:
        [case] = await case_store.list_cases_about(conn, Subject.CHAT, int(pot.chat_id))
    assert (case.kind, case.decision) == (CaseKind.SCREENING, "refused")
    [statement] = (await pot.owner.ok("GET", "/api/v1/me/statements"))["statements"]
    assert "A post in" in statement["facts"]


async def test_a_sensitive_announcement_holds_the_pots_payouts(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 5000})
    await send(pot.owner, pot.chat_id, SENSITIVE, txn="s1")
    view = await pot.view()
    assert view["payouts_held"] is True
    assert view["verdict"]["outcome"] == "review"
    assert "sensitive.hunting" in view["verdict"]["rule_ids"]


async def test_an_edit_into_an_announcement_to_buy_weapons_is_refused(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 5000})
    message = await send(pot.owner, pot.chat_id, "Thanks all!")
    edited = await pot.owner.call(
        "PATCH",
        f"/api/v1/chats/{pot.chat_id}/messages/{message['id']}",
        json={"text": WEAPONS},
    )
    assert edited.status_code == 403, edited.text
    assert edited.json()["type"].endswith("announcement_refused")


async def test_a_members_post_changes_no_pot(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 5000})
    before = await pot.view()
    await send(pot["alice"], pot.chat_id, WEAPONS, txn="w1")  # reported, not screened
    assert await pot.view() == before


async def test_a_chat_without_a_pot_has_no_announcements(person: MakePerson) -> None:
    owner = await person()
    chat_id = await make_group(owner)
    assert (await _post(owner, chat_id, WEAPONS)).status_code == 201
