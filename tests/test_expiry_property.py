"""Property: whatever the sends, timers, reads, clock jumps and sweeps, no API call returns a
message's content once it has expired for the caller, and every copy not yet expired is still
served whole. Expiry is computed here from the rules, independently of the server's code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colletta.actions.expiry import do_expire_due
from colletta.clock import FakeClock
from tests.conftest import MakePerson, Person
from tests.test_expiry import direct, post


@dataclass
class Sent:
    id: str
    seq: int
    text: str
    sender: int
    sent_at_ms: int
    chat_ttl_s: int | None
    self_destruct_s: int | None
    read_at_ms: int | None = None

    def expired_for(self, viewer: int, now_ms: int) -> bool:
        if self.self_destruct_s is not None:
            if viewer == self.sender:
                return now_ms >= self.sent_at_ms + self.self_destruct_s * 1000
            return self.read_at_ms is not None and now_ms >= (
                self.read_at_ms + self.self_destruct_s * 1000
            )
        if self.chat_ttl_s is not None:
            return now_ms >= self.sent_at_ms + self.chat_ttl_s * 1000
        return False


operation = st.one_of(
    st.tuples(st.just("send"), st.integers(0, 1), st.sampled_from([None, 5, 12, 60])),
    st.tuples(st.just("ttl"), st.integers(0, 1), st.sampled_from([None, 5, 30])),
    st.tuples(st.just("read"), st.integers(0, 1), st.none()),
    st.tuples(
        st.just("advance"),
        st.integers(0, 1),
        st.one_of(st.sampled_from([1, 4_999, 5_000, 12_000, 60_000]), st.integers(0, 70_000)),
    ),
    st.tuples(st.just("sweep"), st.integers(0, 1), st.none()),
)


async def check(people: list[Person], chat_id: str, sent: list[Sent], now_ms: int) -> None:
    for viewer, person in enumerate(people):
        page = await person.ok("GET", f"/api/v1/chats/{chat_id}/messages", params={"limit": 100})
        seen = {m["id"]: m["text"] for m in page["messages"]}
        sync = await person.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
        for event in sync["events"]:
            if event["type"] in ("message.created", "message.edited"):
                message_id = event["message"]["id"]
                assert event["message"]["text"] in (None, seen.get(message_id)), event
        for message in sent:
            expired = message.expired_for(viewer, now_ms)
            assert seen[message.id] == (None if expired else message.text), (
                viewer,
                message,
                now_ms,
            )
            one = await person.ok("GET", f"/api/v1/chats/{chat_id}/messages/{message.id}")
            assert one["text"] == seen[message.id]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=3, max_size=25))
async def test_no_api_call_returns_an_expired_message(
    world: Callable[[], Awaitable[Any]], ops: list[tuple[str, int, Any]]
) -> None:
    app, clock, people, chat_id = await world()
    sent: list[Sent] = []
    chat_ttl_s: int | None = None
    for step, (op, who, arg) in enumerate(ops):
        person = people[who]
        if op == "send":
            extra = {"self_destruct_s": arg} if arg is not None else {}
            text = f"m{step}"
            message = await post(person, chat_id, text, **extra)
            sent.append(
                Sent(message["id"], message["seq"], text, who, clock.now_ms(), chat_ttl_s, arg)
            )
        elif op == "ttl":
            path = f"/api/v1/chats/{chat_id}/message-ttl"
            await person.ok("PUT", path, json={"message_ttl_s": arg})
            chat_ttl_s = arg
        elif op == "read":
            chat = await person.ok("GET", f"/api/v1/chats/{chat_id}")
            await person.ok("POST", f"/api/v1/chats/{chat_id}/read", json={"seq": chat["last_seq"]})
            for message in sent:
                if message.sender != who and message.read_at_ms is None:
                    message.read_at_ms = clock.now_ms()
        elif op == "advance":
            clock.advance(arg)
        else:
            await do_expire_due(app.state.ctx)
        await check(people, chat_id, sent, clock.now_ms())


@pytest.fixture
def world(app: Any, clock: FakeClock, person: MakePerson) -> Callable[[], Awaitable[Any]]:
    async def fresh() -> tuple[Any, FakeClock, list[Person], str]:
        alice, bob = await person(), await person()
        return app, clock, [alice, bob], await direct(alice, bob)

    return fresh
