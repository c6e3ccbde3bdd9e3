"""Posting limits: a new channel's daily cap, an older channel's higher one, a new account's
daily cap; they fire at the cap, start again at midnight UTC (the fake clock), are shared by
two nodes on Redis, and answer 429 with Retry-After or an error frame on the WebSocket."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from tests.conftest import REDIS_URL, MakePerson, Person, Server, need, register_and_login
from tests.live_client import Live
from tests.test_messages import make_group

DAY_MS = 86_400_000
CHANNEL_LIMITS = {
    "rate_limits_enabled": True,
    "channel_posts_per_day_new": 3,
    "channel_posts_per_day": 5,
    "channel_new_age_s": 7 * 86_400,
    "account_posts_per_day_new": 0,
}
ACCOUNT_LIMITS = {
    "rate_limits_enabled": True,
    "account_posts_per_day_new": 3,
    "account_new_age_s": 2 * 86_400,
}


async def channel_of(owner: Person) -> str:
    chat = await owner.ok("POST", "/api/v1/chats", json={"kind": "channel", "title": "News"})
    return str(chat["id"])


async def post(person: Person, chat_id: str) -> httpx.Response:
    body = {"text": "news", "client_txn_id": secrets.token_hex(6)}
    return await person.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)


async def accepted(person: Person, chat_id: str) -> int:
    """How many posts are taken before the first refusal, which must be a posting limit."""
    taken = 0
    while True:
        response = await post(person, chat_id)
        if response.status_code != 201:
            assert response.status_code == 429, response.text
            assert response.json()["type"].endswith("/posting_limited")
            return taken
        taken += 1
        assert taken < 50


def seconds_to_midnight(clock: FakeClock) -> int:
    return -(-(DAY_MS - clock.now_ms() % DAY_MS) // 1000)


@pytest.mark.settings(**CHANNEL_LIMITS)
async def test_a_new_channel_gets_its_cap_then_the_higher_one_as_it_ages(
    person: MakePerson, clock: FakeClock
) -> None:
    owner = await person()
    channel = await channel_of(owner)
    assert await accepted(owner, channel) == 3
    refused = await post(owner, channel)
    body = refused.json()
    assert (refused.status_code, body["scope"], body["limit"]) == (429, "channel", 3)
    assert (
        int(refused.headers["Retry-After"]) == body["retry_after_s"] == seconds_to_midnight(clock)
    )
    # Another channel of the same owner, and a group, are not held back by this one.
    other = await channel_of(owner)
    assert (await post(owner, other)).status_code == 201
    group = await make_group(owner)
    for _ in range(6):
        assert (await post(owner, group)).status_code == 201
    # At midnight UTC the count starts again.
    clock.advance(seconds_to_midnight(clock) * 1000)
    assert await accepted(owner, channel) == 3
    # A week old, the channel has the higher cap.
    clock.advance(7 * DAY_MS)
    assert await accepted(owner, channel) == 5


@pytest.mark.settings(**ACCOUNT_LIMITS)
async def test_a_new_account_gets_a_daily_cap_and_an_older_one_none(
    person: MakePerson, clock: FakeClock
) -> None:
    old = await person()
    clock.advance(2 * DAY_MS)  # `old` is now past account_new_age_s
    new = await person()
    group = await make_group(old, new)
    assert await accepted(new, group) == 3
    refused = await post(new, group)
    assert (refused.json()["scope"], refused.json()["limit"]) == ("account", 3)
    # Every chat counts towards it: a direct chat as well.
    direct = await new.ok("POST", "/api/v1/chats/direct", json={"user_id": old.id})
    assert (await post(new, direct["id"])).status_code == 429
    for _ in range(6):
        assert (await post(old, group)).status_code == 201
    clock.advance(seconds_to_midnight(clock) * 1000)
    assert await accepted(new, group) == 3
    clock.advance(2 * DAY_MS)
    for _ in range(6):
        assert (await post(new, group)).status_code == 201


@pytest.mark.settings(**CHANNEL_LIMITS)
async def test_a_post_over_the_cap_on_the_websocket_gets_an_error_frame(
    server: Server, server_person: MakePerson
) -> None:
    owner = await server_person()
    channel = await channel_of(owner)
    live = await Live.open(server.ws_url, owner.token)
    try:
        for i in range(4):
            await live.send(
                {"type": "send", "chat_id": channel, "text": "news", "client_txn_id": f"w{i}"}
            )
        frames = [await live.next_of("sent", "error") for _ in range(4)]
        assert [f["type"] for f in frames] == ["sent", "sent", "sent", "error"]
        problem = frames[3]["problem"]
        assert (problem["status"], problem["scope"], frames[3]["client_txn_id"]) == (
            429,
            "channel",
            "w3",
        )
        assert problem["type"].endswith("/posting_limited")
        assert problem["retry_after_s"] > 0
    finally:
        await live.close()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # one SQLite file is one node
@pytest.mark.settings(**CHANNEL_LIMITS, bus_url=REDIS_URL or "memory://")
async def test_two_nodes_on_redis_share_a_channels_budget(
    settings: Settings, app: Any, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    # The test Redis outlives this test: a day of its own keeps earlier runs' counts out.
    clock.advance(secrets.randbelow(10**4) * DAY_MS)
    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://two.test") as second:
            owner = await register_and_login(http)
            on_two = Person(owner.id, owner.username, owner.token, second)
            channel = await channel_of(owner)
            statuses = []
            for node in (owner, on_two, owner, on_two):
                statuses.append((await post(node, channel)).status_code)
            assert statuses == [201, 201, 201, 429]
            refused = await post(on_two, channel)
            assert refused.json()["scope"] == "channel"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.settings(**{**CHANNEL_LIMITS, **ACCOUNT_LIMITS})
async def test_budgets_are_never_spent_while_holding_the_sqlite_writer(
    app: Any, person: MakePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = app.state.ctx
    writer = ctx.db._group_commit._lock  # the one SQLite writer every send waits for
    held_during: list[tuple[str, bool]] = []
    real_take, real_give_back = ctx.limiter.take, ctx.limiter.give_back

    async def take(cap: int, ttl_s: int, *key: str) -> bool:
        held_during.append((key[0], writer.locked()))
        return await real_take(cap, ttl_s, *key)  # type: ignore[no-any-return]

    async def give_back(ttl_s: int, *key: str) -> None:
        held_during.append((f"{key[0]} back", writer.locked()))
        await real_give_back(ttl_s, *key)

    monkeypatch.setattr(ctx.limiter, "take", take)
    monkeypatch.setattr(ctx.limiter, "give_back", give_back)
    owner = await person()
    channel = await channel_of(owner)
    assert (await post(owner, channel)).status_code == 201
    assert held_during == [("posts-account", False), ("posts-channel", False)]
    held_during.clear()
    assert (await _bad_reply(owner, channel)).status_code == 422
    assert held_during == [
        ("posts-account", False),
        ("posts-channel", False),
        ("posts-account back", False),
        ("posts-channel back", False),
    ]


async def _bad_reply(person: Person, chat_id: str) -> httpx.Response:
    """A send refused inside its transaction, after the budgets are looked at."""
    body = {"text": "news", "client_txn_id": secrets.token_hex(6), "reply_to_id": "1"}
    return await person.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)


@pytest.mark.settings(**{**CHANNEL_LIMITS, **ACCOUNT_LIMITS})
async def test_only_sends_that_land_spend_a_budget(person: MakePerson, clock: FakeClock) -> None:
    old = await person()
    clock.advance(2 * DAY_MS)
    new = await person()  # a new account (cap 3) that owns a new channel (cap 3)
    channel = await channel_of(new)
    group = await make_group(old, new)
    direct = await new.ok("POST", "/api/v1/chats/direct", json={"user_id": old.id})
    await old.ok("POST", f"/api/v1/me/blocks/{new.id}")
    for _ in range(5):
        assert (await _bad_reply(new, channel)).status_code == 422
        assert (await _bad_reply(new, group)).status_code == 422
        blocked = await post(new, direct["id"])
        assert blocked.status_code == 403, blocked.text
    # A retry answers with the message it first sent, and spends nothing more.
    retry = {"text": "news", "client_txn_id": "same"}
    for _ in range(3):
        sent = await new.call("POST", f"/api/v1/chats/{channel}/messages", json=retry)
        assert sent.status_code in (200, 201), sent.text
    assert await accepted(new, channel) == 2
    refused = await post(new, group)
    assert (refused.status_code, refused.json()["scope"]) == (429, "account")
