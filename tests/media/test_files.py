"""The local media store against real files: streamed puts, size limits, ranges, deletion
that leaves no bytes behind, key validation and moves into a hold store."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import stat
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import pytest

from colletta.errors import (
    Conflict,
    InsufficientStorage,
    InvalidInput,
    MediaMissing,
    MediaRangeNotSatisfiable,
    MediaTooLarge,
)
from colletta.media import files
from colletta.media.files import (
    READ_CHUNK_BYTES,
    WRITE_BATCH_BYTES,
    LocalMediaStore,
    MediaStore,
    StoredBlob,
)

KEY = "blob_0001-abc"
# Not a multiple of the read chunk, so the last chunk is short.
DATA = bytes(range(256)) * 800 + b"tail"


@pytest.fixture
def store(tmp_path: Path) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media")


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read_all(store: MediaStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in await store.open_range(key, start, end)])


def tmp_files(store: LocalMediaStore) -> list[Path]:
    return list((store.root / "tmp").iterdir())


def all_under(root: Path) -> list[Path]:
    return list(root.rglob("*"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_put_streams_many_chunks_and_reads_back(store: LocalMediaStore) -> None:
    data = os.urandom(3 * WRITE_BATCH_BYTES + 12345)
    # Ragged chunks, empty ones included, as a network delivers them.
    sizes = [0, 1, 7, 4096, 65536, 100_000, 3]

    async def ragged() -> AsyncIterator[bytes]:
        at, i = 0, 0
        while at < len(data):
            n = sizes[i % len(sizes)]
            yield data[at : at + n]
            at, i = at + n, i + 1

    blob = await store.put(KEY, ragged(), max_bytes=len(data), md5=True)

    assert blob == StoredBlob(
        KEY,
        len(data),
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
    )
    assert await store.size(KEY) == len(data)
    assert await read_all(store, KEY) == data
    # Uploads not matched against banks skip MD5, the slowest digest.
    plain = await store.put("plain_001", ragged(), max_bytes=len(data))
    assert (plain.sha256, plain.md5) == (blob.sha256, None)
    assert tmp_files(store) == []
    path = store.root / KEY[:2] / KEY
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(store.root) == 0o700
    assert mode(store.root / "tmp") == 0o700


async def test_put_reaches_the_disk_before_the_stream_ends(store: LocalMediaStore) -> None:
    """Never the whole upload in memory: early chunks are on disk while later ones arrive."""
    seen_on_disk: list[int] = []

    async def slow_upload() -> AsyncIterator[bytes]:
        for _ in range(3 * WRITE_BATCH_BYTES // READ_CHUNK_BYTES):
            yield b"x" * READ_CHUNK_BYTES
        seen_on_disk.append(sum(p.stat().st_size for p in tmp_files(store)))
        yield b"last"

    await store.put(KEY, slow_upload(), max_bytes=10 * WRITE_BATCH_BYTES)

    assert seen_on_disk[0] >= 2 * WRITE_BATCH_BYTES
    assert await store.size(KEY) == 3 * WRITE_BATCH_BYTES + 4


async def test_open_file_reads_what_was_stored(store: LocalMediaStore) -> None:
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    reader = await store.open_file(KEY)
    try:
        reader.seek(len(DATA) - 4)
        assert reader.read() == b"tail"
    finally:
        reader.close()
    with pytest.raises(MediaMissing):
        await store.open_file("no_such_key")


async def test_size_exactly_at_the_limit_is_accepted(store: LocalMediaStore) -> None:
    blob = await store.put(KEY, chunks_of(DATA, 1000), max_bytes=len(DATA))
    assert blob.size_bytes == len(DATA)


async def test_over_the_limit_is_refused_at_once_and_leaves_nothing(
    store: LocalMediaStore,
) -> None:
    pulled: list[int] = []

    async def too_long() -> AsyncIterator[bytes]:
        for _ in range(100):
            pulled.append(1)
            yield b"z" * 1000

    with pytest.raises(MediaTooLarge) as refused:
        await store.put(KEY, too_long(), max_bytes=10_500)

    assert len(pulled) == 11  # the 11th chunk crosses 10 500 bytes; no more are read
    assert refused.value.extra == {"max_bytes": 10_500}
    assert refused.value.type == "media_too_large"
    assert tmp_files(store) == []
    with pytest.raises(MediaMissing):
        await store.size(KEY)


async def test_a_failing_upload_leaves_nothing(store: LocalMediaStore) -> None:
    async def dropped() -> AsyncIterator[bytes]:
        yield b"a" * (2 * WRITE_BATCH_BYTES)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(KEY, dropped(), max_bytes=10 * WRITE_BATCH_BYTES)

    assert tmp_files(store) == []
    with pytest.raises(MediaMissing):
        await store.size(KEY)


@pytest.mark.parametrize("failing", ["write", "fsync"])
async def test_a_full_disk_is_insufficient_storage_and_leaves_nothing(
    store: LocalMediaStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    def no_space(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # Some filesystems take the write and report ENOSPC only when the data is flushed.
    if failing == "write":
        monkeypatch.setattr(files._Spool, "write", no_space)
    else:
        monkeypatch.setattr(files.os, "fsync", no_space)

    with pytest.raises(InsufficientStorage) as refused:
        await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    assert refused.value.type == "insufficient_storage"
    assert refused.value.retry_after_s == files.FULL_RETRY_AFTER_S
    with pytest.raises(InsufficientStorage):
        await store.put_bytes("thumb_0001", b"a small thumbnail")
    assert tmp_files(store) == []
    assert [p for p in all_under(store.root) if p.is_file()] == []


async def test_other_disk_errors_are_not_taken_for_a_full_disk(
    store: LocalMediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(files._Spool, "write", broken)
    with pytest.raises(OSError, match="Input/output"):
        await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    assert tmp_files(store) == []


async def test_put_replaces_a_key_whole(store: LocalMediaStore) -> None:
    await store.put(KEY, chunks_of(DATA, 999), max_bytes=len(DATA))
    await store.put(KEY, chunks_of(b"short", 2), max_bytes=100)
    assert await read_all(store, KEY) == b"short"


async def test_put_bytes(store: LocalMediaStore) -> None:
    blob = await store.put_bytes("thumb_0001", b"small thumbnail")
    data = b"small thumbnail"
    assert blob == StoredBlob("thumb_0001", 15, hashlib.sha256(data).hexdigest())  # no MD5
    assert await read_all(store, "thumb_0001") == b"small thumbnail"
    assert mode(store.root / "th" / "thumb_0001") == 0o600
    assert tmp_files(store) == []


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, DATA),
        (0, 0, DATA[:1]),
        (1000, 1099, DATA[1000:1100]),
        (70_000, 140_000, DATA[70_000:140_001]),
        (len(DATA) - 1, len(DATA) - 1, DATA[-1:]),
        (len(DATA) - 1, None, DATA[-1:]),
        (len(DATA) - 10, len(DATA) + 1000, DATA[-10:]),  # clamped to the file, as in HTTP
    ],
)
async def test_range_reads(
    store: LocalMediaStore, start: int, end: int | None, expected: bytes
) -> None:
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    chunks = [chunk async for chunk in await store.open_range(KEY, start, end)]
    assert b"".join(chunks) == expected
    assert all(0 < len(chunk) <= READ_CHUNK_BYTES for chunk in chunks)


@pytest.mark.parametrize(
    ("start", "end"), [(len(DATA), None), (len(DATA) + 5, len(DATA) + 9), (10, 9), (-1, 5)]
)
async def test_ranges_outside_the_file_are_refused(
    store: LocalMediaStore, start: int, end: int | None
) -> None:
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    with pytest.raises(MediaRangeNotSatisfiable) as refused:
        await store.open_range(KEY, start, end)
    assert refused.value.size_bytes == len(DATA)


async def test_an_empty_file(store: LocalMediaStore) -> None:
    blob = await store.put(KEY, chunks_of(b"", 1), max_bytes=10)
    assert blob.size_bytes == 0
    assert await read_all(store, KEY) == b""
    with pytest.raises(MediaRangeNotSatisfiable):
        await store.open_range(KEY, 0, 0)


async def test_a_missing_key(store: LocalMediaStore) -> None:
    with pytest.raises(MediaMissing):
        await store.size(KEY)
    with pytest.raises(MediaMissing):
        await store.open_range(KEY, 0, None)
    with pytest.raises(MediaMissing):
        await store.move_to(KEY, LocalMediaStore(store.root.parent / "hold"))
    assert await store.delete(KEY) is False


async def test_delete_zeroes_the_bytes_then_removes_the_file(store: LocalMediaStore) -> None:
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    path = store.root / KEY[:2] / KEY
    # A descriptor kept open sees the inode's blocks after the unlink.
    fd = os.open(path, os.O_RDONLY)
    try:
        assert await store.delete(KEY) is True
        assert not path.exists()
        assert os.pread(fd, len(DATA) + 1, 0) == bytes(len(DATA))
    finally:
        os.close(fd)
    assert await store.delete(KEY) is False
    with pytest.raises(MediaMissing):
        await store.size(KEY)


async def test_move_to_a_hold_store(store: LocalMediaStore, tmp_path: Path) -> None:
    hold = LocalMediaStore(tmp_path / "hold")
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))

    await store.move_to(KEY, hold)

    with pytest.raises(MediaMissing):
        await store.size(KEY)
    assert await read_all(hold, KEY) == DATA
    assert mode(hold.root) == 0o700
    assert mode(hold.root / KEY[:2]) == 0o700
    assert mode(hold.root / KEY[:2] / KEY) == 0o600
    # Deleting from the public store afterwards can't touch the held copy.
    assert await store.delete(KEY) is False
    assert await read_all(hold, KEY) == DATA


async def test_a_move_interrupted_after_the_link_completes(
    store: LocalMediaStore, tmp_path: Path
) -> None:
    hold = LocalMediaStore(tmp_path / "hold")
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))
    (hold.root / KEY[:2]).mkdir(mode=0o700)
    os.link(store.root / KEY[:2] / KEY, hold.root / KEY[:2] / KEY)

    await store.move_to(KEY, hold)

    assert not (store.root / KEY[:2] / KEY).exists()
    assert await read_all(hold, KEY) == DATA


async def test_a_move_never_overwrites_a_different_held_file(
    store: LocalMediaStore, tmp_path: Path
) -> None:
    hold = LocalMediaStore(tmp_path / "hold")
    await hold.put_bytes(KEY, b"held earlier")
    await store.put(KEY, chunks_of(DATA, 4096), max_bytes=len(DATA))

    with pytest.raises(Conflict):
        await store.move_to(KEY, hold)

    assert await read_all(hold, KEY) == b"held earlier"
    assert await read_all(store, KEY) == DATA


class OtherKindOfStore:
    """A store that isn't local (as an S3 one won't be): moves into it copy, then delete."""

    def __init__(self, inner: LocalMediaStore) -> None:
        self.inner = inner

    async def put(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int, md5: bool = False
    ) -> StoredBlob:
        return await self.inner.put(key, chunks, max_bytes=max_bytes, md5=md5)

    async def put_bytes(self, key: str, data: bytes) -> StoredBlob:
        return await self.inner.put_bytes(key, data)

    async def size(self, key: str) -> int:
        return await self.inner.size(key)

    async def open_range(
        self, key: str, start: int, end_inclusive: int | None
    ) -> AsyncIterator[bytes]:
        return await self.inner.open_range(key, start, end_inclusive)

    async def delete(self, key: str) -> bool:
        return await self.inner.delete(key)

    async def move_to(self, key: str, other: MediaStore) -> None:
        await self.inner.move_to(key, other)


async def test_move_to_another_kind_of_store_copies_then_shreds(
    store: LocalMediaStore, tmp_path: Path
) -> None:
    hold = OtherKindOfStore(LocalMediaStore(tmp_path / "hold"))
    data = os.urandom(2 * WRITE_BATCH_BYTES + 17)
    await store.put(KEY, chunks_of(data, 65536), max_bytes=len(data))
    fd = os.open(store.root / KEY[:2] / KEY, os.O_RDONLY)
    try:
        await store.move_to(KEY, hold)
        assert os.pread(fd, len(data), 0) == bytes(len(data))
    finally:
        os.close(fd)
    assert await read_all(hold, KEY) == data
    with pytest.raises(MediaMissing):
        await store.size(KEY)


BAD_KEYS = [
    "../../etc/passwd",
    "..",
    "../outside_",
    "abc/defghi",
    "abc\\defghi",
    "short",
    "x" * 65,
    "abcd.efgh",
    "",
    "abcdefgh\x00",
    "abcdefgh\n",
    "ééééééééé",
    "tmp/put-abc",
    "/abs/olute_path",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_keys_that_could_name_a_path_are_refused(
    store: LocalMediaStore, tmp_path: Path, key: str
) -> None:
    hold = LocalMediaStore(tmp_path / "hold")
    with pytest.raises(InvalidInput):
        await store.put(key, chunks_of(b"data", 2), max_bytes=100)
    with pytest.raises(InvalidInput):
        await store.put_bytes(key, b"data")
    with pytest.raises(InvalidInput):
        await store.size(key)
    with pytest.raises(InvalidInput):
        await store.open_range(key, 0, None)
    with pytest.raises(InvalidInput):
        await store.delete(key)
    with pytest.raises(InvalidInput):
        await store.move_to(key, hold)
    made = {path.relative_to(tmp_path) for path in await asyncio.to_thread(all_under, tmp_path)}
    assert made == {Path("media"), Path("media/tmp"), Path("hold"), Path("hold/tmp")}


async def test_sweep_tmp_shreds_only_stale_leftovers(store: LocalMediaStore) -> None:
    stale, fresh = store.root / "tmp" / "put-stale", store.root / "tmp" / "put-fresh"
    stale.write_bytes(b"left by a crash")
    fresh.write_bytes(b"an upload in progress")
    two_hours_ago = stale.stat().st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    assert await store.sweep_tmp(older_than_s=3600) == 1

    assert tmp_files(store) == [fresh]


def test_an_existing_root_is_closed_to_others(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    LocalMediaStore(root)
    assert mode(root) == 0o700
