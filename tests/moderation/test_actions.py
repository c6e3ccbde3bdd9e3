"""Moderator actions: each does what it says, decides the case, sends the affected user a
statement of reasons and tells the reporters; and what must be refused is."""

from __future__ import annotations

from typing import Any

from colletta.clock import FakeClock
from tests.conftest import PASSWORD, MakePerson, Person
from tests.moderation.conftest import (
    SCAM,
    Scene,
    grant,
    notices,
    statements,
    transparency_db_errors,
)
from tests.pots.conftest import contribute
from tests.test_messages import send

DAY_MS = 86_400_000


async def _login(person: Person) -> Any:
    return await person.client.post(
        "/api/v1/auth/login", json={"username": person.username, "password": PASSWORD}
    )


async def test_dismiss_restricts_nothing_and_tells_the_reporter(scene: Scene) -> None:
    case_id = await scene.case_id()
    response = await scene.act(case_id, "dismiss", reason="Not against the rules.")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["decision"]) == ("decided", "dismiss")
    assert response.json()["action"]["statement_id"] is None
    assert await statements(scene.poster) == []
    decided = [n for n in await notices(scene.reporter) if n["kind"] == "report.decided"]
    assert [n["data"]["outcome"] for n in decided] == ["no_action"]
    assert (await scene.queue())["cases"] == []
    message = await scene.poster.ok(
        "GET", f"/api/v1/chats/{scene.chat_id}/messages/{scene.message['id']}"
    )
    assert message["text"] == "send money for the rifles"


async def test_remove_deletes_the_message_for_everyone_with_a_statement(scene: Scene) -> None:
    case_id = await scene.case_id()
    response = await scene.act(case_id, "remove")
    assert response.status_code == 200, response.text
    for who in (scene.owner, scene.reporter, scene.poster):
        got = await who.call("GET", f"/api/v1/chats/{scene.chat_id}/messages/{scene.message['id']}")
        assert got.status_code == 404 or got.json()["deleted"] is True
    (statement,) = await statements(scene.poster)
    assert statement["id"] == response.json()["action"]["statement_id"]
    assert await statements(scene.reporter) == []
    decided = [n for n in await notices(scene.reporter) if n["kind"] == "report.decided"]
    assert [n["data"]["outcome"] for n in decided] == ["action_taken"]
    # The affected user never learns who reported them.
    seen = str(await notices(scene.poster)) + str(statement)
    assert scene.reporter.id not in seen
    assert scene.reporter.username not in seen
    again = await scene.act(case_id, "remove")
    assert again.status_code == 409


async def test_suspension_needs_a_warning_first(scene: Scene, clock: FakeClock) -> None:
    case_id = await scene.case_id()
    refused = await scene.act(case_id, "suspend")
    assert refused.status_code == 409, refused.text
    assert (await scene.poster.call("GET", "/api/v1/me")).status_code == 200
    assert (await scene.act(case_id, "warn", reason="First warning.")).status_code == 200
    (warned,) = await statements(scene.poster)
    warning = [n["data"] for n in await notices(scene.poster) if n["kind"] == "warning"]
    assert warning == [{"statement_id": warned["id"], "reason": "First warning."}]
    # The next report about the same message is a new case.
    second = await scene.case_id()
    assert second != case_id
    suspended = await scene.act(second, "suspend", duration_s=3 * 86_400)
    assert suspended.status_code == 200, suspended.text
    until_ms = suspended.json()["action"]["until_ms"]
    assert until_ms == clock.now_ms() + 3 * DAY_MS
    assert (await scene.poster.call("GET", "/api/v1/me")).status_code == 401
    login = await _login(scene.poster)
    assert login.status_code == 403
    assert login.json()["until_ms"] == until_ms
    clock.advance(3 * DAY_MS + 1)
    assert (await _login(scene.poster)).status_code == 200


async def test_a_ban_ends_every_session_and_refuses_login(scene: Scene) -> None:
    case_id = await scene.case_id()
    response = await scene.act(case_id, "ban", reason="Terrorist financing.")
    assert response.status_code == 200, response.text
    assert (await scene.poster.call("GET", "/api/v1/me")).status_code == 401
    assert (await send_status(scene.poster, scene.chat_id)) == 401
    login = await _login(scene.poster)
    assert login.status_code == 403
    assert login.json()["until_ms"] is None


async def send_status(person: Person, chat_id: str) -> int:
    response = await person.call(
        "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": "hi", "client_txn_id": "z"}
    )
    return response.status_code


async def test_closing_a_channel_stops_posts_and_keeps_it_readable(
    scene: Scene, person: MakePerson
) -> None:
    channel = await scene.owner.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "Front news", "is_public": True}
    )
    post = await send(scene.owner, channel["id"], "donate for the brothers")
    await scene.reporter.ok("POST", f"/api/v1/chats/{channel['id']}/subscribe")
    report = await scene.reporter.call(
        "POST",
        "/api/v1/reports",
        json={
            "subject": "chat",
            "subject_id": channel["id"],
            "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        },
    )
    assert report.status_code == 201, report.text
    (case,) = (await scene.queue())["cases"]
    response = await scene.act(case["id"], "close_chat")
    assert response.status_code == 200, response.text
    refused = await scene.owner.call(
        "POST",
        f"/api/v1/chats/{channel['id']}/messages",
        json={"text": "more", "client_txn_id": "m2"},
    )
    assert refused.status_code == 403
    assert "closed" in refused.json()["detail"]
    shown = await scene.reporter.ok("GET", f"/api/v1/chats/{channel['id']}")
    assert shown["closed_at_ms"] is not None
    history = await scene.reporter.ok("GET", f"/api/v1/chats/{channel['id']}/messages")
    assert [m["id"] for m in history["messages"]] == [post["id"]]
    assert len(await statements(scene.owner)) == 1


async def test_freezing_a_pot_with_refund_gives_the_money_back(scene: Scene, make_pot: Any) -> None:
    pot = await make_pot({"alice": 3000})
    report = await pot["alice"].call(
        "POST",
        "/api/v1/reports",
        json={"subject": "pot", "subject_id": pot.id, "category": SCAM},
    )
    assert report.status_code == 201, report.text
    (case,) = (await scene.queue())["cases"]
    response = await scene.act(case["id"], "freeze_pot", refund=True)
    assert response.status_code == 200, response.text
    view = await pot.view()
    assert view["frozen"] is True
    assert view["status"] in ("refunding", "settled")
    assert len(await statements(pot.owner)) == 1


async def test_an_action_that_does_not_fit_the_subject_is_refused(scene: Scene) -> None:
    case_id = await scene.case_id()
    response = await scene.act(case_id, "freeze_pot")
    assert response.status_code == 422
    assert (await scene.queue())["cases"][0]["status"] == "open"


async def test_dismissing_a_held_pots_case_clears_it(scene: Scene, make_pot: Any) -> None:
    pot = await make_pot({"alice": 0}, title="A rifle for the trip")
    held = await pot.view()
    assert (held["verdict"]["outcome"], held["frozen"]) == ("hold", True)
    (case,) = [c for c in (await scene.queue())["cases"] if c["subject_id"] == pot.id]
    assert case["kind"] == "screening"
    response = await scene.act(case["id"], "dismiss", reason="A starting pistol for a race.")
    assert response.status_code == 200, response.text
    cleared = await pot.view()
    assert (cleared["verdict"]["outcome"], cleared["frozen"]) == ("allow", False)
    assert cleared["verdict"]["rule_ids"] == ["moderator.cleared"]
    await contribute(pot.ctx, pot.double, pot["alice"], pot.id, 500)
    assert (await pot.view())["raised_minor"] == 500


async def test_every_action_is_in_the_audit_log(scene: Scene) -> None:
    case_id = await scene.case_id()
    await scene.act(case_id, "warn")
    log = await scene.mod.ok("GET", "/api/v1/mod/audit", params={"limit": 200})
    actions = [e["action"] for e in log["entries"]]
    assert "mod.warn" in actions
    entry = next(e for e in log["entries"] if e["action"] == "mod.warn")
    assert entry["data"]["case_id"] == case_id
    assert entry["data"]["target_user_id"] == scene.poster.id
    assert entry["actor_id"] == scene.mod.id


async def test_the_operators_account_is_not_warned_suspended_or_banned(
    scene: Scene, http: Any
) -> None:
    from tests.pots.worker_helpers import operator

    op = await operator(http, scene.ctx)
    report = await scene.reporter.call(
        "POST",
        "/api/v1/reports",
        json={"subject": "user", "subject_id": op.id, "category": SCAM},
    )
    assert report.status_code == 201, report.text
    (case,) = (await scene.queue())["cases"]
    for action in ("warn", "suspend", "ban"):  # no moderator's, and not the operator's own
        for who in (scene.mod, op):
            refused = await scene.act(case["id"], action, who=who)
            assert refused.status_code == 403
            assert refused.json()["type"].endswith("/account_protected")
    assert (await op.call("GET", "/api/v1/me")).status_code == 200


ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
LAW = "Art. 5 Directive (EU) 2017/541"


async def _exported(scene: Scene, statement_id: str) -> dict[str, Any]:
    return await scene.mod.ok(  # type: ignore[no-any-return]
        "GET", f"/api/v1/statements/{statement_id}", params={"format": "transparency-db"}
    )


async def test_a_removal_as_illegal_content_names_the_law_it_breaks(scene: Scene) -> None:
    case_id = await scene.case_id()
    why = "It publicly incites donations to buy rifles for a terrorist group."
    no_law = await scene.act(case_id, "remove", ground=ILLEGAL, reason=why)
    assert no_law.status_code == 422, no_law.text
    assert no_law.json()["field"] == "legal_ground"
    assert (await scene.queue())["cases"][0]["status"] == "open"
    response = await scene.act(
        case_id,
        "remove",
        ground=ILLEGAL,
        legal_ground=LAW,
        reason=why,
        category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    )
    assert response.status_code == 200, response.text
    (statement,) = await statements(scene.poster)
    assert (statement["ground"], statement["legal_ground"]) == (ILLEGAL, LAW)
    assert statement["explanation"] == why
    assert statement["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    exported = await _exported(scene, statement["id"])
    assert exported["decision_ground"] == ILLEGAL
    assert exported["illegal_content_legal_ground"] == LAW
    assert exported["illegal_content_explanation"] == why
    assert exported["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert "incompatible_content_ground" not in exported


async def test_a_decision_on_the_terms_names_the_term(scene: Scene) -> None:
    term = "Terms of service §4: no fundraising for weapons"
    first = await scene.case_id()
    assert (
        await scene.act(first, "warn", ground=INCOMPATIBLE, legal_ground=term)
    ).status_code == 200
    second = await scene.case_id()
    assert (await scene.act(second, "remove")).status_code == 200
    by_default, named = await statements(scene.poster)  # newest first
    assert (named["ground"], named["legal_ground"]) == (INCOMPATIBLE, term)
    assert by_default["ground"] == INCOMPATIBLE
    assert by_default["legal_ground"].startswith("Colletta terms of service")
    exported = await _exported(scene, named["id"])
    assert exported["incompatible_content_ground"] == term
    assert exported["incompatible_content_explanation"] == "Fundraising for weapons."
    assert "illegal_content_legal_ground" not in exported


async def test_a_ground_is_for_restrictions_and_must_be_known(scene: Scene) -> None:
    case_id = await scene.case_id()
    dismissed = await scene.act(case_id, "dismiss", ground=ILLEGAL, legal_ground=LAW)
    assert dismissed.status_code == 422, dismissed.text
    unknown = await scene.act(case_id, "remove", ground="DECISION_GROUND_BAD_VIBES")
    assert unknown.status_code == 422
    too_long = await scene.act(case_id, "remove", ground=ILLEGAL, legal_ground="x" * 501)
    assert too_long.status_code == 422
    assert (await scene.queue())["cases"][0]["status"] == "open"


async def test_a_warnings_statement_is_a_valid_transparency_database_submission(
    scene: Scene,
) -> None:
    case_id = await scene.case_id()
    assert (await scene.act(case_id, "warn", reason="First warning.")).status_code == 200
    (warning,) = await statements(scene.poster)
    exported = await _exported(scene, warning["id"])
    # The database has no "warning": nothing is restricted yet, so it is an "other"
    # visibility restriction, which the database accepts only when it is spelled out.
    assert exported["decision_visibility"] == ["DECISION_VISIBILITY_OTHER"]
    assert "warning" in exported["decision_visibility_other"].lower()
    assert exported["end_date_visibility_restriction"] is None
    assert "decision_account" not in exported
    assert transparency_db_errors(exported) == []


async def test_every_moderators_statement_is_a_valid_submission(scene: Scene) -> None:
    for action, body in (
        ("warn", {}),
        ("suspend", {"duration_s": 86_400}),
        ("close_chat", {}),
        ("ban", {}),
        ("remove", {"ground": ILLEGAL, "legal_ground": LAW}),
    ):
        response = await scene.act(await scene.case_id(), action, **body)
        assert response.status_code == 200, response.text
        exported = await _exported(scene, response.json()["action"]["statement_id"])
        assert transparency_db_errors(exported) == [], action
        assert set(exported["territorial_scope"]) >= {"AT", "DE", "IT", "FR"}


async def test_only_the_operator_acts_against_a_moderators_account(
    scene: Scene, http: Any, person: MakePerson
) -> None:
    from tests.pots.worker_helpers import operator

    await grant(scene.ctx, scene.poster, "moderator")  # a moderator posted it
    case_id = await scene.case_id()
    for action in ("warn", "suspend", "ban"):
        refused = await scene.act(case_id, action)
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("/account_protected")
    # Outsiders do not even see the case.
    outsider = await person()
    assert (await scene.act(case_id, "warn", who=outsider)).status_code == 404
    assert (await scene.act(case_id, "warn", who=scene.reporter)).status_code == 404
    assert await statements(scene.poster) == []
    assert (await scene.poster.call("GET", "/api/v1/me")).status_code == 200
    op = await operator(http, scene.ctx)
    warned = await scene.act(case_id, "warn", who=op)
    assert warned.status_code == 200, warned.text
    assert len(await statements(scene.poster)) == 1
