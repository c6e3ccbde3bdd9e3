"""Complaints against statements of reasons (DSA Art. 20): filed by the affected user within
the window, closed by a human who did not decide the case, reversals undo what they can."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from colletta.clock import FakeClock
from colletta.store import cases as case_store
from tests.conftest import PASSWORD, MakePerson, Person
from tests.moderation.conftest import RISK, Scene, grant, notices, statements

DAY_MS = 86_400_000


async def _statement_of(scene: Scene, action: str, **body: Any) -> str:
    case_id = await scene.case_id()
    response = await scene.act(case_id, action, **body)
    assert response.status_code == 200, response.text
    return str(response.json()["action"]["statement_id"])


async def _appeal(person: Person, statement_id: str, text: str = "I was quoting the news.") -> Any:
    return await person.call(
        "POST", f"/api/v1/statements/{statement_id}/complaints", json={"text": text}
    )


async def _second_mod(scene: Scene, person: MakePerson) -> Person:
    other = await person()
    await grant(scene.ctx, other, "moderator")
    return other


async def _decide(who: Person, complaint_id: str, action: str) -> Any:
    return await who.call(
        "POST",
        f"/api/v1/mod/cases/{complaint_id}/actions",
        json={"action": action, "reason": "Looked again."},
    )


async def test_a_reversed_warning_no_longer_allows_a_suspension(
    scene: Scene, person: MakePerson
) -> None:
    statement_id = await _statement_of(scene, "warn")
    filed = await _appeal(scene.poster, statement_id)
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["status"] == "open"
    (queued,) = (await scene.queue())["cases"]
    assert (queued["id"], queued["kind"], queued["subject"]) == (
        appeal["id"],
        "appeal",
        "statement",
    )
    assert "appeal.received" in [n["kind"] for n in await notices(scene.poster)]
    other = await _second_mod(scene, person)
    decided = await _decide(other, appeal["id"], "reverse")
    assert decided.status_code == 200, decided.text
    assert (decided.json()["decision"], decided.json()["undone"]) == ("reversed", ["warn"])
    told = [n for n in await notices(scene.poster) if n["kind"] == "appeal.decided"]
    assert [n["data"]["status"] for n in told] == ["reversed"]
    assert (await scene.queue())["cases"] == []
    case_id = await scene.case_id()
    assert (await scene.act(case_id, "suspend")).status_code == 409


async def test_the_deciding_moderator_does_not_judge_the_complaint(
    scene: Scene, person: MakePerson
) -> None:
    statement_id = await _statement_of(scene, "warn")
    appeal = (await _appeal(scene.poster, statement_id)).json()
    await _second_mod(scene, person)
    refused = await _decide(scene.mod, appeal["id"], "uphold")
    assert refused.status_code == 403
    assert (await scene.queue())["cases"][0]["status"] == "open"


async def test_the_only_moderator_may_judge_their_own_case(scene: Scene) -> None:
    statement_id = await _statement_of(scene, "warn")
    appeal = (await _appeal(scene.poster, statement_id)).json()
    upheld = await _decide(scene.mod, appeal["id"], "uphold")
    assert upheld.status_code == 200, upheld.text
    assert (upheld.json()["decision"], upheld.json()["undone"]) == ("upheld", [])
    assert (await _decide(scene.mod, appeal["id"], "reverse")).status_code == 409


async def test_removed_content_stays_removed_when_reversed(
    scene: Scene, person: MakePerson
) -> None:
    statement_id = await _statement_of(scene, "remove")
    appeal = (await _appeal(scene.poster, statement_id)).json()
    decided = await _decide(await _second_mod(scene, person), appeal["id"], "reverse")
    assert decided.status_code == 200, decided.text
    assert (decided.json()["undone"], decided.json()["not_undone"]) == ([], ["remove"])
    got = await scene.owner.call(
        "GET", f"/api/v1/chats/{scene.chat_id}/messages/{scene.message['id']}"
    )
    assert got.status_code == 404 or got.json()["deleted"] is True


# Sessions outlive the window here, so it is the window that refuses.
@pytest.mark.settings(session_idle_expiry_s=400 * 86_400)
async def test_complaints_are_for_the_affected_user_within_the_window(
    scene: Scene, clock: FakeClock
) -> None:
    statement_id = await _statement_of(scene, "warn")
    other_id = await _statement_of(scene, "warn")
    assert (await _appeal(scene.reporter, statement_id)).status_code == 404
    assert (await _appeal(scene.poster, "1234567")).status_code == 404
    clock.advance(182 * DAY_MS)
    assert (await _appeal(scene.poster, other_id)).status_code == 201
    clock.advance(2 * DAY_MS)
    late = await _appeal(scene.poster, statement_id)
    assert late.status_code == 410, late.text
    assert [c["subject_id"] for c in (await scene.queue())["cases"]] == [other_id]


async def test_one_complaint_per_statement_and_members_cannot_decide(scene: Scene) -> None:
    statement_id = await _statement_of(scene, "warn")
    appeal = (await _appeal(scene.poster, statement_id)).json()
    again = await _appeal(scene.poster, statement_id)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/complaint_already_filed")
    for who in (scene.poster, scene.owner):
        assert (await _decide(who, appeal["id"], "reverse")).status_code == 404
    mine = await scene.poster.ok("GET", "/api/v1/me/complaints")
    assert [(c["id"], c["status"]) for c in mine["complaints"]] == [(appeal["id"], "open")]
    assert (await scene.reporter.ok("GET", "/api/v1/me/complaints"))["complaints"] == []


@pytest.mark.parametrize("action", ["suspend", "ban"])
async def test_a_reversal_lets_a_suspended_or_banned_user_back_in(
    scene: Scene, person: MakePerson, action: str
) -> None:
    if action == "suspend":
        await _statement_of(scene, "warn")
    statement_id = await _statement_of(scene, action)
    assert len(await statements_of_restricted(scene)) >= 1
    filed = await scene.poster.client.post(
        "/api/v1/complaints/restricted",
        json={
            "username": scene.poster.username,
            "password": PASSWORD,
            "statement_id": statement_id,
            "text": "Wrong person.",
        },
    )
    assert filed.status_code == 201, filed.text
    decided = await _decide(await _second_mod(scene, person), filed.json()["id"], "reverse")
    assert decided.json()["undone"] == [action]
    login = await scene.poster.client.post(
        "/api/v1/auth/login", json={"username": scene.poster.username, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text


async def statements_of_restricted(scene: Scene) -> list[str]:
    """The refusal of a restricted account's login names the statement to complain about."""
    login = await scene.poster.client.post(
        "/api/v1/auth/login", json={"username": scene.poster.username, "password": PASSWORD}
    )
    assert login.status_code == 403
    return [login.json()["statement_id"]]


async def test_statements_list_for_the_user(scene: Scene) -> None:
    statement_id = await _statement_of(scene, "warn")
    assert [s["id"] for s in await statements(scene.poster)] == [statement_id]


async def test_a_reversal_unfreezes_the_pot_and_reopens_the_chat(
    scene: Scene, person: MakePerson, make_pot: Any
) -> None:
    pot = await make_pot({"alice": 1000})
    await pot["alice"].ok(
        "POST",
        "/api/v1/reports",
        json={"subject": "pot", "subject_id": pot.id, "category": RISK},
    )
    (case,) = (await scene.queue())["cases"]
    frozen = await scene.act(case["id"], "freeze_pot")
    assert (await pot.view())["frozen"] is True
    statement_id = frozen.json()["action"]["statement_id"]
    complaint = (await _appeal(pot.owner, statement_id)).json()
    other = await _second_mod(scene, person)
    decided = await _decide(other, complaint["id"], "reverse")
    assert decided.json()["undone"] == ["freeze_pot"]
    assert (await pot.view())["frozen"] is False

    await scene.reporter.ok(
        "POST",
        "/api/v1/reports",
        json={"subject": "chat", "subject_id": scene.chat_id, "category": RISK},
    )
    (case,) = (await scene.queue())["cases"]
    closed = await scene.act(case["id"], "close_chat")
    statement_id = closed.json()["action"]["statement_id"]
    assert (await scene.owner.ok("GET", f"/api/v1/chats/{scene.chat_id}"))["closed_at_ms"]
    complaint = (await _appeal(scene.owner, statement_id)).json()
    decided = await _decide(other, complaint["id"], "reverse")
    assert decided.json()["undone"] == ["close_chat"]
    assert (await scene.owner.ok("GET", f"/api/v1/chats/{scene.chat_id}"))["closed_at_ms"] is None
    sent = await scene.poster.call(
        "POST",
        f"/api/v1/chats/{scene.chat_id}/messages",
        json={"text": "back", "client_txn_id": "back"},
    )
    assert sent.status_code == 201


async def test_reversing_a_complaint_against_screening_clears_the_pot(
    scene: Scene, make_pot: Any
) -> None:
    pot = await make_pot({"alice": 0}, title="A rifle for the trip")
    assert (await pot.view())["frozen"] is True
    (statement,) = await statements(pot.owner)
    assert statement["automation"] == "AUTOMATED_DECISION_FULLY"
    complaint = await _appeal(pot.owner, statement["id"], "A starting pistol for the race.")
    assert complaint.status_code == 201, complaint.text
    # The screening case was decided by nobody: any moderator may take the complaint.
    decided = await _decide(scene.mod, complaint.json()["id"], "reverse")
    assert decided.status_code == 200, decided.text
    assert decided.json()["undone"] == ["verdict"]
    view = await pot.view()
    assert (view["frozen"], view["verdict"]["outcome"]) == (False, "allow")
    told = [n["data"] for n in await notices(pot.owner) if n["kind"] == "appeal.decided"]
    assert [t["status"] for t in told] == ["reversed"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite has one writer
async def test_two_complaints_racing_against_one_statement_make_one(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    statement_id = await _statement_of(scene, "warn")
    # Both requests find no complaint yet before either writes one: the race, every time.
    both_looked = asyncio.Barrier(2)
    list_cases_about = case_store.list_cases_about
    looks = 0

    async def look_then_wait(*args: Any, **kwargs: Any) -> Any:
        nonlocal looks
        found = await list_cases_about(*args, **kwargs)
        looks += 1
        if looks <= 2:
            await asyncio.wait_for(both_looked.wait(), timeout=10)
        return found

    monkeypatch.setattr(case_store, "list_cases_about", look_then_wait)
    first, second = await asyncio.gather(
        _appeal(scene.poster, statement_id, "First try."),
        _appeal(scene.poster, statement_id, "Second try."),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    lost = first if first.status_code == 409 else second
    assert lost.json()["type"].endswith("/complaint_already_filed")
    monkeypatch.undo()
    mine = await scene.poster.ok("GET", "/api/v1/me/complaints")
    assert len(mine["complaints"]) == 1
    complaints = [c for c in (await scene.queue())["cases"] if c["kind"] == "appeal"]
    assert len(complaints) == 1
