"""Two server processes on one PostgreSQL and one Redis: any node serves any client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Person, cut_pubsub_connections, register_and_login
from tests.e2e.nodes import Node, nodes_on_postgres_and_redis
from tests.live_client import Live
from tests.test_messages import make_group, send


@pytest.fixture
async def two_nodes(tmp_path: Path) -> AsyncIterator[tuple[Node, ...]]:
    async with nodes_on_postgres_and_redis(tmp_path, {}, {}) as nodes:
        yield nodes


async def _alice_chat_and_bob_on(
    on_a: httpx.AsyncClient, node: Node
) -> tuple[Person, Person, str, Live]:
    """Alice and Bob (registered through node A) in a group; Bob listening on `node`."""
    alice, bob = await register_and_login(on_a), await register_and_login(on_a)
    chat_id = await make_group(alice, bob)
    return alice, bob, chat_id, await Live.open(node.ws_url, bob.token)


async def test_message_through_a_reaches_b_and_nothing_is_lost_when_b_dies(
    two_nodes: tuple[Node, ...],
) -> None:
    node_a, node_b = two_nodes
    async with httpx.AsyncClient(base_url=node_a.url) as on_a:
        alice, bob, chat_id, on_b = await _alice_chat_and_bob_on(on_a, node_b)
        first = await send(alice, chat_id, "across nodes")
        frame = await on_b.next_of("message.created")
        assert (frame["seq"], frame["message"]["text"]) == (first["seq"], "across nodes")

        node_b.kill()
        assert await on_b.until_closed() is None  # no close frame: the process died
        missed = [await send(alice, chat_id, f"while b was dead {i}") for i in range(3)]

        on_a_live = await Live.open(node_a.ws_url, bob.token, {chat_id: first["seq"]})
        try:
            replayed = [await on_a_live.next() for _ in missed]
            assert [f["seq"] for f in replayed] == [m["seq"] for m in missed]
            after = await send(alice, chat_id, "back on a")
            frame = await on_a_live.next()
            assert (frame["seq"], frame["message"]["text"]) == (after["seq"], "back on a")
        finally:
            await on_a_live.close()


async def test_logout_on_one_node_is_honoured_by_the_other_at_once(
    two_nodes: tuple[Node, ...],
) -> None:
    node_a, node_b = two_nodes
    async with (
        httpx.AsyncClient(base_url=node_a.url) as on_a,
        httpx.AsyncClient(base_url=node_b.url) as on_b,
    ):
        carol = await register_and_login(on_a)
        # Node B has now seen (and may cache) carol's session.
        assert (await on_b.get("/api/v1/me", headers=carol.auth)).status_code == 200
        assert (await on_a.post("/api/v1/auth/logout", headers=carol.auth)).status_code == 204
        assert (await on_b.get("/api/v1/me", headers=carol.auth)).status_code == 401


async def test_a_node_that_lost_redis_catches_up_from_the_log(
    two_nodes: tuple[Node, ...],
) -> None:
    node_a, node_b = two_nodes
    async with httpx.AsyncClient(base_url=node_a.url) as on_a:
        alice, _bob, chat_id, on_b = await _alice_chat_and_bob_on(on_a, node_b)
        try:
            first = await send(alice, chat_id, "before the break")
            assert (await on_b.next_of("message.created"))["seq"] == first["seq"]
            # Cut every node's subscriber connection; node A's publish connection survives,
            # so the next message is published while node B is not listening.
            await cut_pubsub_connections()
            during = await send(alice, chat_id, "during the break")
            frame = await on_b.next_of("message.created")
            assert (frame["seq"], frame["message"]["text"]) == (during["seq"], "during the break")
        finally:
            await on_b.close()
