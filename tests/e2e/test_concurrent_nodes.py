"""Two senders through two nodes (one of them `--workers 2`) into one chat at once: every
listener, on either node, sees the same gap-free seqs in commit order, as history does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Person, register_and_login
from tests.e2e.nodes import Node, nodes_on_postgres_and_redis
from tests.live_client import Live
from tests.test_messages import history, make_group

PER_SENDER = 25


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[tuple[Node, ...]]:
    async with nodes_on_postgres_and_redis(tmp_path, {"workers": "2"}, {}) as started:
        yield started


async def _send_alternating(sender: Person, clients: list[httpx.AsyncClient], chat_id: str) -> None:
    """`sender`'s messages, one after another, each through the next node in turn."""
    for i in range(PER_SENDER):
        client = clients[i % len(clients)]
        text = f"{sender.username} {i}"
        response = await client.post(
            f"/api/v1/chats/{chat_id}/messages",
            json={"text": text, "client_txn_id": text},
            headers=sender.auth,
        )
        assert response.status_code == 201, response.text


async def _created(live: Live, count: int) -> list[tuple[int, str]]:
    frames = []
    while len(frames) < count:
        frame = await live.next_of("message.created")
        frames.append((frame["seq"], frame["message"]["id"]))
    return frames


async def test_concurrent_senders_on_two_nodes_give_every_listener_the_commit_order(
    nodes: tuple[Node, ...],
) -> None:
    node_a, node_b = nodes
    async with (
        httpx.AsyncClient(base_url=node_a.url) as on_a,
        httpx.AsyncClient(base_url=node_b.url) as on_b,
    ):
        ann, ben, cat = [await register_and_login(on_a) for _ in range(3)]
        chat_id = await make_group(ann, ben, cat)
        # Several sockets on the node of two workers, so both processes are likely to serve one.
        listeners = [await Live.open(node.ws_url, cat.token) for node in (node_a, node_a, node_a)]
        listeners.append(await Live.open(node_b.ws_url, cat.token))
        (last_seq,) = [
            c["last_seq"] for c in listeners[-1].ready["chats"] if c["chat_id"] == chat_id
        ]
        first_seq = last_seq + 1
        try:
            await asyncio.gather(
                _send_alternating(ann, [on_a, on_b], chat_id),
                _send_alternating(ben, [on_b, on_a], chat_id),
            )
            seen = [await _created(live, 2 * PER_SENDER) for live in listeners]
        finally:
            for live in listeners:
                await live.close()
        logged = await _history_after(cat, chat_id, first_seq - 1)

    expected_seqs = list(range(first_seq, first_seq + 2 * PER_SENDER))
    assert [seq for seq, _ in logged] == expected_seqs
    for frames in seen:
        assert frames == logged


async def _history_after(person: Person, chat_id: str, after_seq: int) -> list[tuple[int, str]]:
    page: dict[str, Any] = await history(person, chat_id, after_seq=after_seq, limit=100)
    return sorted((m["seq"], m["id"]) for m in page["messages"])
