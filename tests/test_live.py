"""Live delivery and resume over the real server and real WebSockets (docs/events.md)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import BUSES, PASSWORD, MakePerson, Person, Server
from tests.live_client import Live

# One contract for both buses: what holds on one node must hold across Redis.
pytestmark = pytest.mark.parametrize("bus_url", BUSES, indirect=True)


async def group_with(owner: Person, *others: Person) -> str:
    chat = await owner.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Live"})
    for other in others:
        await owner.ok("POST", f"/api/v1/chats/{chat['id']}/members", json={"user_id": other.id})
    return str(chat["id"])


async def say(person: Person, chat_id: str, text: str) -> dict[str, Any]:
    return await person.ok(  # type: ignore[no-any-return]
        "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": text, "client_txn_id": text}
    )


async def test_message_reaches_a_member_live(server: Server, server_person: MakePerson) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    live = await Live.open(server.ws_url, bob.token)
    try:
        assert {c["chat_id"] for c in live.ready["chats"]} == {chat_id}
        sent = await say(alice, chat_id, "hello bob")
        frame = await live.next_of("message.created")
        assert frame["chat_id"] == chat_id
        assert frame["seq"] == sent["seq"]
        assert frame["message"]["text"] == "hello bob"
    finally:
        await live.close()


async def test_resume_replays_exactly_what_was_missed(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    live = await Live.open(server.ws_url, bob.token)
    first = await say(alice, chat_id, "one")
    assert (await live.next_of("message.created"))["seq"] == first["seq"]
    await live.close()
    missed = [await say(alice, chat_id, f"missed {i}") for i in range(3)]
    live = await Live.open(server.ws_url, bob.token, {chat_id: first["seq"]})
    try:
        replayed = [await live.next() for _ in missed]
        assert [f["message"]["text"] for f in replayed] == ["missed 0", "missed 1", "missed 2"]
        assert [f["seq"] for f in replayed] == [m["seq"] for m in missed]
        after = await say(alice, chat_id, "live again")
        frame = await live.next()
        assert (frame["seq"], frame["message"]["text"]) == (after["seq"], "live again")
    finally:
        await live.close()


async def test_too_old_cursor_gets_resync_required(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    last = await say(alice, chat_id, "now")
    # A cursor ahead of the chat cannot be replayed either.
    live = await Live.open(server.ws_url, bob.token, {chat_id: last["seq"] + 50})
    try:
        frame = await live.next()
        assert frame == {
            **frame,
            "type": "resync_required",
            "chat_id": chat_id,
            "last_seq": last["seq"],
        }
    finally:
        await live.close()


async def test_membership_changes_arrive_live(server: Server, server_person: MakePerson) -> None:
    alice, bob = await server_person(), await server_person()
    live = await Live.open(server.ws_url, bob.token)
    try:
        assert live.ready["chats"] == []
        chat_id = await group_with(alice, bob)
        added = await live.next_of("chat.added")
        assert added["chat_id"] == chat_id
        joined = await live.next_of("member.joined")
        assert joined["member"]["user_id"] == bob.id
        await say(alice, chat_id, "welcome")
        assert (await live.next_of("message.created"))["message"]["text"] == "welcome"
        await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{bob.id}")
        removed = await live.next_of("member.removed")
        assert removed["user_id"] == bob.id
        assert (await live.next_of("chat.removed"))["chat_id"] == chat_id
        await say(alice, chat_id, "secret after kick")
        await live.send({"type": "ping"})
        # The pong arrives after anything queued before it; nothing from the chat may come.
        assert (await live.next())["type"] == "pong"
    finally:
        await live.close()


async def test_removed_chat_in_cursors_is_reported(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{bob.id}")
    live = await Live.open(server.ws_url, bob.token, {chat_id: 1})
    try:
        frame = await live.next()
        assert (frame["type"], frame["chat_id"]) == ("chat.removed", chat_id)
        assert live.ready["chats"] == []
    finally:
        await live.close()


async def test_typing_is_relayed_not_stored(server: Server, server_person: MakePerson) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    bob_live = await Live.open(server.ws_url, bob.token)
    alice_live = await Live.open(server.ws_url, alice.token)
    try:
        await alice_live.send({"type": "typing", "chat_id": chat_id})
        frame = await bob_live.next_of("typing")
        assert (frame["user_id"], frame["seq"]) == (alice.id, None)
        sync = await bob.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
        assert "typing" not in {event["type"] for event in sync["events"]}
    finally:
        await bob_live.close()
        await alice_live.close()


async def test_the_sender_sees_live_how_far_the_other_has_read(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    chat = await alice.ok("POST", "/api/v1/chats/direct", json={"user_id": bob.id})
    chat_id = chat["id"]
    sent = await say(alice, chat_id, "seen it?")
    alice_live = await Live.open(server.ws_url, alice.token)
    try:
        await bob.ok("POST", f"/api/v1/chats/{chat_id}/read", json={"seq": sent["seq"]})
        frame = await alice_live.next_of("member.read")
        assert (frame["chat_id"], frame["user_id"], frame["read_seq"]) == (
            chat_id,
            bob.id,
            sent["seq"],
        )
        sync = await alice.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
        assert "member.read" not in {event["type"] for event in sync["events"]}
    finally:
        await alice_live.close()
    # After a reconnect, the chat list says it.
    listed = (await alice.ok("GET", "/api/v1/chats"))["chats"]
    assert [c["peer_read_seq"] for c in listed] == [sent["seq"]]


@contextlib.asynccontextmanager
async def sender_socket(
    server: Server, server_person: MakePerson
) -> AsyncIterator[tuple[Live, Person, str]]:
    """Alice's socket, Bob, and their group."""
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    live = await Live.open(server.ws_url, alice.token)
    try:
        yield live, bob, chat_id
    finally:
        await live.close()


async def test_send_over_the_socket_is_idempotent(
    server: Server, server_person: MakePerson
) -> None:
    async with sender_socket(server, server_person) as (live, bob, chat_id):
        frame = {"type": "send", "chat_id": chat_id, "text": "via ws", "client_txn_id": "w1"}
        await live.send(frame)
        first = await live.next_of("sent")
        await live.send(frame)
        second = await live.next_of("sent")
        assert first["message"]["id"] == second["message"]["id"]
        await live.send({**frame, "chat_id": "1", "client_txn_id": "w2"})
        error = await live.next_of("error")
        assert error["client_txn_id"] == "w2"
        assert error["problem"]["type"].endswith("/not_found")
        history = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages")
        assert [m["text"] for m in history["messages"]] == ["via ws"]


async def test_a_socket_send_is_validated_like_the_http_route(
    server: Server, server_person: MakePerson
) -> None:
    async with sender_socket(server, server_person) as (live, bob, chat_id):
        frame = {"type": "send", "chat_id": chat_id, "client_txn_id": "bad", "text": "x"}
        for wrong, field in [
            ({"self_destruct_s": 1}, "self_destruct_s"),
            ({"attachments": ["not-an-id"]}, "attachments.0"),
            ({"text": "y" * 4097}, "text"),
            ({"colour": "red"}, "colour"),
        ]:
            await live.send({**frame, **wrong})
            error = await live.next_of("error")
            assert error["client_txn_id"] == "bad"
            assert error["problem"]["type"].endswith("/invalid_input")
            assert [e["field"] for e in error["problem"]["errors"]] == [field]
        history = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages")
        assert history["messages"] == []


@pytest.mark.parametrize(
    ("first_frame", "code"),
    [
        ('{"type": "auth", "token": "wrong"}', 4401),
        ('{"type": "hello"}', 4401),
        ("not json", 4400),
    ],
)
async def test_bad_authentication_closes_with_documented_code(
    server: Server, first_frame: str, code: int
) -> None:
    from websockets.asyncio.client import connect

    async with connect(server.ws_url) as ws:
        await ws.send(first_frame)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == code


async def test_logout_and_revocation_close_open_sockets(
    server: Server, server_person: MakePerson, server_http: Any
) -> None:
    alice = await server_person()
    live = await Live.open(server.ws_url, alice.token)
    await alice.ok("POST", "/api/v1/auth/logout")
    assert await live.until_closed() == 4401

    second = await server_http.post(
        "/api/v1/auth/login", json={"username": alice.username, "password": PASSWORD}
    )
    token = second.json()["token"]
    other = await server_http.post(
        "/api/v1/auth/login", json={"username": alice.username, "password": PASSWORD}
    )
    kept = await Live.open(server.ws_url, token)
    dropped = await Live.open(server.ws_url, other.json()["token"])
    try:
        await server_http.post(
            "/api/v1/auth/password",
            json={"old_password": PASSWORD, "new_password": "another long password"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert await dropped.until_closed() == 4401
        await kept.send({"type": "ping"})
        assert (await kept.next())["type"] == "pong"
    finally:
        await kept.close()


@pytest.mark.settings(resync_window_events=100)
async def test_cursor_older_than_the_window_gets_resync_required(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    base = (await bob.ok("GET", f"/api/v1/chats/{chat_id}"))["last_seq"]
    for i in range(101):
        last = await say(alice, chat_id, f"n{i}")
    sync = await bob.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:{base}"})
    assert sync["events"] == []
    assert sync["resync_required"] == [{"chat_id": chat_id, "last_seq": last["seq"]}]
    live = await Live.open(server.ws_url, bob.token, {chat_id: base})
    try:
        frame = await live.next()
        assert (frame["type"], frame["last_seq"]) == ("resync_required", last["seq"])
        within = await Live.open(server.ws_url, bob.token, {chat_id: last["seq"] - 100})
        try:
            assert (await within.next())["seq"] == last["seq"] - 99
        finally:
            await within.close()
    finally:
        await live.close()
