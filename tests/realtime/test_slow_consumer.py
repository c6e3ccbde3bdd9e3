"""A client that stops reading is cut off, and the server's memory stays bounded."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from colletta.actions.accounts import access_caller
from colletta.actions.callers import Caller
from colletta.actions.live import LiveSession, SlowConsumer
from tests.conftest import MakePerson, Person, Server
from tests.live_client import Live
from tests.outage_tools import bus_drops_everything
from tests.test_messages import make_group, send


async def _alice_chat_and_bobs_session(
    ctx: Any, person: MakePerson
) -> tuple[Person, str, LiveSession]:
    """Alice and Bob in a group, and a live session of Bob's opened with no cursors."""
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    caller: Caller = await access_caller(ctx, bob.token)
    session = LiveSession(ctx, caller)
    await session.open({})
    return alice, chat_id, session


@pytest.mark.settings(ws_queue_max=10)
async def test_full_queue_ends_the_session_and_frees_it(app: Any, person: MakePerson) -> None:
    ctx = app.state.ctx
    alice, chat_id, session = await _alice_chat_and_bobs_session(ctx, person)
    frames = session.frames()
    queue_max = ctx.settings.ws_queue_max
    for i in range(queue_max + 5):
        await send(alice, chat_id, f"flood {i}")
    # Overflow emptied the buffer: at most the wake-up marker is left.
    assert session.connection.queue.qsize() <= 1
    with pytest.raises(SlowConsumer):
        async for _ in frames:
            pass
    await session.close()
    assert ctx.hub.connection_count == 0


def _tiny_socket(server: Server) -> socket.socket:
    """A client socket with a small receive window, so the server's side fills quickly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = server.url.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    return sock


@pytest.mark.settings(ws_queue_max=10, sqlite_synchronous="NORMAL")
async def test_a_stalled_socket_is_closed_with_4408_and_can_resume(
    server: Server, server_person: MakePerson
) -> None:
    ctx = server.app.state.ctx
    alice, bob = await server_person(), await server_person()
    chat_id = await make_group(alice, bob)
    # A client that stops reading: its kernel buffers fill, then the server's queue.
    stalled = await Live.open(
        server.ws_url, bob.token, max_queue=1, sock=_tiny_socket(server), compression=None
    )
    stalled.ws.transport.pause_reading()
    last: dict[str, Any] = {}
    for i in range(2000):
        last = await alice.ok(
            "POST",
            f"/api/v1/chats/{chat_id}/messages",
            json={"text": "x" * 4000, "client_txn_id": f"f{i}"},
        )
        if ctx.hub.connection_count == 0:
            break
    assert ctx.hub.connection_count == 0, "the stalled reader was never cut off"
    stalled.ws.transport.resume_reading()
    assert await stalled.until_closed() == 4408
    fresh = await Live.open(server.ws_url, bob.token, {chat_id: last["seq"] - 3})
    try:
        replayed = [await fresh.next() for _ in range(3)]
        assert [f["seq"] for f in replayed] == [last["seq"] - 2, last["seq"] - 1, last["seq"]]
    finally:
        await fresh.close()


async def test_catch_up_rereads_what_the_bus_lost(app: Any, person: MakePerson) -> None:
    import orjson

    ctx = app.state.ctx
    alice, chat_id, session = await _alice_chat_and_bobs_session(ctx, person)
    frames = session.frames()
    with bus_drops_everything(ctx):
        missed = await send(alice, chat_id, "lost on the bus")
    ctx.hub.catch_up_all()
    frame = orjson.loads(await anext(frames))
    assert (frame["seq"], frame["message"]["text"]) == (missed["seq"], "lost on the bus")
    await frames.aclose()
    await session.close()
