"""Reports (DSA Art. 16): who may report what, the case they open or join, the queue's order,
the reporter's notices and the rate limit."""

from __future__ import annotations

import pytest

from tests.conftest import MakePerson
from tests.moderation.conftest import RISK, SCAM, Scene, grant, notices
from tests.test_messages import make_group, send


async def test_a_report_opens_a_case_and_the_reporter_is_told_at_once(scene: Scene) -> None:
    response = await scene.report()
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert (receipt["subject"], receipt["category"], receipt["trusted"]) == (
        "message",
        RISK,
        False,
    )
    told = [n for n in await notices(scene.reporter) if n["kind"] == "report.received"]
    assert [n["data"]["id"] for n in told] == [receipt["id"]]
    (case,) = (await scene.queue())["cases"]
    assert (case["kind"], case["subject"], case["subject_id"], case["category"]) == (
        "report",
        "message",
        scene.message["id"],
        RISK,
    )
    assert case["subject_user_id"] == scene.poster.id
    assert case["report_count"] == 1
    assert case["reason"] == "reported as risk for public security"  # words, not an enum


async def test_a_second_report_joins_the_open_case(scene: Scene) -> None:
    await scene.report()
    response = await scene.report(scene.owner, category=SCAM, text="a scam too")
    assert response.status_code == 201, response.text
    (case,) = (await scene.queue())["cases"]
    assert case["report_count"] == 2
    shown = await scene.mod.ok("GET", f"/api/v1/mod/cases/{case['id']}")
    assert sorted(r["reporter_id"] for r in shown["reports"]) == sorted(
        [scene.reporter.id, scene.owner.id]
    )
    assert shown["content"]["text"] == "send money for the rifles"


async def test_a_trusted_flaggers_notice_goes_first(scene: Scene, person: MakePerson) -> None:
    await scene.report()  # older, an ordinary user's
    flagger = await person()
    await grant(scene.ctx, flagger, "trusted-flagger")
    response = await flagger.call(
        "POST",
        "/api/v1/reports",
        json={"subject": "user", "subject_id": scene.owner.id, "category": SCAM},
    )
    assert response.status_code == 201, response.text
    assert response.json()["trusted"] is True
    cases = (await scene.queue())["cases"]
    assert [(c["subject"], c["trusted"]) for c in cases] == [("user", True), ("message", False)]
    assert cases[0]["priority"] > cases[1]["priority"]


async def test_what_the_reporter_cannot_see_cannot_be_reported(
    scene: Scene, person: MakePerson
) -> None:
    outsider = await person()
    response = await scene.report(outsider)
    assert response.status_code == 404
    group_pot = await scene.owner.ok(
        "POST",
        f"/api/v1/chats/{scene.chat_id}/pots",
        json={
            "title": "Camping gear",
            "currency": "EUR",
            "goal_minor": 10_000,
            "deadline_at_ms": scene.ctx.clock.now_ms() + 86_400_000,
        },
    )
    for subject, subject_id in (("pot", group_pot["id"]), ("chat", scene.chat_id)):
        got = await outsider.call(
            "POST",
            "/api/v1/reports",
            json={"subject": subject, "subject_id": subject_id, "category": RISK},
        )
        assert got.status_code == 404, (subject, got.text)
    assert (await scene.queue())["cases"] == []


async def test_a_report_needs_a_dsa_category_and_bounded_text(scene: Scene) -> None:
    assert (await scene.report(category="BAD_VIBES")).status_code == 422
    assert (await scene.report(text="x" * 2001)).status_code == 422
    assert (await scene.queue())["cases"] == []


async def test_nobody_reports_their_own_message(scene: Scene) -> None:
    assert (await scene.report(scene.poster)).status_code == 422


@pytest.mark.settings(rate_limits_enabled=True, report_rate="2/hour")
async def test_reports_are_rate_limited_per_user(scene: Scene, person: MakePerson) -> None:
    group = await make_group(scene.owner, scene.reporter)
    for n in range(2):
        message = await send(scene.owner, group, f"post {n}")
        body = {"subject_id": message["id"], "chat_id": group}
        assert (await scene.report(**body)).status_code == 201
    third = await scene.report()
    assert third.status_code == 429
    assert third.json()["retry_after_s"] > 0
    # Someone else's budget is their own.
    assert (await scene.report(scene.owner)).status_code == 201


async def test_members_and_outsiders_do_not_see_the_queue(scene: Scene) -> None:
    case_id = await scene.case_id()
    for who in (scene.reporter, scene.owner):
        assert (await who.call("GET", "/api/v1/mod/queue")).status_code == 404
        assert (await who.call("GET", f"/api/v1/mod/cases/{case_id}")).status_code == 404
        assert (await scene.act(case_id, "remove", who)).status_code == 404
    assert (await scene.queue())["cases"][0]["status"] == "open"
