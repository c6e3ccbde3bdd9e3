"""Blocking: what a blocked user can no longer do to the blocker, and what the blocker no
longer sees of them (history, /sync, replay and live), each with the case that must not."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from colletta.actions.accounts import access_caller
from colletta.actions.live import LiveSession
from tests.conftest import REDIS_URL, MakePerson, Person, Server, need
from tests.live_client import Live
from tests.outage_tools import bus_drops_everything
from tests.test_messages import make_group, send

PROBLEM = "https://colletta.chat/problems/"


def problem_type(response: httpx.Response) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]


async def block(blocker: Person, blocked: Person) -> dict[str, Any]:
    return await blocker.ok("POST", f"/api/v1/me/blocks/{blocked.id}")  # type: ignore[no-any-return]


async def direct(person: Person, other: Person) -> httpx.Response:
    return await person.call("POST", "/api/v1/chats/direct", json={"user_id": other.id})


async def test_a_blocked_user_cannot_open_a_direct_chat_and_others_can(
    person: MakePerson,
) -> None:
    alice, bob, carol = await person(), await person(), await person()
    await block(alice, bob)
    refused = await direct(bob, alice)
    assert refused.status_code == 403
    assert problem_type(refused) == "privacy_restricted"
    assert "block" not in refused.json()["detail"]  # said as Telegram says it
    assert (await direct(carol, alice)).status_code == 200
    # The blocker may still open one (and is told to unblock to write in it).
    chat = (await direct(alice, bob)).json()
    refused = await alice.call(
        "POST", f"/api/v1/chats/{chat['id']}/messages", json={"text": "hi", "client_txn_id": "1"}
    )
    assert (refused.status_code, problem_type(refused)) == (403, "you_blocked_user")
    await alice.ok("DELETE", f"/api/v1/me/blocks/{bob.id}")
    assert (await direct(bob, alice)).status_code == 200


async def test_a_blocked_user_cannot_send_into_an_existing_direct_chat(
    person: MakePerson,
) -> None:
    alice, bob, carol = await person(), await person(), await person()
    chat_id = (await direct(bob, alice)).json()["id"]
    await send(bob, chat_id, "hello")
    await block(alice, bob)
    refused = await bob.call(
        "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": "again", "client_txn_id": "2"}
    )
    assert (refused.status_code, problem_type(refused)) == (403, "privacy_restricted")
    # A retry of what was sent before the block still answers with that message.
    again = await bob.call(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": "hello", "client_txn_id": "hello"},
    )
    assert again.status_code == 200
    # Others write to the blocker as before, and the old messages stay in the direct chat.
    other_chat = (await direct(carol, alice)).json()["id"]
    await send(carol, other_chat, "still here")
    history = await alice.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    assert [m["text"] for m in history["messages"]] == ["hello"]
    await alice.ok("DELETE", f"/api/v1/me/blocks/{bob.id}")
    await send(bob, chat_id, "thanks")


async def test_a_blocked_user_cannot_add_the_blocker_to_a_chat(person: MakePerson) -> None:
    alice, bob, carol = await person(), await person(), await person()
    await block(alice, bob)
    for kind in ("group", "channel"):
        chat = await bob.ok("POST", "/api/v1/chats", json={"kind": kind, "title": "Bob's"})
        path = f"/api/v1/chats/{chat['id']}/members"
        refused = await bob.call("POST", path, json={"user_id": alice.id})
        assert (refused.status_code, problem_type(refused)) == (403, "privacy_restricted")
        assert (await bob.call("POST", path, json={"user_id": carol.id})).status_code == 201
        # Alice blocking Bob does not stop Alice from adding Bob.
        mine = await alice.ok("POST", "/api/v1/chats", json={"kind": kind, "title": "Alice's"})
        added = await alice.call(
            "POST", f"/api/v1/chats/{mine['id']}/members", json={"user_id": bob.id}
        )
        assert added.status_code == 201


async def test_blocks_are_listed_to_the_blocker_only(person: MakePerson) -> None:
    alice, bob, carol = await person(), await person(), await person()
    first = await block(alice, bob)
    assert (first["user_id"], first["username"]) == (bob.id, bob.username)
    assert (await block(alice, bob))["blocked_at_ms"] == first["blocked_at_ms"]  # no change
    await block(alice, carol)
    listed = await alice.ok("GET", "/api/v1/me/blocks")
    assert {b["user_id"] for b in listed["blocks"]} == {bob.id, carol.id}
    assert (await bob.ok("GET", "/api/v1/me/blocks"))["blocks"] == []
    me = await alice.call("POST", f"/api/v1/me/blocks/{alice.id}")
    assert (me.status_code, problem_type(me)) == (422, "invalid_input")
    nobody = await alice.call("POST", "/api/v1/me/blocks/12345")
    assert nobody.status_code == 404
    await alice.ok("DELETE", f"/api/v1/me/blocks/{bob.id}")
    await alice.ok("DELETE", f"/api/v1/me/blocks/{bob.id}")  # unblocking twice is no error
    listed = await alice.ok("GET", "/api/v1/me/blocks")
    assert [b["user_id"] for b in listed["blocks"]] == [carol.id]


def texts(messages: list[dict[str, Any]]) -> list[Any]:
    return [m["text"] for m in messages]


def created(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["message"] for e in events if e["type"] == "message.created"]


async def test_the_blocker_sees_placeholders_in_history_and_sync_unless_they_ask(
    person: MakePerson,
) -> None:
    alice, bob, carol = await person(), await person(), await person()
    group = await make_group(alice, bob, carol)
    await send(bob, group, "from bob")
    await send(carol, group, "from carol")
    await block(alice, bob)
    await send(bob, group, "bob again")

    path = f"/api/v1/chats/{group}/messages"
    history = (await alice.ok("GET", path))["messages"]
    assert texts(history) == [None, "from carol", None]
    hidden = history[0]
    assert (hidden["from_blocked"], hidden["sender_id"], hidden["attachments"]) == (
        True,
        bob.id,
        [],
    )
    shown = (await alice.ok("GET", path, params={"include_blocked": "true"}))["messages"]
    assert texts(shown) == ["from bob", "from carol", "bob again"]
    one = await alice.ok("GET", f"{path}/{history[0]['id']}")
    assert one["text"] is None
    one = await alice.ok("GET", f"{path}/{history[0]['id']}", params={"include_blocked": "true"})
    assert one["text"] == "from bob"
    # Carol, who blocked no one, sees everything.
    assert texts((await carol.ok("GET", path))["messages"]) == [
        "from bob",
        "from carol",
        "bob again",
    ]

    sync = await alice.ok("GET", "/api/v1/sync", params={"cursors": f"{group}:0"})
    assert texts(created(sync["events"])) == [None, "from carol", None]
    seqs = [e["seq"] for e in sync["events"]]
    assert seqs == list(range(1, len(seqs) + 1))  # no gap for the client to chase
    sync = await alice.ok(
        "GET", "/api/v1/sync", params={"cursors": f"{group}:0", "include_blocked": "true"}
    )
    assert texts(created(sync["events"])) == ["from bob", "from carol", "bob again"]

    await alice.ok("PUT", f"/api/v1/chats/{group}/pins/{history[0]['id']}")
    pins = await alice.ok("GET", f"/api/v1/chats/{group}/pins")
    assert [(m["text"], m["from_blocked"]) for m in pins["messages"]] == [(None, True)]
    assert texts((await carol.ok("GET", f"/api/v1/chats/{group}/pins"))["messages"]) == ["from bob"]

    chats = await alice.ok("GET", "/api/v1/chats")
    last = next(c for c in chats["chats"] if c["id"] == group)["last_message"]
    assert (last["text"], last["from_blocked"]) == (None, True)
    await alice.ok("DELETE", f"/api/v1/me/blocks/{bob.id}")
    assert texts((await alice.ok("GET", path))["messages"]) == [
        "from bob",
        "from carol",
        "bob again",
    ]


def reactors(events: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [
        (e["user_id"], e["reactions"]) for e in events if e["type"] == "message.reactions_changed"
    ]


async def test_the_blocker_is_not_told_which_reactor_is_the_blocked_user(
    person: MakePerson,
) -> None:
    alice, bob, carol = await person(), await person(), await person()
    group = await make_group(alice, bob, carol)
    post = await send(carol, group, "a post")
    await block(alice, bob)
    react = f"/api/v1/chats/{group}/messages/{post['id']}/reactions/👍"
    assert (await bob.call("PUT", react)).status_code == 204
    assert (await carol.call("PUT", react)).status_code == 204
    cursors = {"cursors": f"{group}:0"}
    seen = await alice.ok("GET", "/api/v1/sync", params=cursors)
    # The counts stay right; only who the blocked reactor is is not said.
    assert reactors(seen["events"]) == [(None, {"👍": 1}), (carol.id, {"👍": 2})]
    asked = await alice.ok("GET", "/api/v1/sync", params={**cursors, "include_blocked": "true"})
    assert reactors(asked["events"]) == [(bob.id, {"👍": 1}), (carol.id, {"👍": 2})]
    theirs = await carol.ok("GET", "/api/v1/sync", params=cursors)
    assert reactors(theirs["events"]) == [(bob.id, {"👍": 1}), (carol.id, {"👍": 2})]
    message = await alice.ok("GET", f"/api/v1/chats/{group}/messages/{post['id']}")
    assert message["reactions"] == {"👍": 2}


async def test_a_blocked_admin_of_an_anonymous_channel_is_not_given_away(
    person: MakePerson,
) -> None:
    owner, alice = await person(), await person()
    channel = await owner.ok("POST", "/api/v1/chats", json={"kind": "channel", "title": "News"})
    await owner.ok("POST", f"/api/v1/chats/{channel['id']}/members", json={"user_id": alice.id})
    await block(alice, owner)
    await send(owner, channel["id"], "unsigned post")
    history = await alice.ok("GET", f"/api/v1/chats/{channel['id']}/messages")
    # Hiding it would tell Alice who posts; the channel shows no poster, so nothing is hidden.
    assert texts(history["messages"]) == ["unsigned post"]


async def test_the_blocker_sees_placeholders_live_and_on_replay(
    server: Server, server_person: MakePerson
) -> None:
    await live_block_story(server, server_person)


@pytest.mark.settings(bus_url=REDIS_URL or "memory://")
async def test_the_blocker_sees_placeholders_live_over_redis(
    server: Server, server_person: MakePerson
) -> None:
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    await live_block_story(server, server_person)


async def live_block_story(server: Server, server_person: MakePerson) -> None:
    alice, bob, carol = [await server_person() for _ in range(3)]
    group = await make_group(alice, bob, carol)
    blocker = await Live.open(server.ws_url, alice.token)
    other = await Live.open(server.ws_url, carol.token)
    try:
        await send(bob, group, "before")
        assert (await blocker.next_of("message.created"))["message"]["text"] == "before"
        await other.next_of("message.created")

        # Blocking on one device updates the live filter of every device at once.
        await block(alice, bob)
        told = await blocker.next_of("user.blocked")
        assert told["user_id"] == bob.id
        sent = await send(bob, group, "while blocked")
        seen = await blocker.next_of("message.created")
        assert (seen["seq"], seen["message"]["text"], seen["message"]["from_blocked"]) == (
            sent["seq"],
            None,
            True,
        )
        assert (await other.next_of("message.created"))["message"]["text"] == "while blocked"
        await send(carol, group, "from carol")
        assert (await blocker.next_of("message.created"))["message"]["text"] == "from carol"
        edited = await bob.ok(
            "PATCH", f"/api/v1/chats/{group}/messages/{sent['id']}", json={"text": "edited"}
        )
        assert (await blocker.next_of("message.edited"))["message"]["text"] is None
        assert edited["text"] == "edited"
        react = f"/api/v1/chats/{group}/messages/{sent['id']}/reactions/👍"
        assert (await bob.call("PUT", react)).status_code == 204
        reacted = await blocker.next_of("message.reactions_changed")
        assert (reacted["user_id"], reacted["reactions"]) == (None, {"👍": 1})
        assert (await other.next_of("message.reactions_changed"))["user_id"] == bob.id

        replay = await Live.open(server.ws_url, alice.token, {group: 0})
        last_seq = next(c["last_seq"] for c in replay.ready["chats"] if c["chat_id"] == group)
        frames = [await replay.next() for _ in range(last_seq)]
        await replay.close()
        assert [m["text"] for m in created(frames)] == [None, None, "from carol"]
        assert reactors(frames) == [(None, {"👍": 1})]
        assert [f["seq"] for f in frames] == list(range(1, last_seq + 1))

        await alice.ok("DELETE", f"/api/v1/me/blocks/{bob.id}")
        assert (await blocker.next_of("user.unblocked"))["user_id"] == bob.id
        await send(bob, group, "after")
        assert (await blocker.next_of("message.created"))["message"]["text"] == "after"
    finally:
        await blocker.close()
        await other.close()


async def test_include_blocked_on_the_websocket_shows_them(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    group = await make_group(alice, bob)
    await block(alice, bob)
    live = await Live.open(server.ws_url, alice.token)
    shown = await Live.open(server.ws_url, alice.token, include_blocked=True)
    try:
        await send(bob, group, "hello")
        assert (await live.next_of("message.created"))["message"]["text"] is None
        assert (await shown.next_of("message.created"))["message"]["text"] == "hello"
    finally:
        await live.close()
        await shown.close()


async def test_a_blocked_user_gets_an_error_frame_on_the_websocket(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = (await direct(bob, alice)).json()["id"]
    await block(alice, bob)
    live = await Live.open(server.ws_url, bob.token)
    try:
        await live.send({"type": "send", "chat_id": chat_id, "text": "hi", "client_txn_id": "t1"})
        error = await live.next_of("error")
        assert error["client_txn_id"] == "t1"
        assert error["problem"]["type"] == PROBLEM + "privacy_restricted"
    finally:
        await live.close()


async def test_a_block_the_bus_lost_is_read_again_at_catch_up(app: Any, person: MakePerson) -> None:
    ctx = app.state.ctx
    bob, carol = await person(), await person()
    alice = await person()
    group = await make_group(alice, bob, carol)
    session = LiveSession(ctx, await access_caller(ctx, alice.token))
    await session.open({})
    frames = session.frames()
    with bus_drops_everything(ctx):
        await block(alice, bob)  # its control to the live session is lost
        await send(bob, group, "lost on the bus")
    ctx.hub.catch_up_all()
    frame = orjson.loads(await anext(frames))
    assert (frame["type"], frame["message"]["text"], frame["message"]["from_blocked"]) == (
        "message.created",
        None,
        True,
    )
    await frames.aclose()
    await session.close()
