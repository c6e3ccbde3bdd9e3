"""What must not outlive its time, and what must: temporary files left by a crash, a view-once
file whose download was dropped, and files under a preservation hold."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from colletta.actions import media as media_actions
from colletta.actions.expiry import do_expire_due
from colletta.actions.media import VIEW_ONCE_GRACE_MS
from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from tests.conftest import MakePerson, Person, Server
from tests.test_media import send_with, upload
from tests.test_messages import make_group


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def leftover(tmp_dir: Path, name: str, age_s: float) -> Path:
    """A spool file as a killed upload leaves it, last written `age_s` ago."""
    path = tmp_dir / name
    path.write_bytes(b"half an upload " * 100)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


@pytest.mark.settings(media_tmp_grace_s=600, media_tmp_sweep_interval_s=0.05)
async def test_temporary_files_left_by_a_crash_are_swept_at_start_and_then_periodically(
    settings: Settings, clock: FakeClock
) -> None:
    tmp_dir = settings.resolved_media_dir / "tmp"
    tmp_dir.mkdir(parents=True)
    stale = leftover(tmp_dir, "put-crashed", age_s=3600)
    in_progress = leftover(tmp_dir, "put-running", age_s=5)
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        # Swept before the first request is served.
        assert not stale.exists()
        assert in_progress.exists()
        later = leftover(tmp_dir, "put-crashed-later", age_s=3600)
        swept = application.state.tmp_sweeper.swept
        for _ in range(2):  # the second pass began after the file was there
            swept.clear()
            await asyncio.wait_for(swept.wait(), 30)
        assert not later.exists()
        assert in_progress.exists()


async def direct(alice: Person, bob: Person) -> str:
    chat = await alice.ok("POST", "/api/v1/chats/direct", json={"user_id": bob.id})
    return str(chat["id"])


@pytest.mark.parametrize("node", ["keeps_running", "dies_mid_download"])
async def test_a_view_once_file_whose_download_is_dropped_is_still_shredded(
    server: Server,
    server_person: MakePerson,
    settings: Settings,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    node: str,
) -> None:
    finished = asyncio.Event()
    real_finish = media_actions.do_finish_view_once

    async def finish(*args: Any) -> None:
        if node == "keeps_running":
            await real_finish(*args)
        finished.set()

    monkeypatch.setattr(media_actions, "do_finish_view_once", finish)
    alice, bob = await server_person(), await server_person()
    chat_id = await direct(alice, bob)
    data = os.urandom(16 * 1024 * 1024)  # far more than the socket buffers hold
    media = (await upload(alice, chat_id, data, "once.bin")).json()
    await send_with(alice, chat_id, [media["id"]], view_once=True)
    path = f"{server.url}/api/v1/chats/{chat_id}/media/{media['id']}"
    async with (
        httpx.AsyncClient() as dropping,
        dropping.stream("GET", path, headers=bob.auth) as response,
    ):
        assert response.status_code == 200
        got = await anext(response.aiter_raw())
        assert 0 < len(got) < len(data)
    # The client hung up mid-file: opened, so gone for bob.
    again = await bob.call("GET", path)
    assert (again.status_code, again.json()["type"].split("/")[-1]) == (410, "gone")
    await asyncio.wait_for(finished.wait(), 30)  # the server saw the download end
    ctx = server.app.state.ctx
    if node == "dies_mid_download":
        # Nothing marked the end: the purge waits for the grace after the open.
        assert await do_expire_due(ctx) == 0
        clock.advance(VIEW_ONCE_GRACE_MS)
    assert await do_expire_due(ctx) >= 1
    assert stored_files(settings.resolved_media_dir) == []


class HoldMessages:
    """A preservation order on some messages, as trust & safety will place them."""

    def __init__(self) -> None:
        self.held: set[int] = set()

    async def is_held(self, conn: Any, chat_id: int, message_id: int) -> bool:
        return message_id in self.held


@pytest.mark.parametrize("purge", ["timer", "delete"])
async def test_held_files_go_to_the_hold_store_before_the_purge_and_are_never_served(
    person: MakePerson, app: Any, clock: FakeClock, settings: Settings, purge: str
) -> None:
    ctx = app.state.ctx
    ctx.preservation = HoldMessages()
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    await alice.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 60})
    evidence, other = os.urandom(5000), os.urandom(5000)
    held_media = (await upload(alice, chat_id, evidence, "evidence.bin")).json()
    free_media = (await upload(alice, chat_id, other, "other.bin")).json()
    held = (await send_with(alice, chat_id, [held_media["id"]])).json()
    await send_with(alice, chat_id, [free_media["id"]])
    ctx.preservation.held.add(int(held["id"]))
    if purge == "timer":
        clock.advance(60_000)
    else:
        await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/messages/{held['id']}")
    await do_expire_due(ctx)
    held_files = stored_files(settings.resolved_hold_dir)
    assert [p.read_bytes() for p in held_files] == [evidence]
    assert settings.resolved_media_dir not in held_files[0].parents
    in_media = [p.read_bytes() for p in stored_files(settings.resolved_media_dir)]
    assert evidence not in in_media
    # The message that was not held: purged as usual by the timer, untouched by the delete.
    assert in_media == ([] if purge == "timer" else [other])
    for who in (alice, bob):
        got = await who.call("GET", f"/api/v1/chats/{chat_id}/media/{held_media['id']}")
        assert got.status_code == 404
        assert evidence not in got.content
