"""Timers: the chat auto-delete timer, self-destruct and view-once, filtered at read time and
purged by the sweep, with a fake clock."""

from __future__ import annotations

import os
from typing import Any

import pytest

from colletta.actions.expiry import do_expire_due
from colletta.clock import FakeClock
from tests.conftest import MakePerson, Person, Server
from tests.live_client import Live
from tests.test_media import upload
from tests.test_messages import make_group, send


async def direct(alice: Person, bob: Person) -> str:
    chat = await alice.ok("POST", "/api/v1/chats/direct", json={"user_id": bob.id})
    return str(chat["id"])


async def post(person: Person, chat_id: str, text: str, **extra: Any) -> dict[str, Any]:
    """`test_messages.send` with a fresh client_txn_id: the same text may be sent twice."""
    return await send(person, chat_id, text, txn=os.urandom(6).hex(), **extra)


async def texts(person: Person, chat_id: str) -> list[str | None]:
    page = await person.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    return [m["text"] for m in page["messages"]]


async def synced(person: Person, chat_id: str) -> list[dict[str, Any]]:
    out = await person.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
    return out["events"]  # type: ignore[no-any-return]


def ctx_of(app: Any) -> Any:
    return app.state.ctx


async def test_only_admins_set_a_groups_timer_and_the_change_is_an_event(
    person: MakePerson,
) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    path = f"/api/v1/chats/{chat_id}/message-ttl"
    refused = await bob.call("PUT", path, json={"message_ttl_s": 86_400})
    assert refused.status_code == 403
    too_short = await alice.call("PUT", path, json={"message_ttl_s": 4})
    assert too_short.status_code == 422
    chat = await alice.ok("PUT", path, json={"message_ttl_s": 86_400})
    assert chat["message_ttl_s"] == 86_400
    changes = [e for e in await synced(bob, chat_id) if e["type"] == "chat.message_ttl_changed"]
    assert [(e["message_ttl_s"], e["by_user_id"]) for e in changes] == [(86_400, alice.id)]
    outsider = await person()
    assert (await outsider.call("PUT", path, json={"message_ttl_s": None})).status_code == 404


async def test_either_side_of_a_direct_chat_sets_its_timer(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await direct(alice, bob)
    chat = await bob.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 60})
    assert chat["message_ttl_s"] == 60
    assert chat == await bob.ok("GET", f"/api/v1/chats/{chat_id}")  # titled as bob sees it


async def test_chat_timer_hides_at_expiry_and_the_sweep_purges(
    person: MakePerson, app: Any, clock: FakeClock
) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    before = await post(alice, chat_id, "sent before the timer")
    await alice.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 60})
    timed = await post(alice, chat_id, "gone in a minute")
    assert timed["expires_at_ms"] == clock.now_ms() + 60_000
    assert before["expires_at_ms"] is None
    clock.advance(59_999)
    assert await texts(bob, chat_id) == ["sent before the timer", "gone in a minute"]
    assert await do_expire_due(ctx_of(app)) == 0
    clock.advance(1)
    # Expired: never served again, though nothing has been purged yet.
    assert await texts(bob, chat_id) == ["sent before the timer", None]
    one = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages/{timed['id']}")
    assert (one["text"], one["deleted"]) == (None, True)
    created = [e for e in await synced(bob, chat_id) if e["type"] == "message.created"]
    assert [e["message"]["text"] for e in created] == ["sent before the timer", None]
    listed = await bob.ok("GET", "/api/v1/chats")
    assert listed["chats"][0]["last_message"]["text"] is None
    edit = await alice.call(
        "PATCH", f"/api/v1/chats/{chat_id}/messages/{timed['id']}", json={"text": "x"}
    )
    assert edit.status_code == 404
    assert await do_expire_due(ctx_of(app)) == 1
    deleted = [e for e in await synced(bob, chat_id) if e["type"] == "message.deleted"]
    assert [e["message_id"] for e in deleted] == [timed["id"]]
    assert await do_expire_due(ctx_of(app)) == 0  # purged once


async def test_self_destruct_counts_from_send_for_the_sender_and_from_read_for_the_reader(
    person: MakePerson, app: Any, clock: FakeClock
) -> None:
    alice, bob = await person(), await person()
    chat_id = await direct(alice, bob)
    sent = await post(alice, chat_id, "burn after reading", self_destruct_s=10)
    assert (sent["expires_after_read_s"], sent["expires_at_ms"]) == (10, clock.now_ms() + 10_000)
    clock.advance(30_000)
    assert await texts(alice, chat_id) == [None]  # the sender's copy: 10 s from sending
    assert await texts(bob, chat_id) == ["burn after reading"]  # unread: still there
    assert await do_expire_due(ctx_of(app)) == 0
    await bob.ok("POST", f"/api/v1/chats/{chat_id}/read", json={"seq": sent["seq"]})
    page = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    assert page["messages"][0]["read_expires_at_ms"] == clock.now_ms() + 10_000
    clock.advance(9_999)
    assert await texts(bob, chat_id) == ["burn after reading"]
    clock.advance(1)
    assert await texts(bob, chat_id) == [None]
    assert await do_expire_due(ctx_of(app)) == 1


async def test_self_destruct_and_view_once_belong_to_direct_chats(person: MakePerson) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    body = {"text": "x", "client_txn_id": "t1", "self_destruct_s": 10}
    refused = await alice.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)
    assert refused.status_code == 422
    assert refused.json()["field"] == "self_destruct_s"


async def test_timed_messages_cannot_be_forwarded(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await direct(alice, bob)
    sent = await post(alice, chat_id, "secret", self_destruct_s=60)
    group = await make_group(bob)
    forward = {"chat_id": chat_id, "message_id": sent["id"]}
    refused = await bob.call(
        "POST",
        f"/api/v1/chats/{group}/messages",
        json={"client_txn_id": "f1", "forward": forward},
    )
    assert refused.status_code == 403


async def test_view_once_opens_once_for_the_recipient_and_never_for_the_sender(
    person: MakePerson, app: Any, settings: Any
) -> None:
    alice, bob = await person(), await person()
    chat_id = await direct(alice, bob)
    media = (await upload(alice, chat_id, os.urandom(2048), "once.bin")).json()
    sent = await alice.ok(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"client_txn_id": "v1", "attachments": [media["id"]], "view_once": True},
    )
    assert sent["view_once"] is True
    path = f"/api/v1/chats/{chat_id}/media/{media['id']}"
    assert (await alice.call("GET", path)).status_code == 403
    assert (await bob.call("GET", f"{path}/thumbnail")).status_code in {403, 404}
    first = await bob.call("GET", path, headers={"Range": "bytes=0-9"})
    assert (first.status_code, len(first.content)) == (200, 2048)  # whole, ranges ignored
    assert first.headers["accept-ranges"] == "none"
    again = await bob.call("GET", path)
    assert again.status_code == 410  # gone, as a used-up invite is
    assert again.json()["type"].endswith("/gone")
    assert await texts(bob, chat_id) == [None]
    assert await do_expire_due(ctx_of(app)) >= 1
    assert [p for p in settings.resolved_media_dir.rglob("*") if p.is_file()] == []
    assert await texts(alice, chat_id) == [None]


async def test_unsent_uploads_are_purged_after_a_day(
    person: MakePerson, app: Any, clock: FakeClock, settings: Any
) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    await upload(alice, chat_id, os.urandom(100))
    clock.advance(24 * 3600 * 1000 - 1)
    assert await do_expire_due(ctx_of(app)) == 0
    clock.advance(1)
    assert await do_expire_due(ctx_of(app)) == 1
    assert [p for p in settings.resolved_media_dir.rglob("*") if p.is_file()] == []


@pytest.mark.settings(expiry_worker_enabled=True)
async def test_the_worker_purges_when_due_and_live_clients_hear_it(
    server: Server, server_person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await make_group(alice, bob)
    await alice.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 5})
    live = await Live.open(server.ws_url, bob.token)
    try:
        timed = await post(alice, chat_id, "soon gone")
        created = await live.next_of("message.created")
        assert created["message"]["expires_at_ms"] == clock.now_ms() + 5_000
        clock.advance(5_000)
        # The worker's timer was set for real time; nudge it as a clock jump would.
        server.app.state.ctx.expiry_signal.wake.set()
        deleted = await live.next_of("message.deleted")
        assert deleted["message_id"] == timed["id"]
    finally:
        await live.close()


async def test_timed_sends_over_the_websocket(server: Server, server_person: MakePerson) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await direct(alice, bob)
    live = await Live.open(server.ws_url, alice.token)
    try:
        frame = {"type": "send", "chat_id": chat_id, "text": "ws burn", "client_txn_id": "w1"}
        await live.send({**frame, "self_destruct_s": 30})
        sent = await live.next_of("sent", "error")
        assert sent["type"] == "sent", sent
        assert sent["message"]["expires_after_read_s"] == 30
        await live.send({**frame, "client_txn_id": "w2", "self_destruct_s": "soon"})
        refused = await live.next_of("sent", "error")
        assert [e["field"] for e in refused["problem"]["errors"]] == ["self_destruct_s"]
    finally:
        await live.close()
