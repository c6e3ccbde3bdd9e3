"""What a channel's subscribers and outsiders may learn about the people in it."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from tests.conftest import MakePerson, Person, register_and_login, start_server


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
        uv, task, url = await start_server(application)
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
    assert files == {"colletta.db": 0o600, "colletta.db-wal": 0o600, "colletta.db-shm": 0o600}
    assert {_mode(p) for p in data.iterdir() if p.is_dir()} == {0o700}  # media/, hold/
