"""Removal orders: the operator registers one, the content is gone for everyone at once and
preserved; everything else stays; the confirmation record says what was removed and when."""

from __future__ import annotations

from typing import Any

from colletta.clock import FakeClock
from colletta.config import Settings
from tests.conftest import MakePerson
from tests.orders.helpers import operator_of, order_body, scene, stored_files
from tests.test_expiry import synced
from tests.test_messages import make_group


async def test_an_order_removes_the_message_and_its_media_for_everyone_and_nothing_else(
    person: MakePerson, app: Any, http: Any, clock: FakeClock, settings: Settings
) -> None:
    ctx = app.state.ctx
    uploader, reader = await person(), await person()
    op = await operator_of(http, ctx)
    chat_id = await make_group(uploader, reader)
    s = await scene(uploader, chat_id)
    media_path = f"/api/v1/chats/{chat_id}/media/{s.media_id}"
    assert (await reader.call("GET", media_path)).status_code == 200
    received_at_ms = clock.now_ms()
    clock.advance(1_500)  # registered 1.5 s after it arrived

    order = await op.ok(
        "POST",
        "/api/v1/orders",
        json=order_body(f"media:{s.media_id}", received_at_ms=received_at_ms),
    )

    assert order["execution_ms"] == 1_500
    assert order["confirmation"]["within_legal_limit"] is True
    [line] = order["confirmation"]["items"]
    assert line["outcome"] == "removed"
    assert line["message_id"] == s.bad["id"]
    for who in (uploader, reader):
        got = await who.ok("GET", f"/api/v1/chats/{chat_id}/messages/{s.bad['id']}")
        assert got["deleted"] is True
        assert got["text"] is None
        assert got["attachments"] == []
        assert (await who.call("GET", media_path)).status_code == 404
        assert (await who.call("GET", media_path + "/thumbnail")).status_code == 404
        kept = await who.ok("GET", f"/api/v1/chats/{chat_id}/messages/{s.kept['id']}")
        assert kept["text"] == "an ordinary message"
    # Nothing of it is left in the event log a client resumes from.
    for event in await synced(reader, chat_id):
        assert "caption" not in str(event), event
    deleted = [
        e["message_id"] for e in await synced(reader, chat_id) if e["type"] == "message.deleted"
    ]
    assert deleted == [s.bad["id"]]
    # The files are in the hold store, not in the served one.
    assert stored_files(settings.resolved_hold_dir)
    assert not stored_files(settings.resolved_media_dir) & stored_files(settings.resolved_hold_dir)
    # The record is retrievable later.
    again = await op.ok("GET", f"/api/v1/orders/{order['id']}/confirmation")
    assert again == order["confirmation"]
    listed = await op.ok("GET", "/api/v1/orders")
    assert [o["id"] for o in listed["orders"]] == [order["id"]]


async def test_items_that_do_not_exist_or_are_gone_are_recorded_as_such(
    person: MakePerson, app: Any, http: Any
) -> None:
    uploader = await person()
    op = await operator_of(http, app.state.ctx)
    chat_id = await make_group(uploader)
    s = await scene(uploader, chat_id)
    await uploader.ok("DELETE", f"/api/v1/chats/{chat_id}/messages/{s.kept['id']}")
    order = await op.ok(
        "POST",
        "/api/v1/orders",
        json=order_body(f"message:{s.kept['id']}", "message:12345", f"message:{s.bad['id']}"),
    )
    outcomes = [(line["item"], line["outcome"]) for line in order["confirmation"]["items"]]
    assert outcomes == [
        (f"message:{s.kept['id']}", "already_gone"),
        ("message:12345", "not_found"),
        (f"message:{s.bad['id']}", "removed"),
    ]


async def test_an_order_is_the_operators_alone(person: MakePerson, app: Any, http: Any) -> None:
    uploader, member = await person(), await person()
    op = await operator_of(http, app.state.ctx)
    chat_id = await make_group(uploader, member)
    s = await scene(uploader, chat_id)
    body = order_body(f"message:{s.bad['id']}")
    # The chat's owner is no authority either: the routes do not exist for them.
    for who in (uploader, member):
        assert (await who.call("POST", "/api/v1/orders", json=body)).status_code == 404
        assert (await who.call("GET", "/api/v1/orders")).status_code == 404
    assert (await http.post("/api/v1/orders", json=body)).status_code == 401
    got = await member.ok("GET", f"/api/v1/chats/{chat_id}/messages/{s.bad['id']}")
    assert got["text"] == "caption"
    order = await op.ok("POST", "/api/v1/orders", json=body)
    for who in (uploader, member):
        path = f"/api/v1/orders/{order['id']}"
        assert (await who.call("GET", path)).status_code == 404
        assert (await who.call("GET", path + "/confirmation")).status_code == 404


async def test_a_malformed_order_is_refused_with_the_field(app: Any, http: Any) -> None:
    op = await operator_of(http, app.state.ctx)
    bad = await op.call("POST", "/api/v1/orders", json=order_body("post:1"))
    assert bad.status_code == 422
    assert bad.json()["type"].endswith("invalid_input")
    future = order_body("message:1", received_at_ms=2**52)
    assert (await op.call("POST", "/api/v1/orders", json=future)).status_code == 422
    assert (
        await op.call("POST", "/api/v1/orders", json={**order_body("message:1"), "authority": " "})
    ).status_code == 422


async def test_registering_an_order_again_is_refused_and_names_the_first(
    person: MakePerson, app: Any, http: Any
) -> None:
    uploader = await person()
    op = await operator_of(http, app.state.ctx)
    chat_id = await make_group(uploader)
    s = await scene(uploader, chat_id)
    body = order_body(f"message:{s.bad['id']}")
    first = await op.ok("POST", "/api/v1/orders", json=body)
    again = await op.call(
        "POST", "/api/v1/orders", json={**body, "items": [f"message:{s.kept['id']}"]}
    )
    assert again.status_code == 409
    assert again.json()["order_id"] == first["id"]
    kept = await uploader.ok("GET", f"/api/v1/chats/{chat_id}/messages/{s.kept['id']}")
    assert kept["text"] == "an ordinary message"
    assert len((await op.ok("GET", "/api/v1/orders"))["orders"]) == 1
