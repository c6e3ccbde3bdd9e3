"""Per-user flood limits and WebSocket robustness over the real server (docs/events.md,
docs/operations.md)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from colletta.api.ws import MAX_FRAME_BYTES, MAX_FRAME_CHARS
from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from tests.conftest import MakePerson, Person, Server, register_and_login, start_server
from tests.live_client import Live
from tests.test_live import group_with

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def close_code(ws: Any) -> int | None:
    """Read (and drop) frames until the server closes; the close code it sent."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def still_open(live: Live) -> bool:
    await live.send({"type": "ping"})
    return (await live.next_of("pong"))["type"] == "pong"


# One member typing must never cut the others off, however fast their client sends.
@pytest.mark.settings(ws_queue_max=10)
async def test_a_typing_flood_never_disconnects_the_other_members(
    server: Server, server_person: MakePerson, clock: FakeClock
) -> None:
    alice, bob, carol = await server_person(), await server_person(), await server_person()
    chat_id = await group_with(alice, bob, carol)
    bob_live = await Live.open(server.ws_url, bob.token)
    carol_live = await Live.open(server.ws_url, carol.token)
    alice_live = await Live.open(server.ws_url, alice.token)
    try:
        for _ in range(500):
            await alice_live.send({"type": "typing", "chat_id": chat_id})
        assert await still_open(alice_live)  # every typing frame before it was handled
        await alice_live.send(
            {"type": "send", "chat_id": chat_id, "text": "done", "client_txn_id": "t1"}
        )
        for live in (bob_live, carol_live):
            frames = [await live.next()]
            while frames[-1]["type"] != "message.created":
                frames.append(await live.next())
            assert [f["type"] for f in frames] == ["typing", "message.created"]
            assert await still_open(live)
        clock.advance(3_000)  # typing_interval_s later, typing is shown again
        await alice_live.send({"type": "typing", "chat_id": chat_id})
        assert (await bob_live.next())["type"] == "typing"
    finally:
        for live in (alice_live, bob_live, carol_live):
            await live.close()


async def test_typing_repeats_over_http_are_dropped_silently(
    server: Server, server_person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    bob_live = await Live.open(server.ws_url, bob.token)
    try:
        for _ in range(3):
            response = await alice.call("POST", f"/api/v1/chats/{chat_id}/typing")
            assert response.status_code == 204
        await alice.ok(
            "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": "x", "client_txn_id": "x"}
        )
        assert (await bob_live.next())["type"] == "typing"
        assert (await bob_live.next())["type"] == "message.created"
        # A refused attempt does not count: the stranger still gets 404, every time.
        stranger = await server_person()
        for _ in range(2):
            response = await stranger.call("POST", f"/api/v1/chats/{chat_id}/typing")
            assert response.status_code == 404
    finally:
        await bob_live.close()


async def sends(person: Person, chat_id: str, *txn_ids: str) -> list[Any]:
    return [
        await person.call(
            "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": t, "client_txn_id": t}
        )
        for t in txn_ids
    ]


@sqlite_only
@pytest.mark.settings(rate_limits_enabled=True, send_burst=3, send_rate_per_s=0.5)
async def test_sends_over_the_rate_get_429_over_http_and_an_error_frame_on_the_socket(
    server: Server, server_person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    answers = await sends(alice, chat_id, "a1", "a2", "a3", "a4")
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/rate_limited")
    assert refused.json()["retry_after_s"] == 2
    assert refused.headers["retry-after"] == "2"

    live = await Live.open(server.ws_url, alice.token)
    try:
        await live.send({"type": "send", "chat_id": chat_id, "text": "w", "client_txn_id": "w1"})
        error = await live.next_of("error", "sent")
        assert error["type"] == "error"
        assert error["client_txn_id"] == "w1"
        assert (error["problem"]["status"], error["problem"]["retry_after_s"]) == (429, 2)
        assert await still_open(live)
        # Another user's budget is their own.
        assert [r.status_code for r in await sends(bob, chat_id, "b1")] == [201]
        clock.advance(2_000)
        await live.send({"type": "send", "chat_id": chat_id, "text": "w", "client_txn_id": "w1"})
        assert (await live.next_of("error", "sent"))["type"] == "sent"
    finally:
        await live.close()
    history = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    assert sorted(m["text"] for m in history["messages"]) == ["a1", "a2", "a3", "b1", "w"]


@sqlite_only
@pytest.mark.settings(rate_limits_enabled=True, reaction_burst=2, reaction_rate_per_s=1)
async def test_reactions_over_the_rate_get_429(
    server: Server, server_person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await server_person(), await server_person()
    chat_id = await group_with(alice, bob)
    [sent] = await sends(alice, chat_id, "m")
    path = f"/api/v1/chats/{chat_id}/messages/{sent.json()['id']}/reactions/"
    codes = [(await bob.call("PUT", path + e)).status_code for e in ("👍", "🎉", "🔥")]
    assert codes == [204, 204, 429]
    clock.advance(1_000)
    assert (await bob.call("PUT", path + "🔥")).status_code == 204


@sqlite_only
@pytest.mark.settings(ws_max_per_user=2)
async def test_sockets_over_the_per_user_cap_are_closed_with_4429(
    server: Server, server_person: MakePerson
) -> None:
    alice, bob = await server_person(), await server_person()
    first = await Live.open(server.ws_url, alice.token)
    second = await Live.open(server.ws_url, alice.token)
    try:
        async with connect(server.ws_url) as ws:
            await ws.send(orjson.dumps({"type": "auth", "token": alice.token}))
            assert await close_code(ws) == 4429
        assert await still_open(first)
        assert await still_open(second)
        other = await Live.open(server.ws_url, bob.token)  # another user is not affected
        await other.close()
    finally:
        await first.close()
        await second.close()


@sqlite_only
async def test_the_longest_valid_message_fits_in_a_frame_however_it_is_escaped(
    server: Server, server_person: MakePerson
) -> None:
    alice, _ = await server_person(), None
    chat = await alice.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Wide"})
    live = await Live.open(server.ws_url, alice.token)
    try:
        for n, text in enumerate(["😀" * 4096, "漢" * 4096, "a" * 4096]):
            frame = {"type": "send", "chat_id": chat["id"], "text": text, "client_txn_id": f"{n}"}
            # json.dumps escapes every non-ASCII character: 12 characters per emoji.
            await live.ws.send(json.dumps(frame, indent=2))
            sent = await live.next_of("sent", "error")
            assert (sent["type"], sent["message"]["text"]) == ("sent", text)
        # Longer than any valid frame: an error frame, and the socket stays open.
        too_long = {"type": "send", "chat_id": chat["id"], "client_txn_id": "big"}
        await live.send({**too_long, "text": "x" * (MAX_FRAME_CHARS + 1)})
        error = await live.next_of("error")
        assert error["client_txn_id"] == "big"
        assert error["problem"]["type"].endswith("/too_large")
        assert await still_open(live)
        await live.send({**too_long, "text": "x" * (MAX_FRAME_BYTES + 1)})
        assert await close_code(live.ws) == 1009  # over what the transport takes at all
    finally:
        await live.close()


# The same bad seqs, as JSON on the socket and as text in /sync's query.
BAD_SEQS = [(1.5, "1.5"), ("1", "x"), (True, "true"), (-1, "-1"), (2**63, str(2**63)), (None, "")]


@sqlite_only
async def test_cursors_follow_the_same_rules_on_the_socket_and_on_sync(
    server: Server, server_person: MakePerson
) -> None:
    alice = await server_person()
    chat = await alice.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Cur"})
    for seq, text in BAD_SEQS:
        async with connect(server.ws_url) as ws:
            auth = {"type": "auth", "token": alice.token, "cursors": {chat["id"]: seq}}
            await ws.send(orjson.dumps(auth))
            assert await close_code(ws) == 4400, seq
        query = {"cursors": f"{chat['id']}:{text}"}
        response = await alice.call("GET", "/api/v1/sync", params=query)
        assert response.status_code == 422, text
    for key in ["0", "x", "²", str(2**63)]:
        async with connect(server.ws_url) as ws:
            await ws.send(orjson.dumps({"type": "auth", "token": alice.token, "cursors": {key: 1}}))
            assert await close_code(ws) == 4400, key
    live = await Live.open(server.ws_url, alice.token, {chat["id"]: 1})
    await live.close()


@sqlite_only
@pytest.mark.settings(ws_auth_timeout_s=0.2)
async def test_a_socket_that_never_authenticates_is_closed_with_4401(server: Server) -> None:
    async with connect(server.ws_url) as ws:
        assert await close_code(ws) == 4401


@sqlite_only
async def test_a_server_restart_closes_sockets_with_1012(
    settings: Settings, clock: FakeClock
) -> None:
    uv, task, url = await start_server(create_app(settings, clock=clock), settings)
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            alice = await register_and_login(client)
        live = await Live.open(url.replace("http", "ws") + "/api/v1/ws", alice.token)
        uv.should_exit = True  # what SIGTERM does
        assert await live.until_closed() == 1012
    finally:
        uv.should_exit = True
        await task


@sqlite_only
async def test_a_member_of_thousands_of_chats_can_resume_with_a_cursor_for_each(
    server: Server, server_person: MakePerson
) -> None:
    alice = await server_person()
    chat = await alice.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Many"})
    # The SDK sends a cursor for every chat it follows; chats the caller is not in are
    # answered as removed, not as a bad frame.
    others = {str(10**17 + i): 1 for i in range(4_999)}
    live = await Live.open(server.ws_url, alice.token, {chat["id"]: 0, **others})
    assert await still_open(live)
    await live.close()
    too_many = {str(10**17 + i): 1 for i in range(10_001)}
    async with connect(server.ws_url, max_size=None) as ws:
        await ws.send(orjson.dumps({"type": "auth", "token": alice.token, "cursors": too_many}))
        assert await close_code(ws) == 4400
