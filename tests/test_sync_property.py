"""Property: whatever the interleaving of sends, edits, deletes, bus drops, disconnects and
reconnects, every client ends holding exactly the chat's events, in order, once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colletta.actions.accounts import access_caller
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.live import LiveSession
from colletta.actions.messages import do_delete_message, do_edit_message, do_send_message
from colletta.errors import ColettaError
from colletta.store import events as event_store
from tests.conftest import BUSES, MakePerson
from tests.test_messages import make_group

# One contract for both buses: what holds on one node must hold across Redis.
pytestmark = pytest.mark.parametrize("bus_url", BUSES, indirect=True)

CLIENTS = 3
SETTLE_TIMEOUT_S = 10


class Client:
    """A device: a live session when connected, and the events it has applied."""

    def __init__(self, ctx: Context, caller: Caller, chat_id: int) -> None:
        self.ctx, self.caller, self.chat_id = ctx, caller, chat_id
        self.events: list[tuple[int, str]] = []
        self.cursor = 0
        self.session: LiveSession | None = None
        self.task: asyncio.Task[None] | None = None
        self.progress = asyncio.Condition()

    async def connect(self) -> None:
        self.session = LiveSession(self.ctx, self.caller)
        await self.session.open({self.chat_id: self.cursor})
        self.task = asyncio.create_task(self._consume(self.session))

    async def _consume(self, session: LiveSession) -> None:
        async for data in session.frames():
            frame = orjson.loads(data)
            if frame.get("seq") is None or int(frame["chat_id"]) != self.chat_id:
                continue
            # What a real client does: apply in order, drop what it already has.
            assert frame["seq"] == self.cursor + 1 or frame["seq"] <= self.cursor, frame
            if frame["seq"] == self.cursor + 1:
                self.events.append((frame["seq"], frame["type"]))
                self.cursor = frame["seq"]
                async with self.progress:
                    self.progress.notify_all()

    async def disconnect(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def reached(self, seq: int) -> None:
        async with self.progress:
            await asyncio.wait_for(
                self.progress.wait_for(lambda: self.cursor >= seq), SETTLE_TIMEOUT_S
            )


operation = st.one_of(
    st.tuples(st.just("send"), st.integers(0, CLIENTS - 1)),
    st.tuples(st.just("edit"), st.integers(0, CLIENTS - 1)),
    st.tuples(st.just("delete"), st.integers(0, CLIENTS - 1)),
    st.tuples(st.just("disconnect"), st.integers(0, CLIENTS - 1)),
    st.tuples(st.just("reconnect"), st.integers(0, CLIENTS - 1)),
    st.tuples(st.just("drop_next_publish"), st.just(0)),
)


@pytest.fixture
async def world(app: Any, person: MakePerson) -> Callable[[], Awaitable[Any]]:
    ctx: Context = app.state.ctx
    people = [await person() for _ in range(CLIENTS)]
    callers = [await access_caller(ctx, p.token) for p in people]

    async def fresh_chat() -> tuple[Context, list[Caller], int]:
        return ctx, callers, int(await make_group(people[0], *people[1:]))

    return fresh_chat


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=30))
async def test_every_client_ends_with_exactly_the_log(
    world: Callable[[], Awaitable[Any]], ops: list[tuple[str, int]]
) -> None:
    ctx, callers, chat_id = await world()
    clients = [Client(ctx, caller, chat_id) for caller in callers]
    for client in clients:
        await client.connect()
    sent: dict[int, list[int]] = {i: [] for i in range(CLIENTS)}
    real_publish = ctx.bus.publish
    drops = 0

    async def flaky_publish(topic: str, data: bytes) -> None:
        nonlocal drops
        if drops and topic.startswith("chat:"):
            drops -= 1
            return
        await real_publish(topic, data)

    ctx.bus.publish = flaky_publish  # type: ignore[method-assign]
    try:
        for step, (op, i) in enumerate(ops):
            caller, client = callers[i], clients[i]
            if op == "send":
                message = await do_send_message(ctx, caller, chat_id, f"m{step}", f"t{step}")
                sent[i].append(int(message.message["id"]))
            elif op in ("edit", "delete") and sent[i]:
                with contextlib.suppress(ColettaError):  # already deleted
                    if op == "edit":
                        await do_edit_message(ctx, caller, chat_id, sent[i][-1], f"e{step}")
                    else:
                        await do_delete_message(ctx, caller, chat_id, sent[i].pop())
            elif op == "disconnect":
                await client.disconnect()
            elif op == "reconnect":
                await client.disconnect()
                await client.connect()
            elif op == "drop_next_publish":
                drops += 1
        drops = 0
        # A final event flushes any gap left by a dropped publish, as the next event would.
        await do_send_message(ctx, callers[0], chat_id, "the end", "the-end")
        for client in clients:
            if client.task is None:
                await client.connect()
        async with ctx.db.read() as conn:
            log = await event_store.get_events(conn, chat_id, 0, 10_000)
        truth = [(e.seq, orjson.loads(e.payload)["type"]) for e in log]
        for client in clients:
            await client.reached(truth[-1][0])
            assert client.events == truth
    finally:
        ctx.bus.publish = real_publish  # type: ignore[method-assign]
        for client in clients:
            await client.disconnect()
