"""Preservation (TCO Art. 6): what is held survives the chat's timer and the sender's delete,
is never served, can be extended by the operator, and is purged when its period ends."""

from __future__ import annotations

from typing import Any

import pytest

from colletta.actions.expiry import do_expire_due
from colletta.actions.preservation import do_preserve_message
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.store import preserved as preserved_store
from tests.conftest import MakePerson
from tests.orders.helpers import image_post, operator_of, order_body, stored_files
from tests.test_messages import make_group

DAY_MS = 24 * 3600 * 1000
PERIOD_MS = 183 * DAY_MS


async def copies(ctx: Any) -> list[Any]:
    async with ctx.db.read() as conn:
        return await preserved_store.get_preserved_list(conn)


@pytest.mark.parametrize("purge", ["timer", "delete"])
async def test_a_held_message_survives_the_timer_and_the_senders_delete_but_is_never_served(
    person: MakePerson, app: Any, clock: FakeClock, settings: Settings, purge: str
) -> None:
    ctx = app.state.ctx
    sender, reader = await person(), await person()
    chat_id = await make_group(sender, reader)
    await sender.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 60})
    held, media_id = await image_post(sender, chat_id, seed=1)
    _free, free_media_id = await image_post(sender, chat_id, seed=2)
    # As a hash match places a hold: inside its own transaction.
    async with ctx.db.write() as tx:
        kept = await do_preserve_message(
            ctx, tx, int(chat_id), int(held["id"]), reason="hash_match"
        )
    assert kept is not None
    if purge == "timer":
        clock.advance(60_000)
    else:
        await sender.ok("DELETE", f"/api/v1/chats/{chat_id}/messages/{held['id']}")
    await do_expire_due(ctx)

    for who in (sender, reader):
        gone = await who.ok("GET", f"/api/v1/chats/{chat_id}/messages/{held['id']}")
        assert gone["text"] is None
        assert gone["attachments"] == []
        got = await who.call("GET", f"/api/v1/chats/{chat_id}/media/{media_id}")
        assert got.status_code == 404
    [copy] = await copies(ctx)
    assert copy.data["message"]["text"] == "caption"
    assert copy.data["message"]["sender_id"] == sender.id
    assert [m["id"] for m in copy.data["media"]] == [media_id]
    held_files = stored_files(settings.resolved_hold_dir)
    assert set(copy.file_keys) == held_files
    assert len(held_files) == 2
    # The unheld post went the usual way: shredded.
    if purge == "timer":
        assert stored_files(settings.resolved_media_dir) == set()
    else:
        assert (
            await reader.call("GET", f"/api/v1/chats/{chat_id}/media/{free_media_id}")
        ).status_code == 200


async def test_preservation_ends_after_its_period_unless_the_operator_extends_it(
    person: MakePerson, app: Any, http: Any, clock: FakeClock, settings: Settings
) -> None:
    ctx = app.state.ctx
    sender = await person()
    op = await operator_of(http, ctx)
    chat_id = await make_group(sender)
    first, _ = await image_post(sender, chat_id, seed=1)
    second, _ = await image_post(sender, chat_id, seed=2)
    order = await op.ok(
        "POST",
        "/api/v1/orders",
        json=order_body(
            f"message:{first['id']}", f"message:{second['id']}", received_at_ms=clock.now_ms()
        ),
    )
    listed = (await op.ok("GET", "/api/v1/preserved", params={"order_id": order["id"]}))["items"]
    assert len(listed) == 2
    assert all(item["until_ms"] == clock.now_ms() + PERIOD_MS for item in listed)
    assert "data" not in listed[0]  # metadata only: the content is never served
    by_message = {item["message_id"]: item for item in listed}
    longer = by_message[second["id"]]
    new_end = longer["until_ms"] + 30 * DAY_MS
    extended = await op.ok(
        "POST", f"/api/v1/preserved/{longer['id']}/extend", json={"until_ms": new_end}
    )
    assert extended["until_ms"] == new_end
    shorter = await op.call(
        "POST", f"/api/v1/preserved/{longer['id']}/extend", json={"until_ms": new_end - 1}
    )
    assert shorter.status_code == 422
    assert len(stored_files(settings.resolved_hold_dir)) == 4

    clock.advance(PERIOD_MS - 1)
    await do_expire_due(ctx)
    assert len(await copies(ctx)) == 2
    clock.advance(1)
    await do_expire_due(ctx)
    [left] = await copies(ctx)
    assert str(left.message_id) == second["id"]
    assert stored_files(settings.resolved_hold_dir) == set(left.file_keys)
    clock.advance(30 * DAY_MS)
    await do_expire_due(ctx)
    assert await copies(ctx) == []
    assert stored_files(settings.resolved_hold_dir) == set()


async def test_only_the_operator_sees_or_extends_preserved_items(
    person: MakePerson, app: Any, http: Any
) -> None:
    sender = await person()
    op = await operator_of(http, app.state.ctx)
    chat_id = await make_group(sender)
    message, _ = await image_post(sender, chat_id)
    await op.ok("POST", "/api/v1/orders", json=order_body(f"message:{message['id']}"))
    [item] = (await op.ok("GET", "/api/v1/preserved"))["items"]
    assert (await sender.call("GET", "/api/v1/preserved")).status_code == 404
    extend = await sender.call(
        "POST", f"/api/v1/preserved/{item['id']}/extend", json={"until_ms": 2**52}
    )
    assert extend.status_code == 404
    [same] = (await op.ok("GET", "/api/v1/preserved"))["items"]
    assert same == item
