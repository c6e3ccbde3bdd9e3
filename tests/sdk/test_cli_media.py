"""`colletta send --file`, `download`, `timer`, and how history/tail show files and timers,
against the real server."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from colletta_sdk import Client, cli, cli_messages
from colletta_sdk.cli_media import MONTH_S, parse_duration, parse_timer
from colletta_sdk.cli_render import format_duration, format_size
from colletta_sdk.models import User
from PIL import Image

from colletta.actions.expiry import do_expire_due
from colletta.clock import FakeClock
from tests.sdk.conftest import Cli

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]
WAIT_S = 10


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_files(tmp_path: Path) -> tuple[Path, Path]:
    png = tmp_path / "beach.png"
    pixels = random.Random(5).randbytes(120 * 80 * 3)
    Image.frombytes("RGB", (120, 80), pixels).save(png, "PNG")
    blob = tmp_path / "notes.bin"
    blob.write_bytes(random.Random(6).randbytes(700_000))
    return png, blob


def test_durations() -> None:
    assert [parse_timer(v) for v in ("off", "OFF", "1d", "1w", "1m", "3600", "45s", "5min")] == [
        None,
        None,
        86_400,
        604_800,
        MONTH_S,
        3_600,
        45,
        300,
    ]
    for bad in ("", "soon", "-5", "1y", "1.5h"):
        with pytest.raises(typer.BadParameter):
            parse_duration(bad)
    assert [format_duration(s) for s in (5, 90, 300, 3_600, 86_400, 604_800, MONTH_S)] == [
        "5s",
        "90s",
        "5min",
        "1h",
        "1d",
        "1w",
        "30d",
    ]
    assert [format_size(n) for n in (0, 1023, 1024, 1_572_864, 5 * 2**30)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "1.5 MiB",
        "5.0 GiB",
    ]


async def test_send_files_then_download_them(
    server_url: str,
    make_user: MakeUser,
    tmp_path: Path,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await ann.create_chat("group", "Trip photos")
    await ann.add_member(chat.id, bob_user.id)
    png, blob = make_files(tmp_path)
    as_ann = Cli(ann, server_url)

    out = await as_ann("send", "Trip photos", "day one", "--file", str(png), "-f", str(blob))
    assert re.search(r"Sent to Trip photos \(message \d+, seq \d+, 2 files\)", out)
    [sent] = (await bob.history(chat.id, limit=1)).messages
    image, data = sent.attachments
    assert (sent.text, image.filename, data.filename) == ("day one", "beach.png", "notes.bin")
    assert (image.kind, data.sha256) == ("image", sha256_of(blob))

    await as_ann("send", "Trip photos", "--file", str(blob))  # no text: a file alone
    await as_ann("send", "Trip photos", code=1)  # neither text nor file
    await as_ann("send", "Trip photos", "x", "--file", str(tmp_path / "missing"), code=2)

    history = await as_ann("history", "Trip photos")
    assert f"day one 📎 beach.png ({format_size(image.size_bytes)}, id {image.id})" in history
    assert f"📎 notes.bin (683.6 KiB, id {data.id})" in history

    # Bob downloads: into the current directory under the sender's name, then to --out,
    # then resuming a partial file.
    as_bob = Cli(bob, server_url)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.chdir(downloads)
    out = await as_bob("download", "Trip photos", data.id)
    assert "Saved notes.bin (683.6 KiB)" in out
    assert sha256_of(downloads / "notes.bin") == data.sha256
    target = tmp_path / "picked.png"
    await as_bob("download", "Trip photos", image.id, "--out", str(target))
    assert sha256_of(target) == image.sha256
    partial = tmp_path / "partial.bin"
    partial.write_bytes((downloads / "notes.bin").read_bytes()[:300_000])
    out = await as_bob("download", chat.id, data.id, "-o", str(partial))
    assert "resumed" in out
    assert sha256_of(partial) == data.sha256
    out = await as_bob("download", "Trip photos", "123456789", code=1)
    assert "Not found" in out


async def test_timer_command_and_timer_marks(
    server_url: str, make_user: MakeUser, tmp_path: Path, config_dir: Path
) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    as_ann = Cli(ann, server_url)
    direct = await ann.direct_chat(bob_user.id)

    out = await as_ann("timer", direct.id, "1d")
    assert out.strip() == f"New messages in {bob_user.display_name} disappear after 1d."
    assert (await bob.chat(direct.id)).message_ttl_s == 86_400
    assert "after 30d" in await as_ann("timer", direct.id, "1m")
    assert (await bob.chat(direct.id)).message_ttl_s == MONTH_S
    assert "after 1h" in await as_ann("timer", direct.id, "3600")
    await as_ann("send", direct.id, "hourly")
    assert "no longer disappear" in await as_ann("timer", direct.id, "off")
    assert (await bob.chat(direct.id)).message_ttl_s is None
    await as_ann("timer", direct.id, "soon", code=2)
    assert "Error" in await as_ann("timer", direct.id, "1", code=1)  # below the server's 5 s

    _, blob = make_files(tmp_path)
    await as_ann("send", direct.id, "boom", "--self-destruct", "30")
    await as_ann("send", direct.id, "--file", str(blob), "--view-once")
    await as_ann("send", direct.id, "plain")
    lines = (await as_ann("history", direct.id)).splitlines()
    assert lines[-4].endswith(": hourly ⏱ 1h")
    assert lines[-3].endswith(": boom ⏱ 30s")
    assert re.search(r": 📎 notes\.bin \(683\.6 KiB, id \d+\) 👁 view once$", lines[-2])
    assert lines[-1].endswith(": plain")
    # Self-destruct belongs to direct chats; the server's refusal is one line.
    group = await ann.create_chat("group", "No bombs")
    out = await as_ann("send", group.id, "boom", "--self-destruct", "1h", code=1)
    assert "direct chats" in out


async def test_tail_shows_files_timers_deletions_and_expiry(
    server: Any,
    server_url: str,
    make_user: MakeUser,
    clock: FakeClock,
    tmp_path: Path,
    config_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann, ann_user = await make_user()
    bob, bob_user = await make_user()
    name = ann_user.display_name
    chat = await ann.create_chat("group", "Tailing")
    await ann.add_member(chat.id, bob_user.id)
    await ann.send_message(chat.id, "before the timer")
    lines: asyncio.Queue[str] = asyncio.Queue()
    monkeypatch.setattr(cli, "_emit", lines.put_nowait)
    monkeypatch.setattr(cli, "_now_ms", clock.now_ms)  # the server's clock, moved by hand
    assert bob.token is not None
    task = asyncio.create_task(cli_messages._tail_loop(server_url, bob.token, "Tailing"))

    async def next_line() -> str:
        async with asyncio.timeout(WAIT_S):
            return (await lines.get()).split("] ", 1)[1]

    try:
        assert await next_line() == f"{name}: before the timer"
        await ann.set_message_ttl(chat.id, 60)
        assert await next_line() == f"{name} set the timer to 1min"
        _, blob = make_files(tmp_path)
        media = await ann.upload_media(chat.id, blob)
        await ann.send_message(chat.id, "with a file", attachments=[media])
        assert await next_line() == (
            f"{name}: with a file 📎 notes.bin (683.6 KiB, id {media.id}) ⏱ 1min"
        )
        doomed = await ann.send_message(chat.id, "oops")
        assert await next_line() == f"{name}: oops ⏱ 1min"
        await ann.delete_message(chat.id, doomed.id)
        assert await next_line() == f"{name}: (deleted)"

        # The timer runs out: tail drops the message by its own clock, whatever the server's
        # purge event says later (it arrives, and changes nothing more).
        clock.advance(60_000)
        assert await do_expire_due(server.app.state.ctx) == 2  # the message and its file
        assert await next_line() == f"{name}: (expired)"
        await ann.set_message_ttl(chat.id, None)
        assert await next_line() == f"{name} turned the timer off"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
