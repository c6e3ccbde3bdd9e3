"""What a channel's subscribers and outsiders may learn about the people in it."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.domain import events
from tests.conftest import (
    REDIS_URL,
    MakePerson,
    Person,
    Server,
    need,
    register_and_login,
    start_server,
)
from tests.live_client import Live


async def channel_of(owner: Person, *, public: bool = True, signed: bool = False) -> str:
    chat = await owner.ok(
        "POST",
        "/api/v1/chats",
        json={"kind": "channel", "title": "Garden news", "is_public": public},
    )
    if signed:
        await owner.ok("PATCH", f"/api/v1/chats/{chat['id']}", json={"signed_posts": True})
    return str(chat["id"])


async def post(person: Person, chat_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return await person.ok(  # type: ignore[no-any-return]
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": text, "client_txn_id": text, **extra},
    )


async def forward(person: Person, to_chat: str, from_chat: str, message_id: str) -> dict[str, Any]:
    return await person.ok(  # type: ignore[no-any-return]
        "POST",
        f"/api/v1/chats/{to_chat}/messages",
        json={
            "client_txn_id": f"fwd-{message_id}",
            "forward": {"chat_id": from_chat, "message_id": message_id},
        },
    )


async def test_a_forwarded_channel_post_names_the_channel_not_the_admin(
    person: MakePerson,
) -> None:
    admin, reader, friend = await person(), await person(), await person()
    channel = await channel_of(admin)
    news = await post(admin, channel, "the tulips are out")
    await reader.ok("POST", f"/api/v1/chats/{channel}/subscribe")
    # A subscriber forwards into a group; an outsider forwards a public post without joining.
    group = await reader.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Mine"})
    await reader.ok("POST", f"/api/v1/chats/{group['id']}/members", json={"user_id": friend.id})
    by_subscriber = await forward(reader, group["id"], channel, news["id"])
    outsider_group = await friend.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "F"})
    by_outsider = await forward(friend, outsider_group["id"], channel, news["id"])
    # And a forward of that forward keeps the channel as the origin.
    again = await forward(friend, outsider_group["id"], group["id"], by_subscriber["id"])

    origin = {"chat_id": channel, "message_id": news["id"], "sender_id": None}
    for sent in (by_subscriber, by_outsider, again):
        assert sent["forward"] == origin
    seen = await friend.ok("GET", f"/api/v1/chats/{group['id']}/messages")
    assert seen["messages"][-1]["forward"] == origin
    sync = await friend.ok("GET", "/api/v1/sync", params={"cursors": f"{group['id']}:0"})
    logged = [e for e in sync["events"] if e["type"] == "message.created"]
    assert logged[-1]["message"]["forward"] == origin
    assert admin.id not in str(seen) + str(sync)


async def test_a_signed_channel_still_names_its_poster_when_forwarded(person: MakePerson) -> None:
    admin, reader = await person(), await person()
    channel = await channel_of(admin, signed=True)
    news = await post(admin, channel, "signed by me")
    group = await reader.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Mine"})
    sent = await forward(reader, group["id"], channel, news["id"])
    assert sent["forward"]["sender_id"] == admin.id


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_data_dir_and_database_files_are_private(
    tmp_path: Path, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    old_umask = os.umask(0o022)
    try:
        migrate = [sys.executable, "-m", "colletta", "migrate", "--data-dir", str(data)]
        done = await asyncio.to_thread(subprocess.run, migrate, capture_output=True, check=False)
        assert done.returncode == 0, done.stderr
        db = data / "colletta.db"
        assert (_mode(data), _mode(db)) == (0o700, 0o600)
        # As an older version left them: serving narrows them again.
        data.chmod(0o755)
        db.chmod(0o644)
        settings = Settings(
            data_dir=data, log_level="warning", argon2_time_cost=1, argon2_memory_kib=64
        )
        application = create_app(settings, clock=clock)
        uv, task, url = await start_server(application, settings)
        try:
            async with httpx.AsyncClient(base_url=url) as client:
                ann = await register_and_login(client)
                group = await ann.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "G"})
                await post(ann, group["id"], "a write")
                files = {p.name: _mode(p) for p in data.iterdir() if p.is_file()}
        finally:
            uv.should_exit = True
            await task
    finally:
        os.umask(old_umask)
    assert _mode(data) == 0o700
    assert files == {
        "colletta.db": 0o600,
        "colletta.db-wal": 0o600,
        "colletta.db-shm": 0o600,
        "sandbox-secret": 0o600,  # signs the payment sandbox's pages and webhooks
    }
    assert {_mode(p) for p in data.iterdir() if p.is_dir()} == {0o700}  # media/, hold/


# What a channel's subscribers see of the others: nobody. Admins see everyone.


def named(value: Any, *people: Person) -> set[str]:
    """The usernames of `people` whose id or username appears anywhere in `value`."""
    text = orjson.dumps(value).decode()
    return {p.username for p in people if p.id in text or p.username in text}


@dataclass
class ChannelScene:
    channel: str
    owner: Person
    admin: Person
    reader: Person
    other: Person
    post: dict[str, Any]


async def channel_scene(make: MakePerson) -> ChannelScene:
    """A channel with an owner, an admin, and two subscribers who each did something."""
    owner, admin, reader, other = await make(), await make(), await make(), await make()
    channel = await channel_of(owner)
    news = await post(owner, channel, "the tulips are out")
    await owner.ok("POST", f"/api/v1/chats/{channel}/members", json={"user_id": admin.id})
    await owner.ok("PATCH", f"/api/v1/chats/{channel}/members/{admin.id}", json={"role": "admin"})
    for subscriber in (reader, other):
        await subscriber.ok("POST", f"/api/v1/chats/{channel}/subscribe")
    await other.ok("PUT", f"/api/v1/chats/{channel}/messages/{news['id']}/reactions/👍")
    await admin.ok("PUT", f"/api/v1/chats/{channel}/pins/{news['id']}")
    await owner.ok("PUT", f"/api/v1/chats/{channel}/message-ttl", json={"message_ttl_s": 86_400})
    return ChannelScene(channel, owner, admin, reader, other, news)


async def sync_all(person: Person, chat_id: str) -> list[dict[str, Any]]:
    body = await person.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
    return body["events"]  # type: ignore[no-any-return]


async def replay_all(server: Server, person: Person, chat_id: str) -> list[dict[str, Any]]:
    live = await Live.open(server.ws_url, person.token, {chat_id: 0})
    try:
        last_seq = next(c["last_seq"] for c in live.ready["chats"] if c["chat_id"] == chat_id)
        return [await live.next() for _ in range(last_seq)]
    finally:
        await live.close()


def check_subscriber_view(s: ChannelScene, seen: list[dict[str, Any]]) -> None:
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))  # no gaps to fill
    assert named(seen, s.owner, s.admin, s.other) == set()
    own = [e for e in seen if e["type"] == "member.joined" and e["member"] is not None]
    assert [e["member"]["username"] for e in own] == [s.reader.username]
    reacted = next(e for e in seen if e["type"] == "message.reactions_changed")
    assert (reacted["reactions"], reacted["user_id"]) == ({"👍": 1}, None)
    joined = [e for e in seen if e["type"] == "member.joined"]
    assert len(joined) == 4  # the others' joins are there, without who


def check_admin_view(s: ChannelScene, seen: list[dict[str, Any]]) -> None:
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert named(seen, s.owner, s.admin, s.reader, s.other) == {
        p.username for p in (s.owner, s.admin, s.reader, s.other)
    }
    reacted = next(e for e in seen if e["type"] == "message.reactions_changed")
    assert reacted["user_id"] == s.other.id


async def test_channel_subscribers_see_no_one_else_in_sync_replay_or_history(
    server: Server, server_person: MakePerson
) -> None:
    s = await channel_scene(server_person)
    check_subscriber_view(s, await sync_all(s.reader, s.channel))
    check_subscriber_view(s, await replay_all(server, s.reader, s.channel))
    check_admin_view(s, await sync_all(s.admin, s.channel))
    check_admin_view(s, await replay_all(server, s.owner, s.channel))
    # Messages show reactions as counts, and no poster.
    history = await s.reader.ok("GET", f"/api/v1/chats/{s.channel}/messages")
    assert history["messages"][0]["reactions"] == {"👍": 1}
    pins = await s.reader.ok("GET", f"/api/v1/chats/{s.channel}/pins")
    assert named([history, pins], s.owner, s.admin, s.other) == set()
    members = await s.reader.call("GET", f"/api/v1/chats/{s.channel}/members")
    assert members.status_code == 403


async def test_channel_subscribers_see_no_one_else_live(
    server: Server, server_person: MakePerson
) -> None:
    await live_channel_story(server, server_person)


@pytest.mark.settings(bus_url=REDIS_URL or "memory://")
async def test_channel_subscribers_see_no_one_else_live_over_redis(
    server: Server, server_person: MakePerson
) -> None:
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    await live_channel_story(server, server_person)


async def live_channel_story(server: Server, server_person: MakePerson) -> None:
    owner, admin, reader, other = [await server_person() for _ in range(4)]
    channel = await channel_of(owner)
    news = await post(owner, channel, "the tulips are out")
    await owner.ok("POST", f"/api/v1/chats/{channel}/members", json={"user_id": admin.id})
    await owner.ok("PATCH", f"/api/v1/chats/{channel}/members/{admin.id}", json={"role": "admin"})
    watcher = await Live.open(server.ws_url, owner.token)
    live = await Live.open(server.ws_url, reader.token)
    try:
        # Their own subscription reaches the subscriber, with themselves in it.
        await reader.ok("POST", f"/api/v1/chats/{channel}/subscribe")
        assert (await live.next())["type"] == "chat.added"
        mine = await live.next()
        assert (mine["type"], mine["member"]["user_id"]) == ("member.joined", reader.id)
        assert (await watcher.next())["member"]["user_id"] == reader.id

        async def both() -> tuple[dict[str, Any], dict[str, Any]]:
            return await live.next(), await watcher.next()

        await other.ok("POST", f"/api/v1/chats/{channel}/subscribe")
        seen, full = await both()
        assert (seen["type"], seen["member"], full["member"]["user_id"]) == (
            "member.joined",
            None,
            other.id,
        )
        assert seen["seq"] == full["seq"] == mine["seq"] + 1
        await other.ok("PUT", f"/api/v1/chats/{channel}/messages/{news['id']}/reactions/🔥")
        seen, full = await both()
        assert (seen["reactions"], seen["user_id"], full["user_id"]) == ({"🔥": 1}, None, other.id)
        await admin.ok("PUT", f"/api/v1/chats/{channel}/pins/{news['id']}")
        seen, full = await both()
        assert (seen["type"], seen["by_user_id"], full["by_user_id"]) == (
            "message.pinned",
            None,
            admin.id,
        )

        # Made an admin, the reader sees everyone from then on; made a subscriber again, not.
        path = f"/api/v1/chats/{channel}/members/{reader.id}"
        await owner.ok("PATCH", path, json={"role": "admin"})
        seen, _ = await both()
        assert (seen["type"], seen["member"]["role"]) == ("member.role_changed", "admin")
        await other.ok("DELETE", f"/api/v1/chats/{channel}/messages/{news['id']}/reactions/🔥")
        seen, _ = await both()
        assert seen["user_id"] == other.id
        await owner.ok("PATCH", path, json={"role": "member"})
        seen, _ = await both()
        assert (seen["type"], seen["member"]["role"]) == ("member.role_changed", "member")
        await other.ok("POST", f"/api/v1/chats/{channel}/leave")
        seen, full = await both()
        assert (seen["type"], seen["user_id"], full["user_id"]) == ("member.left", None, other.id)
    finally:
        await live.close()
        await watcher.close()


def test_every_logged_event_is_decided_on() -> None:
    """A new event type must say whether it names people (and so is redacted for those who
    may not see a chat's members); these carry only content and the chat."""
    content_only = {
        events.MESSAGE_CREATED,
        events.MESSAGE_EDITED,
        events.MESSAGE_DELETED,
        events.CHAT_CREATED,
        events.CHAT_UPDATED,
    }
    assert content_only == events.STORED_TYPES - events.NAMES_PEOPLE
