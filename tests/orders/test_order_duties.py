"""What executing an order leaves behind: an ORDER case per removed item (opened and decided),
the uploader's notice and statement of reasons unless the order says not to, the audit trail;
and moderators may read orders but not register them."""

from __future__ import annotations

from typing import Any

import pytest

from colletta.actions.audit import do_verify_audit
from colletta.actions.expiry import do_expire_due
from colletta.actions.moderators import Grant, do_set_grant
from colletta.clock import FakeClock
from colletta.store import cases as case_store
from tests.conftest import MakePerson
from tests.moderation.conftest import transparency_db_errors
from tests.orders.helpers import image_post, operator_of, order_body
from tests.test_expiry import post
from tests.test_messages import make_group


@pytest.mark.parametrize("notify", [True, False])
async def test_the_uploader_is_told_unless_the_order_says_not_to(
    person: MakePerson, app: Any, http: Any, notify: bool
) -> None:
    ctx = app.state.ctx
    uploader, reader = await person(), await person()
    op = await operator_of(http, ctx)
    chat_id = await make_group(uploader, reader)
    bad, media_id = await image_post(uploader, chat_id)
    other = await post(reader, chat_id, "the reader's own message")
    order = await op.ok(
        "POST",
        "/api/v1/orders",
        json=order_body(f"media:{media_id}", f"message:{other['id']}", notify=notify),
    )
    notices = (await uploader.ok("GET", "/api/v1/me/notices"))["notices"]
    statements = (await uploader.ok("GET", "/api/v1/me/statements"))["statements"]
    if not notify:
        assert notices == []
        assert statements == []
        assert (await reader.ok("GET", "/api/v1/me/notices"))["notices"] == []
        return
    [statement] = statements
    assert statement["visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert statement["ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["source"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    assert order["reference"] in statement["legal_ground"]
    assert statement["explanation"] == order["reasons"]
    assert statement["case_id"] in order["case_ids"]
    exported = await op.ok(
        "GET", f"/api/v1/statements/{statement['id']}", params={"format": "transparency-db"}
    )
    assert transparency_db_errors(exported) == []
    executed = [n for n in notices if n["kind"] == "order.executed"]
    assert [n["data"]["items"] for n in executed] == [[f"media:{media_id}"]]
    assert executed[0]["data"]["statement_ids"] == [statement["id"]]
    # The reader's message was named too: they get their own, not the uploader's.
    [theirs] = (await reader.ok("GET", "/api/v1/me/statements"))["statements"]
    assert f"message:{other['id']}" in theirs["facts"]
    assert bad["id"] not in theirs["facts"]


async def test_each_removed_item_has_a_decided_order_case_and_every_step_is_audited(
    person: MakePerson, app: Any, http: Any
) -> None:
    ctx = app.state.ctx
    uploader = await person()
    op = await operator_of(http, ctx)
    chat_id = await make_group(uploader)
    bad, _ = await image_post(uploader, chat_id)
    order = await op.ok(
        "POST", "/api/v1/orders", json=order_body(f"message:{bad['id']}", "message:777")
    )
    [case_id] = order["case_ids"]  # the missing item has none
    async with ctx.db.read() as conn:
        case = await case_store.get_case(conn, int(case_id))
        chat_orders = await case_store.count_chat_cases(conn, int(chat_id), case.kind)
    assert case is not None
    assert (case.kind.value, case.status.value, case.decision) == ("order", "decided", "removed")
    assert (case.subject.value, str(case.subject_id)) == ("message", bad["id"])
    assert str(case.subject_user_id) == uploader.id
    assert case.data["order_id"] == order["id"]
    assert chat_orders == 1  # what the behaviour rules ask of a chat
    log = (await op.ok("GET", "/api/v1/mod/audit", params={"limit": 200}))["entries"]
    actions = [entry["action"] for entry in reversed(log)]
    for step in (
        "order.registered",
        "case.opened",
        "content.preserved",
        "content.removed",
        "statement.issued",
        "order.executed",
    ):
        assert step in actions, (step, actions)
    assert actions.index("order.registered") < actions.index("order.executed")
    assert (await do_verify_audit(ctx)).ok


async def test_moderators_read_orders_but_only_the_operator_registers_them(
    person: MakePerson, app: Any, http: Any
) -> None:
    ctx = app.state.ctx
    uploader, mod = await person(), await person()
    op = await operator_of(http, ctx)
    await do_set_grant(ctx, mod.username, Grant.MODERATOR, True)
    chat_id = await make_group(uploader)
    bad, _ = await image_post(uploader, chat_id)
    refused = await mod.call("POST", "/api/v1/orders", json=order_body(f"message:{bad['id']}"))
    assert refused.status_code == 404
    assert (await uploader.ok("GET", f"/api/v1/chats/{chat_id}/messages/{bad['id']}"))["text"]
    order = await op.ok("POST", "/api/v1/orders", json=order_body(f"message:{bad['id']}"))
    assert [o["id"] for o in (await mod.ok("GET", "/api/v1/orders"))["orders"]] == [order["id"]]
    record = await mod.ok("GET", f"/api/v1/orders/{order['id']}/confirmation")
    assert record == order["confirmation"]
    assert (await mod.call("GET", "/api/v1/preserved")).status_code == 404


WEEK_MS = 7 * 86_400_000


async def test_an_orders_secrecy_lapses_and_the_uploader_is_told_then(
    person: MakePerson, app: Any, http: Any, clock: FakeClock
) -> None:
    ctx = app.state.ctx
    uploader, reader = await person(), await person()
    op = await operator_of(http, ctx)
    mod = await person()
    await do_set_grant(ctx, mod.username, Grant.MODERATOR, True)
    chat_id = await make_group(uploader, reader)
    bad, _ = await image_post(uploader, chat_id)
    too_long = order_body(
        f"message:{bad['id']}", notify=False, secret_for_s=6 * WEEK_MS // 1000 + 1
    )
    assert (await op.call("POST", "/api/v1/orders", json=too_long)).status_code == 422
    order = await op.ok(
        "POST",
        "/api/v1/orders",
        json=order_body(f"message:{bad['id']}", notify=False, secret_for_s=WEEK_MS // 1000),
    )
    assert order["secret_until_ms"] == order["executed_at_ms"] + WEEK_MS
    assert order["told_at_ms"] is None

    async def told() -> list[dict[str, Any]]:
        await do_expire_due(ctx)
        return list((await uploader.ok("GET", "/api/v1/me/statements"))["statements"])

    clock.advance(WEEK_MS - 1)
    assert await told() == []
    # The authority renews: another five weeks from now, no more than six.
    path = f"/api/v1/orders/{order['id']}/secrecy"
    over = {"until_ms": clock.now_ms() + 6 * WEEK_MS + 1}
    assert (await op.call("POST", path, json=over)).status_code == 422
    for who in (mod, uploader):
        assert (
            await who.call("POST", path, json={"until_ms": clock.now_ms() + WEEK_MS})
        ).status_code == 404
    renewed_until = clock.now_ms() + 5 * WEEK_MS
    renewed = await op.ok("POST", path, json={"until_ms": renewed_until})
    assert renewed["secret_until_ms"] == renewed_until
    for _ in range(4):  # each week: nothing yet (and the sessions stay in use)
        clock.advance(WEEK_MS)
        assert await told() == []
        assert (await reader.ok("GET", "/api/v1/me/notices"))["notices"] == []
        await op.ok("GET", f"/api/v1/orders/{order['id']}")
    clock.advance(WEEK_MS)
    [statement] = await told()
    assert statement["ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert f"message:{bad['id']}" in statement["facts"]
    notices = (await uploader.ok("GET", "/api/v1/me/notices"))["notices"]
    assert [n["kind"] for n in notices] == ["statement", "order.executed"]
    shown = await op.ok("GET", f"/api/v1/orders/{order['id']}")
    assert shown["told_at_ms"] == clock.now_ms()
    late = await op.call("POST", path, json={"until_ms": clock.now_ms() + WEEK_MS})
    assert late.status_code == 409
    assert late.json()["type"].endswith("/secrecy_over")
    clock.advance(WEEK_MS)
    assert len(await told()) == 1  # told once
    log = await op.ok("GET", "/api/v1/mod/audit", params={"subject": "order", "limit": 50})
    actions = [e["action"] for e in log["entries"]]
    assert "order.secrecy_extended" in actions
    assert "order.secrecy_lapsed" in actions


async def test_an_order_that_says_not_to_notify_keeps_it_six_weeks_by_default(
    person: MakePerson, app: Any, http: Any
) -> None:
    ctx = app.state.ctx
    uploader, reader = await person(), await person()
    op = await operator_of(http, ctx)
    chat_id = await make_group(uploader, reader)
    bad, _ = await image_post(uploader, chat_id)
    order = await op.ok(
        "POST", "/api/v1/orders", json=order_body(f"message:{bad['id']}", notify=False)
    )
    assert order["secret_until_ms"] == order["executed_at_ms"] + 6 * WEEK_MS
    told = await op.ok("POST", "/api/v1/orders", json=order_body(f"message:{order['id']}"))
    assert (told["secret_until_ms"], told["told_at_ms"]) == (None, told["executed_at_ms"])
    mixed = order_body("message:1", secret_for_s=60)
    assert (await op.call("POST", "/api/v1/orders", json=mixed)).status_code == 422
