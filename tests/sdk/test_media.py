"""Media uploads and downloads, message timers and the message cache against the real server.

The server runs on the `clock` fixture (a FakeClock): timers are tested by moving it. Its expiry
worker is off in tests; a test runs the sweep itself and awaits the `message.deleted` event it
causes, never sleeping.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import pytest
from colletta_sdk import ApiError, Client, MessageCache, RealtimeClient
from colletta_sdk.models import Chat, User
from colletta_sdk.transfer import CHUNK_BYTES
from PIL import Image

from colletta.actions.expiry import do_expire_due
from colletta.clock import FakeClock
from tests.sdk.test_server import next_of, token_of

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]
WAIT_S = 10


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_png(path: Path, size: tuple[int, int] = (320, 200)) -> Path:
    pixels = random.Random(7).randbytes(size[0] * size[1] * 3)  # noise: no compression
    Image.frombytes("RGB", size, pixels).save(path, "PNG")
    return path


def make_random_file(path: Path, size: int) -> Path:
    path.write_bytes(random.Random(11).randbytes(size))
    return path


class Recorder:
    """A progress callback that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    def check_reaches(self, total: int, start: int = 0) -> None:
        assert self.calls, "progress was never called"
        assert self.calls[0][0] == start
        assert self.calls[-1] == (total, total)
        done = [d for d, _ in self.calls]
        assert done == sorted(done), "progress went backwards"


class ChunkSpy(io.BytesIO):
    """A readable file that records how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


async def direct_pair(make_user: MakeUser) -> tuple[Client, User, Client, User, Chat]:
    ann, ann_user = await make_user()
    bob, bob_user = await make_user()
    return ann, ann_user, bob, bob_user, await ann.direct_chat(bob_user.id)


# Uploads and downloads


async def test_png_and_random_file_round_trip(make_user: MakeUser, tmp_path: Path) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await ann.create_chat("group", "Photos")
    await ann.add_member(chat.id, bob_user.id)
    png = make_png(tmp_path / "beach.png")
    blob = make_random_file(tmp_path / "data.bin", 3 * CHUNK_BYTES + 12_345)

    png_progress, blob_progress = Recorder(), Recorder()
    image = await ann.upload_media(chat.id, png, progress=png_progress)
    data = await ann.upload_media(chat.id, blob, filename="raw data.bin", progress=blob_progress)
    png_progress.check_reaches(png.stat().st_size)
    blob_progress.check_reaches(blob.stat().st_size)
    assert len(blob_progress.calls) >= 5  # streamed in chunks, reported as they went out

    assert (image.kind, image.filename, image.width, image.height) == (
        "image",
        "beach.png",
        320,
        200,
    )
    assert image.has_thumbnail
    assert (data.kind, data.filename, data.size_bytes) == (
        "file",
        "raw data.bin",
        3 * CHUNK_BYTES + 12_345,
    )
    assert data.sha256 == sha256_of(blob)  # files are stored as sent

    sent = await ann.send_message(chat.id, "holiday", attachments=[image, data.id])
    assert [m.id for m in sent.attachments] == [image.id, data.id]
    [seen] = [m for m in (await bob.history(chat.id)).messages if m.id == sent.id]
    assert seen.attachments == sent.attachments

    # Bob downloads both, whole; images are re-encoded without metadata, so the server's
    # sha256 is the reference.
    for media, name in ((image, "beach.png"), (data, "data.bin")):
        progress = Recorder()
        out = tmp_path / f"bob-{name}"
        result = await bob.download_media(chat.id, media.id, out, progress=progress)
        assert (result.path, result.resumed_from, result.filename) == (out, 0, media.filename)
        assert result.size_bytes == media.size_bytes == out.stat().st_size
        assert sha256_of(out) == media.sha256
        progress.check_reaches(media.size_bytes)

    thumb = await bob.thumbnail(chat.id, image.id)
    assert thumb[:4] == b"RIFF"
    assert thumb[8:12] == b"WEBP"
    with pytest.raises(ApiError) as info:
        await bob.thumbnail(chat.id, data.id)
    assert info.value.status == 404


async def test_download_resumes_a_partial_file(make_user: MakeUser, tmp_path: Path) -> None:
    ann, _ = await make_user()
    chat = await ann.create_chat("group", "Resume")
    blob = make_random_file(tmp_path / "big.bin", 2 * CHUNK_BYTES + 777)
    png = make_png(tmp_path / "pic.png")
    for source in (blob, png):
        media = await ann.upload_media(chat.id, source)
        await ann.send_message(chat.id, attachments=[media])
        whole = tmp_path / f"whole-{source.name}"
        await ann.download_media(chat.id, media.id, whole)
        original = whole.read_bytes()

        partial = tmp_path / f"partial-{source.name}"
        cut = len(original) // 3
        partial.write_bytes(original[:cut])
        progress = Recorder()
        result = await ann.download_media(chat.id, media.id, partial, progress=progress)
        assert result.resumed_from == cut
        progress.check_reaches(media.size_bytes, start=cut)
        assert sha256_of(partial) == media.sha256

        # Already complete: nothing is fetched again (the server answers 416).
        again = await ann.download_media(chat.id, media.id, partial)
        assert again.resumed_from == media.size_bytes
        assert sha256_of(partial) == media.sha256

        # A prefix that is not the file's: resume=False fetches it afresh.
        partial.write_bytes(b"\0" * cut)
        fresh = await ann.download_media(chat.id, media.id, partial, resume=False)
        assert fresh.resumed_from == 0
        assert sha256_of(partial) == media.sha256


async def test_download_into_a_directory_names_files_safely(
    make_user: MakeUser, tmp_path: Path
) -> None:
    ann, _ = await make_user()
    chat = await ann.create_chat("group", "Names")
    blob = make_random_file(tmp_path / "x.bin", 5000)
    media = await ann.upload_media(chat.id, blob, filename="../../Relatório final.bin")
    await ann.send_message(chat.id, "report", attachments=[media])
    target = tmp_path / "downloads"
    target.mkdir()
    first = await ann.download_media(chat.id, media.id, target)
    second = await ann.download_media(chat.id, media.id, target)
    assert first.path == target / "Relatório final.bin"
    assert second.path == target / "Relatório final (1).bin"
    assert sorted(p.name for p in target.iterdir()) == [
        "Relatório final (1).bin",
        "Relatório final.bin",
    ]
    assert sha256_of(first.path) == sha256_of(second.path) == media.sha256


async def test_upload_streams_in_chunks(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    chat = await ann.create_chat("group", "Chunks")
    data = random.Random(3).randbytes(5 * CHUNK_BYTES + 1)
    spy = ChunkSpy(data)
    media = await ann.upload_media(chat.id, spy, filename="spy.bin")
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    assert spy.reads  # it was read…
    assert max(spy.reads) <= CHUNK_BYTES  # …never all at once
    assert sum(1 for size in spy.reads if size > 0) >= 5


async def test_upload_errors(make_user: MakeUser, tmp_path: Path) -> None:
    ann, _ = await make_user()
    eve, _ = await make_user()
    chat = await ann.create_chat("group", "Errors")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ApiError) as info:
        await ann.upload_media(chat.id, empty)
    assert (info.value.status, info.value.type_slug) == (422, "invalid_input")
    with pytest.raises(ApiError) as info:
        await eve.upload_media(chat.id, make_random_file(tmp_path / "x.bin", 100))
    assert info.value.status == 404
    with pytest.raises(FileNotFoundError):
        await ann.upload_media(chat.id, tmp_path / "missing.bin")


@pytest.mark.settings(media_max_bytes=64 * 1024)
async def test_upload_over_the_limit(make_user: MakeUser, tmp_path: Path) -> None:
    ann, _ = await make_user()
    chat = await ann.create_chat("group", "Big")
    big = make_random_file(tmp_path / "big.bin", 4 * CHUNK_BYTES)
    with pytest.raises(ApiError) as info:
        await ann.upload_media(chat.id, big)
    assert info.value.status == 413
    assert info.value.type_slug in {"too_large", "media_too_large"}
    # A stream of unknown length is refused while it is read.
    with big.open("rb") as f:
        unknown = io.BufferedReader(_Unseekable(f))
        with pytest.raises(ApiError) as info:
            await ann.upload_media(chat.id, unknown, filename="big.bin")
    assert info.value.status == 413


class _Unseekable(io.RawIOBase):
    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# Timers and view-once


async def test_attachment_rules(make_user: MakeUser, tmp_path: Path) -> None:
    ann, _, bob, _, direct = await direct_pair(make_user)
    group = await ann.create_chat("group", "Rules")
    blob = make_random_file(tmp_path / "a.bin", 1000)
    in_group = await ann.upload_media(group.id, blob)
    with pytest.raises(ApiError, match="invalid_input"):
        await ann.send_message(direct.id, attachments=[in_group])  # another chat's upload
    with pytest.raises(ApiError, match="not_found"):
        await bob.send_message(group.id, attachments=[in_group])  # not a member: hidden
    with pytest.raises(ApiError, match="invalid_input"):
        await ann.send_message(group.id, "boom", self_destruct_s=10)  # direct chats only
    with pytest.raises(ApiError, match="invalid_input"):
        await ann.send_message(direct.id, "look", view_once=True)  # needs an attachment
    sent = await ann.send_message(group.id, attachments=[in_group])
    assert (sent.text, len(sent.attachments)) == ("", 1)
    with pytest.raises(ApiError, match="invalid_input"):
        await ann.send_message(group.id, "again", attachments=[in_group])  # already sent


async def test_view_once_opens_once(make_user: MakeUser, tmp_path: Path) -> None:
    ann, ann_user, bob, _, direct = await direct_pair(make_user)
    blob = make_random_file(tmp_path / "secret.bin", 4000)
    media = await ann.upload_media(direct.id, blob)
    sent = await ann.send_message(direct.id, attachments=[media], view_once=True)
    assert sent.view_once
    out = tmp_path / "opened.bin"
    # Even from a partial file: view-once is served whole, and the SDK starts over.
    out.write_bytes(b"stale")
    result = await bob.download_media(chat_id=direct.id, media_id=media.id, dest=out)
    assert result.resumed_from == 0
    assert sha256_of(out) == media.sha256
    with pytest.raises(ApiError) as info:
        await bob.download_media(direct.id, media.id, tmp_path / "twice.bin")
    assert (info.value.status, info.value.type_slug) == (410, "gone")
    with pytest.raises(ApiError) as info:
        await ann.download_media(direct.id, media.id, tmp_path / "sender.bin")
    assert info.value.status in (403, 404)
    opened = await bob.message(direct.id, sent.id)  # gone for bob from the first open
    assert (opened.deleted, opened.attachments) == (True, [])
    assert sent.sender_id == ann_user.id


async def test_chat_timer_expires_messages_for_the_cache(
    server: Any, server_url: str, make_user: MakeUser, clock: FakeClock
) -> None:
    ann, ann_user, bob, _, direct = await direct_pair(make_user)
    chat = await ann.set_message_ttl(direct.id, 60)
    assert chat.message_ttl_s == 60
    assert (await bob.chat(direct.id)).message_ttl_s == 60
    start = (await bob.chat(direct.id)).last_seq
    cache = MessageCache((await bob.me()).id, clock=clock.now_ms)
    async with RealtimeClient(server_url, token_of(bob), {direct.id: start - 1}) as rt:
        it = rt.events()
        changed = await next_of(it, "chat.message_ttl_changed", direct.id)
        assert changed.data["message_ttl_s"] == 60
        assert changed.data["by_user_id"] == ann_user.id

        sent = await ann.send_message(direct.id, "gone in a minute")
        assert sent.expires_at_ms == sent.created_at_ms + 60_000
        assert sent.expires_after_read_s is None
        created = await next_of(it, "message.created", direct.id)
        [change] = cache.apply(created)
        assert (change.kind, change.message.id) == ("added", sent.id)
        assert cache.next_expiry_ms() == sent.expires_at_ms

        clock.advance(60_000)
        # Gone on the client at once, before any purge event has arrived.
        assert cache.get(sent.id) is None
        assert [c.kind for c in cache.expire()] == ["expired"]
        assert await do_expire_due(server.app.state.ctx) == 1  # the server's purge, now
        deleted = await next_of(it, "message.deleted", direct.id)
        assert deleted.data["message_id"] == sent.id
        assert cache.apply(deleted) == []
    tombstone = await bob.message(direct.id, sent.id)
    assert (tombstone.deleted, tombstone.text, tombstone.attachments) == (True, None, [])

    off = await ann.set_message_ttl(direct.id, None)
    assert off.message_ttl_s is None
    assert (await ann.send_message(direct.id, "stays")).expires_at_ms is None
    with pytest.raises(ApiError, match="invalid_input"):
        await ann.set_message_ttl(direct.id, 1)


@pytest.mark.settings(expiry_worker_enabled=False)
async def test_self_destruct_hides_messages_when_the_purge_is_late(
    server_url: str, make_user: MakeUser, clock: FakeClock, tmp_path: Path
) -> None:
    ann, ann_user, bob, bob_user, direct = await direct_pair(make_user)
    media = await ann.upload_media(direct.id, make_png(tmp_path / "p.png"))
    sent = await ann.send_message(direct.id, "boom", attachments=[media], self_destruct_s=30)
    assert (sent.expires_after_read_s, sent.read_expires_at_ms) == (30, None)
    assert sent.expires_at_ms == sent.created_at_ms + 30_000
    senders = MessageCache(ann_user.id, clock=clock.now_ms)
    readers = MessageCache(bob_user.id, clock=clock.now_ms)
    senders.put(sent)
    readers.put(await bob.message(direct.id, sent.id))

    clock.advance(30_000)
    # The sender's copy is gone; the reader's waits until they have read it.
    assert [c.message.id for c in senders.expire()] == [sent.id]
    assert readers.expire() == []
    assert readers.get(sent.id) is not None
    await bob.mark_read(direct.id, sent.seq)
    readers.read_up_to(direct.id, sent.seq)
    assert readers.next_expiry_ms() == clock.now_ms() + 30_000
    on_server = await bob.message(direct.id, sent.id)
    assert on_server.read_expires_at_ms == clock.now_ms() + 30_000

    clock.advance(30_000)
    # No purge runs on this server, yet neither side shows the message any more.
    assert readers.get(sent.id) is None
    assert [c.message.id for c in readers.expire()] == [sent.id]
    for client in (ann, bob):
        assert (await client.message(direct.id, sent.id)).deleted


async def test_cache_drops_a_message_on_message_deleted(
    server_url: str, make_user: MakeUser
) -> None:
    ann, ann_user = await make_user()
    chat = await ann.create_chat("group", "Deletions")
    cache = MessageCache(ann_user.id, clock=FakeClock().now_ms)
    async with RealtimeClient(server_url, token_of(ann), {chat.id: chat.last_seq}) as rt:
        it = rt.events()
        keep = await ann.send_message(chat.id, "keep")
        drop = await ann.send_message(chat.id, "drop")
        for _ in range(2):
            cache.apply(await next_of(it, "message.created", chat.id))
        assert [m.id for m in cache.messages(chat.id)] == [keep.id, drop.id]
        await ann.delete_message(chat.id, drop.id)
        [change] = cache.apply(await next_of(it, "message.deleted", chat.id))
        assert (change.kind, change.message.id) == ("deleted", drop.id)
        assert [m.id for m in cache.messages(chat.id)] == [keep.id]
    # A stale copy (an old history page) does not bring it back.
    assert cache.put(drop) is None
    assert drop.id not in cache


async def test_realtime_send_with_a_file_and_a_timer(
    server_url: str, make_user: MakeUser, tmp_path: Path
) -> None:
    ann, _, _, _, direct = await direct_pair(make_user)
    media = await ann.upload_media(direct.id, make_random_file(tmp_path / "f.bin", 3000))
    async with RealtimeClient(server_url, token_of(ann), {direct.id: direct.last_seq}) as rt:
        async with asyncio.timeout(WAIT_S):
            sent = await rt.send(direct.id, attachments=[media], self_destruct_s=60)
    assert ([m.id for m in sent.attachments], sent.text) == ([media.id], "")
    assert (sent.expires_after_read_s, sent.expires_at_ms) == (60, sent.created_at_ms + 60_000)
