"""RealtimeClient against a real-socket fake of the WebSocket protocol (docs/events.md)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from colletta_sdk import ApiError, AuthError, RealtimeClient
from colletta_sdk.models import Event
from colletta_sdk.realtime import backoff_delays, ws_url

TOKEN = "good-token-123"
WAIT_S = 5


def make_rt(
    server: Any, cursors: dict[str, int] | None = None, token: str = TOKEN
) -> RealtimeClient:
    return RealtimeClient(server.url, token, cursors, initial_backoff_s=0.01, max_backoff_s=0.05)


async def take(it: AsyncGenerator[Event, None], n: int) -> list[Event]:
    async with asyncio.timeout(WAIT_S):
        return [await anext(it) for _ in range(n)]


def seqs(events: list[Event]) -> list[tuple[str, int | None]]:
    return [(e.chat_id, e.seq) for e in events]


async def next_auth(server: Any) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_S):
        auth: dict[str, Any] = await server.auths.get()
        return auth


def test_ws_url() -> None:
    assert ws_url("http://h:8080") == "ws://h:8080/api/v1/ws"
    assert ws_url("https://h/prefix/") == "wss://h/prefix/api/v1/ws"
    with pytest.raises(ValueError, match="scheme"):
        ws_url("ftp://h")


def test_backoff_is_exponential_capped_and_jittered() -> None:
    delays = backoff_delays(0.5, 8.0, rng=random.Random(1))
    values = [next(delays) for _ in range(12)]
    ceilings = [min(8.0, 0.5 * 2**i) for i in range(12)]
    for value, ceiling in zip(values, ceilings, strict=True):
        assert ceiling / 2 <= value <= ceiling
    assert max(values) <= 8.0
    assert len(set(values)) == len(values)  # jittered, so reconnecting clients spread out


async def test_auth_frame_ready_and_live_events(fake_server: Any) -> None:
    fake_server.append("A")
    fake_server.append("A")
    async with make_rt(fake_server) as rt:
        it = rt.events()
        auth = await next_auth(fake_server)
        assert auth == {"type": "auth", "token": TOKEN, "cursors": {}}
        await fake_server.publish("A", text="hello")
        [event] = await take(it, 1)
        assert (event.type, event.chat_id, event.seq) == ("message.created", "A", 3)
        assert event.message is not None
        assert event.message.text == "hello"
        assert event.data["at_ms"] == 1003
        # A chat without a cursor starts at ready's last_seq: seqs 1 and 2 are not replayed.
        assert rt.cursors == {"A": 3}
        assert rt.user_id == "42"
        await it.aclose()


async def test_replay_after_cursor(fake_server: Any) -> None:
    for _ in range(4):
        fake_server.append("A")
    fake_server.append("B")
    async with make_rt(fake_server, {"A": 1, "B": 0}) as rt:
        it = rt.events()
        events = await take(it, 4)
        assert sorted(seqs(events)) == [("A", 2), ("A", 3), ("A", 4), ("B", 1)]
        assert [e.seq for e in events if e.chat_id == "A"] == [2, 3, 4]
        assert rt.cursors == {"A": 4, "B": 1}
        await it.aclose()


async def test_duplicates_and_old_events_are_dropped(fake_server: Any) -> None:
    fake_server.create_chat("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        await next_auth(fake_server)
        await fake_server.publish("A")
        await fake_server.publish("A")
        first, second = fake_server.logs["A"]
        await fake_server.broadcast(second)
        await fake_server.broadcast(first)
        await fake_server.publish("A")
        events = await take(it, 3)
        assert seqs(events) == [("A", 1), ("A", 2), ("A", 3)]
        await it.aclose()


async def test_gap_is_filled_from_sync_before_yielding(fake_server: Any) -> None:
    fake_server.create_chat("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        await next_auth(fake_server)
        fake_server.append("A")  # stored, but the live bus "dropped" these two
        fake_server.append("A")
        await fake_server.publish("A")
        await fake_server.publish("A")
        events = await take(it, 4)
        assert seqs(events) == [("A", 1), ("A", 2), ("A", 3), ("A", 4)]
        assert fake_server.sync_requests == ["A:0"]
        assert rt.cursors == {"A": 4}
        await it.aclose()


async def test_gap_answered_with_resync_required(fake_server: Any) -> None:
    fake_server.create_chat("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        await next_auth(fake_server)
        fake_server.append("A")
        fake_server.force_resync.add("A")
        await fake_server.publish("A")
        [event] = await take(it, 1)
        assert (event.type, event.chat_id, event.seq) == ("resync_required", "A", None)
        assert event.data == {"last_seq": 2}
        assert rt.cursors == {"A": 2}
        fake_server.force_resync.clear()
        await fake_server.publish("A")
        assert seqs(await take(it, 1)) == [("A", 3)]
        await it.aclose()


async def test_resync_required_on_connect_moves_cursor(fake_server: Any) -> None:
    fake_server.append("A")
    fake_server.append("A")
    async with make_rt(fake_server, {"A": 99}) as rt:
        it = rt.events()
        [event] = await take(it, 1)
        assert event.type == "resync_required"
        assert event.data["last_seq"] == 2
        assert rt.cursors == {"A": 2}
        await fake_server.publish("A")
        assert seqs(await take(it, 1)) == [("A", 3)]
        await it.aclose()


@pytest.mark.parametrize("drop", ["4408", "1012", "1000", "abort"])
async def test_reconnects_and_resumes_without_gaps_or_duplicates(
    fake_server: Any, drop: str
) -> None:
    fake_server.append("A")
    fake_server.append("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        assert seqs(await take(it, 2)) == [("A", 1), ("A", 2)]
        assert (await next_auth(fake_server))["cursors"] == {"A": 0}
        if drop == "abort":
            await fake_server.abort_all()
        else:
            await fake_server.close_all(int(drop))
        # Whether these reach the client by replay or live, each comes exactly once.
        await fake_server.publish("A")
        await fake_server.publish("A")
        assert (await next_auth(fake_server))["cursors"] == {"A": 2}
        await fake_server.publish("A")
        assert seqs(await take(it, 3)) == [("A", 3), ("A", 4), ("A", 5)]
        assert rt.connections == 2
        await it.aclose()


async def test_retries_refused_handshakes(fake_server: Any) -> None:
    fake_server.refuse_handshakes = 3
    fake_server.append("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        assert seqs(await take(it, 1)) == [("A", 1)]
        assert fake_server.refuse_handshakes == 0
        await it.aclose()


async def test_4401_raises_auth_error(fake_server: Any) -> None:
    async def drain(rt: RealtimeClient) -> None:
        async with asyncio.timeout(WAIT_S):
            async for _ in rt.events():
                pass

    async with make_rt(fake_server, token="wrong") as rt:
        with pytest.raises(AuthError):
            await drain(rt)
        with pytest.raises(AuthError):
            await rt.send("A", "hi")


async def test_cursors_count_only_what_was_yielded(fake_server: Any) -> None:
    for _ in range(3):
        fake_server.append("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        await take(it, 1)
        assert rt.cursors == {"A": 1}
        await it.aclose()
    # A new client resumed from those cursors gets the rest, once.
    async with make_rt(fake_server, rt.cursors) as again:
        it = again.events()
        assert seqs(await take(it, 2)) == [("A", 2), ("A", 3)]
        await it.aclose()


async def test_ephemeral_events_and_chat_membership(fake_server: Any) -> None:
    fake_server.append("A")
    async with make_rt(fake_server, {"A": 1, "GONE": 5}) as rt:
        it = rt.events()
        [removed] = await take(it, 1)
        assert (removed.type, removed.chat_id) == ("chat.removed", "GONE")
        assert rt.cursors == {"A": 1}
        await fake_server.broadcast({"type": "typing", "chat_id": "A", "user_id": "9"})
        chat = {"id": "C", "kind": "group", "title": "new", "last_seq": 4}
        await fake_server.broadcast({"type": "chat.added", "chat_id": "C", "chat": chat})
        typing, added = await take(it, 2)
        assert (typing.type, typing.seq, typing.data["user_id"]) == ("typing", None, "9")
        assert added.type == "chat.added"
        assert rt.cursors == {"A": 1, "C": 4}
        # Seqs up to the chat's last_seq at chat.added are history, not live events.
        stale = {"type": "member.joined", "chat_id": "C", "seq": 4, "member": {}}
        await fake_server.broadcast(stale)
        await fake_server.broadcast({**stale, "seq": 5})
        assert seqs(await take(it, 1)) == [("C", 5)]
        await it.aclose()


async def test_send_and_typing_over_the_socket(fake_server: Any) -> None:
    fake_server.create_chat("A")
    async with make_rt(fake_server, {"A": 0}) as rt:
        it = rt.events()
        message = await asyncio.wait_for(rt.send("A", "hi", client_txn_id="t1"), WAIT_S)
        assert (message.chat_id, message.seq, message.text) == ("A", 1, "hi")
        # The message also arrives as an event, like every other member sees it.
        [event] = await take(it, 1)
        assert event.message == message
        frame = await asyncio.wait_for(fake_server.frames.get(), WAIT_S)
        assert frame == {"type": "send", "chat_id": "A", "text": "hi", "client_txn_id": "t1"}
        await rt.typing("A")
        frame = await asyncio.wait_for(fake_server.frames.get(), WAIT_S)
        assert frame == {"type": "typing", "chat_id": "A"}
        await it.aclose()


async def test_send_error_frame_raises_api_error(fake_server: Any) -> None:
    async def refuse(ws: Any, frame: dict[str, Any]) -> None:
        problem = {
            "type": "https://colletta.chat/problems/forbidden",
            "title": "Forbidden",
            "status": 403,
            "detail": "read-only channel",
        }
        answer = {"type": "error", "client_txn_id": frame["client_txn_id"], "problem": problem}
        await ws.send(json.dumps(answer))

    fake_server.on_send = refuse
    async with make_rt(fake_server) as rt:
        with pytest.raises(ApiError) as info:
            await asyncio.wait_for(rt.send("A", "hi"), WAIT_S)
        assert (info.value.status, info.value.type_slug) == (403, "forbidden")
        assert info.value.detail == "read-only channel"


async def test_send_is_repeated_with_the_same_txn_after_a_drop(fake_server: Any) -> None:
    seen: list[str] = []

    async def flaky(ws: Any, frame: dict[str, Any]) -> None:
        seen.append(frame["client_txn_id"])
        if len(seen) == 1:
            ws.transport.abort()  # the answer is lost; was it stored? the txn id decides
            return
        await fake_server.answer_sent(ws, frame)

    fake_server.on_send = flaky
    async with make_rt(fake_server) as rt:
        message = await asyncio.wait_for(rt.send("A", "once"), WAIT_S)
        assert message.text == "once"
        assert len(seen) == 2
        assert seen[0] == seen[1]
        assert rt.connections == 2


async def test_close_ends_iteration(fake_server: Any) -> None:
    rt = make_rt(fake_server)
    received: list[Event] = []

    async def consume() -> None:
        async for event in rt.events():
            received.append(event)

    task = asyncio.create_task(consume())
    await next_auth(fake_server)
    await rt.close()
    await asyncio.wait_for(task, WAIT_S)
    assert received == []
    assert [e async for e in rt.events()] == []
