"""Where media bytes live: a small async interface, and a local directory behind it.

Keys are opaque names made by callers (`[A-Za-z0-9_-]{8,64}`); anything else is refused, so a
key can never name a path outside the store. A local store keeps `root/<key[:2]>/<key>`,
directories 0700 and files 0600, and writes every file to `root/tmp/` first, then fsyncs and
renames it into place, so a reader never sees half a file.

An S3-compatible store can implement `MediaStore` later without callers changing.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from colletta.errors import (
    Conflict,
    InsufficientStorage,
    InvalidInput,
    MediaMissing,
    MediaRangeNotSatisfiable,
    MediaTooLarge,
)

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
READ_CHUNK_BYTES = 1024 * 1024
# Measured on ext4: a 64 KiB write takes ~25 µs, a thread hop ~100 µs, a 1 MiB write 0.5-3 ms;
# so chunks are gathered and written 1 MiB per asyncio.to_thread: the loop never waits on the
# disk, the hop costs little, and at most ~1 MiB of an upload is in memory at a time.
WRITE_BATCH_BYTES = 1024 * 1024
_DIR_MODE = 0o700
# A full disk is answered 507 with this Retry-After: long enough for an operator's alert to
# fire and for expiry to free space, short enough that a client's retry is not forgotten.
FULL_RETRY_AFTER_S = 60
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """What was stored: the key, its size and the SHA-256 (hex) of its bytes, and their MD5
    when asked for (the digests hash lists publish, taken while the bytes stream in rather
    than read back)."""

    key: str
    size_bytes: int
    sha256: str
    md5: str | None = None


class MediaStore(Protocol):
    """Opaque keys to immutable blobs. Every method validates the key first."""

    async def put(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int, md5: bool = False
    ) -> StoredBlob:
        """Store a stream; `MediaTooLarge` as soon as it passes `max_bytes`, leaving nothing.
        `md5`: take its MD5 too (uploads matched against hash banks)."""
        ...

    async def put_bytes(self, key: str, data: bytes) -> StoredBlob:
        """Store a small blob (a thumbnail, a re-encoded image) held in memory."""
        ...

    async def size(self, key: str) -> int:
        """The blob's size in bytes; `MediaMissing` if there is none."""
        ...

    async def open_range(
        self, key: str, start: int, end_inclusive: int | None
    ) -> AsyncIterator[bytes]:
        """Bytes `start..end_inclusive` (to the end if None), in chunks; checked before return."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the blob so it can't be read back; False if there was none."""
        ...

    async def open_file(self, key: str) -> BinaryIO:
        """A seekable reader for work done in a thread (image decoding); close it after."""
        ...

    async def move_to(self, key: str, other: MediaStore) -> None:
        """Move the blob into `other` (a legal-hold store) under the same key, leaving none here."""
        ...

    async def sweep_tmp(self, older_than_s: float) -> int:
        """Remove partial uploads older than `older_than_s` (left by a crash); how many."""
        ...


class LocalMediaStore:
    """A `MediaStore` in a local directory; give holds their own instance with another root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        # An existing root may have been made by hand with wider rights; only we read it.
        root.chmod(_DIR_MODE)
        self._tmp.mkdir(mode=_DIR_MODE, exist_ok=True)

    async def put(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int, md5: bool = False
    ) -> StoredBlob:
        """Stream `chunks` to disk; the file appears under `key` only once complete.

        A full disk raises `InsufficientStorage`, with nothing left behind."""
        final = self._path(key)
        with _full_disk_refused():
            spool = await asyncio.to_thread(_Spool, self._tmp, md5)
        try:
            with _full_disk_refused():
                await self._spool(spool, final, chunks, max_bytes)
        except BaseException:
            # Also on cancellation (the client went away): no partial file stays behind.
            spool.discard()
            raise
        return spool.blob(key)

    async def _spool(
        self, spool: _Spool, final: Path, chunks: AsyncIterable[bytes], max_bytes: int
    ) -> None:
        size_bytes = 0
        batch: list[bytes] = []
        batch_bytes = 0
        # One batch is written and hashed in threads while the next is received: at most two
        # batches are in memory, and the network never waits for the disk.
        writing: asyncio.Future[list[None]] | None = None
        try:
            async for chunk in chunks:
                size_bytes += len(chunk)
                if size_bytes > max_bytes:
                    raise MediaTooLarge(
                        f"the file is larger than the limit of {max_bytes} bytes",
                        max_bytes=max_bytes,
                    )
                batch.append(chunk)
                batch_bytes += len(chunk)
                if batch_bytes >= WRITE_BATCH_BYTES:
                    if writing is not None:
                        await writing
                    writing = spool.store(batch)
                    batch, batch_bytes = [], 0
            if writing is not None:
                await writing
            await spool.store(batch)
            spool.size_bytes = size_bytes
            await asyncio.to_thread(spool.install, final)
        except BaseException:
            if writing is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.shield(writing)
            raise

    async def put_bytes(self, key: str, data: bytes) -> StoredBlob:
        """Store `data` under `key` (temp file, fsync, rename)."""
        final = self._path(key)
        with _full_disk_refused():
            return await asyncio.to_thread(_put_bytes, self._tmp, final, key, data)

    async def size(self, key: str) -> int:
        """The blob's size in bytes."""
        path = self._path(key)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            raise MediaMissing("no stored file under that key") from None

    async def open_range(
        self, key: str, start: int, end_inclusive: int | None
    ) -> AsyncIterator[bytes]:
        """Await it for the chunks (≤ 1 MiB each): a bad range or a missing key raises here,
        before a caller has answered anything. An empty blob read whole yields nothing."""
        path = self._path(key)
        end = _check_range(start, end_inclusive, await self.size(key))
        return _read_chunks(path, start, end)

    async def delete(self, key: str) -> bool:
        """Overwrite the bytes with zeros, fsync, unlink. Idempotent.

        The overwrite is best effort: on copy-on-write filesystems (btrfs, ZFS), on SSDs
        (wear levelling) and in snapshots or backups the old blocks may survive; use full-disk
        encryption for a stronger guarantee.
        """
        return await asyncio.to_thread(_shred, self._path(key))

    async def open_file(self, key: str) -> BinaryIO:
        """The stored file itself, opened for reading."""
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise MediaMissing("no stored file under that key") from None

    async def move_to(self, key: str, other: MediaStore) -> None:
        """Move the blob into `other`. Between local stores on one filesystem it is a hard link
        then an unlink (no copy of the bytes, never overwrites a different held file);
        otherwise a streamed copy, then `delete` here."""
        source = self._path(key)
        if isinstance(other, LocalMediaStore):
            try:
                await asyncio.to_thread(_link_and_unlink, source, other._path(key))
                return
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        size_bytes = await self.size(key)
        await other.put(key, await self.open_range(key, 0, None), max_bytes=size_bytes)
        await self.delete(key)

    async def sweep_tmp(self, older_than_s: float) -> int:
        """Shred temp files left by a crash mid-upload; returns how many. Uploads in progress
        (on this or another process) are younger than `older_than_s` and are left alone."""
        return await asyncio.to_thread(_sweep, self._tmp, time.time() - older_than_s)

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise InvalidInput("a media key is 8 to 64 of the characters A-Z a-z 0-9 _ -")
        return self.root / key[:2] / key


class _Spool:
    """A temp file being written. Every method but `store` blocks: callers run them in a thread."""

    def __init__(self, tmp_dir: Path, md5: bool = False) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")  # mode 0600
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.sha256 = hashlib.sha256()
        # MD5 is the slowest of the three: only uploads matched against banks take it.
        self.md5 = hashlib.md5(usedforsecurity=False) if md5 else None
        self.size_bytes = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def hash(self, data: bytes) -> None:
        self.sha256.update(data)
        if self.md5 is not None:
            self.md5.update(data)

    def store(self, batch: list[bytes]) -> asyncio.Future[list[None]]:
        """Write `batch` and update both digests, each in its own thread at once: each
        digest alone is slower than the disk (MD5 the slowest), and hashlib releases the
        GIL for large data.

        Joined first, so each thread takes the GIL back once per batch: after every small
        write or update a thread waits for the event loop to let go of it (up to the 5 ms
        switch interval), and per 64 KiB chunk that halved the upload rate."""
        data = b"".join(batch)
        work = [self.write, self.sha256.update]
        if self.md5 is not None:
            work.append(self.md5.update)
        return asyncio.gather(*(asyncio.to_thread(step, data) for step in work))

    def blob(self, key: str) -> StoredBlob:
        md5 = None if self.md5 is None else self.md5.hexdigest()
        return StoredBlob(key, self.size_bytes, self.sha256.hexdigest(), md5)

    def install(self, final: Path) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        if not final.parent.is_dir():
            final.parent.mkdir(mode=_DIR_MODE, exist_ok=True)
            _fsync_dir(final.parent.parent)
        os.replace(self.path, final)
        _fsync_dir(final.parent)

    def discard(self) -> None:
        # BufferedWriter.close waits for a write still running in a cancelled thread. On a
        # full disk its flush fails again; the file is closed anyway and must still go.
        with contextlib.suppress(OSError):
            self.file.close()
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def _full_disk_refused() -> Iterator[None]:
    """ENOSPC / EDQUOT as `InsufficientStorage`, which the API answers with 507 and logs as
    one line (no traceback: the cause is the disk, not the code)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FULL_ERRNOS:
            raise
        raise InsufficientStorage(
            "the server has no room to store this file now; nothing was kept",
            retry_after_s=FULL_RETRY_AFTER_S,
        ) from exc


def _put_bytes(tmp_dir: Path, final: Path, key: str, data: bytes) -> StoredBlob:
    spool = _Spool(tmp_dir)
    try:
        spool.write(data)
        spool.hash(data)
        spool.install(final)
    except BaseException:
        spool.discard()
        raise
    spool.size_bytes = len(data)
    return spool.blob(key)


def _check_range(start: int, end_inclusive: int | None, size_bytes: int) -> int:
    """The last byte to read, clamped to the file (as HTTP does); -1 reads nothing."""
    if start == 0 and end_inclusive is None and size_bytes == 0:
        return -1
    if start < 0 or start >= size_bytes or (end_inclusive is not None and end_inclusive < start):
        raise MediaRangeNotSatisfiable(
            f"bytes {start}-{'' if end_inclusive is None else end_inclusive} are not within "
            f"the file's {size_bytes} bytes",
            size_bytes=size_bytes,
        )
    return size_bytes - 1 if end_inclusive is None else min(end_inclusive, size_bytes - 1)


async def _read_chunks(path: Path, start: int, end_inclusive: int) -> AsyncIterator[bytes]:
    try:
        file = await asyncio.to_thread(path.open, "rb")
    except FileNotFoundError:
        # Deleted between the size check and here; nothing has been yielded yet.
        raise MediaMissing("no stored file under that key") from None
    # The next chunk is read in a thread while the caller sends this one.
    reading: asyncio.Future[bytes] | None = None
    try:
        await asyncio.to_thread(file.seek, start)
        left = end_inclusive - start + 1
        if left > 0:
            reading = asyncio.ensure_future(
                asyncio.to_thread(file.read, min(READ_CHUNK_BYTES, left))
            )
        while reading is not None:
            chunk = await reading
            reading = None
            if not chunk:
                return
            left -= len(chunk)
            if left > 0:
                reading = asyncio.ensure_future(
                    asyncio.to_thread(file.read, min(READ_CHUNK_BYTES, left))
                )
            yield chunk
    finally:
        if reading is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(reading)
        file.close()


def _shred(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        size_bytes = os.fstat(fd).st_size
        zeros = memoryview(bytes(WRITE_BATCH_BYTES))
        done = 0
        while done < size_bytes:
            done += os.pwrite(fd, zeros[: min(WRITE_BATCH_BYTES, size_bytes - done)], done)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        path.unlink()
    except FileNotFoundError:  # a concurrent delete won the race
        return False
    _fsync_dir(path.parent)
    return True


def _link_and_unlink(source: Path, target: Path) -> None:
    if not target.parent.is_dir():
        target.parent.mkdir(mode=_DIR_MODE, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except FileNotFoundError:
        raise MediaMissing("no stored file under that key") from None
    except FileExistsError:
        # Same inode: an earlier move stopped between link and unlink; finish it.
        if not os.path.samefile(source, target):
            raise Conflict(
                "the other store already holds a different file under that key"
            ) from None
    _fsync_dir(target.parent)
    source.unlink()
    _fsync_dir(source.parent)


def _sweep(tmp_dir: Path, before_epoch_s: float) -> int:
    swept = 0
    for entry in tmp_dir.iterdir():
        try:
            stale = entry.lstat().st_mtime < before_epoch_s
        except FileNotFoundError:
            continue
        if stale and _shred(entry):
            swept += 1
    return swept


def _fsync_dir(path: Path) -> None:
    """Make a rename or unlink in `path` survive a power cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
