"""Expiry on many nodes: two nodes sweeping at once purge each item once, and a node that
dies mid-sweep leaves nothing behind that the next sweep does not finish."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from colletta.actions import expiry
from colletta.actions.expiry import do_expire_due
from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from tests.conftest import MakePerson, Person
from tests.test_expiry import post, synced
from tests.test_messages import make_group

MESSAGES = 60


async def timed_chat(alice: Person, bob: Person, clock: FakeClock) -> tuple[str, list[str]]:
    chat_id = await make_group(alice, bob)
    await alice.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 5})
    ids = [(await post(alice, chat_id, f"m{i}"))["id"] for i in range(MESSAGES)]
    clock.advance(5_000)
    return chat_id, ids


def deletions(events: list[dict[str, Any]]) -> list[str]:
    return [e["message_id"] for e in events if e["type"] == "message.deleted"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # one SQLite file is one node
async def test_two_nodes_sweeping_at_once_purge_each_message_once(
    settings: Settings, app: Any, person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await person(), await person()
    chat_id, ids = await timed_chat(alice, bob, clock)
    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        counts = await asyncio.gather(do_expire_due(app.state.ctx), do_expire_due(other.state.ctx))
    assert sum(counts) == MESSAGES
    deleted = Counter(
        e["message_id"] for e in await synced(bob, chat_id) if e["type"] == "message.deleted"
    )
    assert deleted == Counter(ids)


async def test_a_sweep_that_dies_midway_is_finished_by_the_next(
    app: Any, person: MakePerson, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = await person(), await person()
    chat_id, ids = await timed_chat(alice, bob, clock)
    real_purge = expiry._purge
    calls = 0

    async def dying_purge(ctx: Any, tx: Any, item: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == MESSAGES // 2:
            raise ConnectionError("the node died")
        await real_purge(ctx, tx, item)

    monkeypatch.setattr(expiry, "_purge", dying_purge)
    with pytest.raises(ConnectionError):
        await do_expire_due(app.state.ctx)
    monkeypatch.setattr(expiry, "_purge", real_purge)
    # Nothing of the dead sweep was committed; the content was never served after expiry.
    assert deletions(await synced(bob, chat_id)) == []
    assert await do_expire_due(app.state.ctx) == MESSAGES
    deleted = [
        e["message_id"] for e in await synced(bob, chat_id) if e["type"] == "message.deleted"
    ]
    assert sorted(deleted) == sorted(ids)
