"""Streaming media uploads and resumable downloads (POST/GET /api/v1/chats/{id}/media).

Files move in chunks: an upload never holds the whole file in memory, a download writes each
chunk to disk as it arrives. File reads and writes run in a worker thread, so a slow disk does
not stall the event loop.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote, unquote

import httpx

from colletta_sdk.errors import ColettaSdkError

CHUNK_BYTES = 256 * 1024
FILENAME_MAX_BYTES = 255

Progress = Callable[[int, int | None], None]
"""Called as `progress(bytes_done, total)`; `total` is None when the size is unknown."""

Source = str | os.PathLike[str] | IO[bytes]
Destination = str | os.PathLike[str] | IO[bytes]


class TransferError(ColettaSdkError):
    """A transfer that did not complete: the file changed, or the answer was cut short."""


@dataclass(frozen=True, slots=True)
class Download:
    """What `Client.download_media` wrote."""

    path: Path | None  # None when the destination was a file object
    filename: str  # the server's name for the file, made safe for any file system
    mime: str | None
    size_bytes: int  # the whole file's size
    resumed_from: int  # bytes that were already on disk and not fetched again


# Uploads


@contextmanager
def _open_source(source: Source) -> Iterator[tuple[IO[bytes], str | None]]:
    """The readable file and its base name; a path is opened here and closed afterwards."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open("rb") as f:
            yield f, path.name
        return
    name = getattr(source, "name", None)
    yield source, Path(name).name if isinstance(name, str) and name else None


def _remaining_bytes(f: IO[bytes]) -> int | None:
    """Bytes from the current position to the end, if the file can tell."""
    try:
        position = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(position)
    except (OSError, ValueError, AttributeError):
        return None
    return max(0, end - position)


async def _read_chunks(
    f: IO[bytes], total: int | None, progress: Progress | None, chunk_bytes: int
) -> AsyncIterator[bytes]:
    done = 0
    if progress is not None:
        progress(0, total)
    while True:
        want = chunk_bytes if total is None else min(chunk_bytes, total - done)
        if want <= 0:
            break  # never more than the Content-Length we announced
        chunk = await asyncio.to_thread(f.read, want)
        if not chunk:
            break
        yield chunk
        # Resumed once the transport asks for the next chunk: this one has gone out.
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    if total is not None and done != total:
        raise TransferError(f"the file shrank while it was being uploaded ({done} of {total})")


async def upload(
    http: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    source: Source,
    *,
    filename: str | None,
    progress: Progress | None,
    chunk_bytes: int = CHUNK_BYTES,
) -> httpx.Response:
    """POST the file as the raw request body, chunk by chunk; returns the answer.

    The name travels in `Content-Disposition` (RFC 6266/8187), never in the URL, so access
    logs do not hold it.
    """
    with _open_source(source) as (f, default_name):
        total = _remaining_bytes(f)
        request_headers = {**headers, "Content-Type": "application/octet-stream"}
        if total is not None:
            # Lets the server refuse a file over its limit before any of it is sent.
            request_headers["Content-Length"] = str(total)
        name = filename if filename is not None else default_name
        if name:
            request_headers["Content-Disposition"] = content_disposition(name)
        return await http.post(
            url,
            content=_read_chunks(f, total, progress, max(1, chunk_bytes)),
            headers=request_headers,
        )


def content_disposition(filename: str) -> str:
    """`attachment; filename*=UTF-8''…`, every byte but unreserved ones percent-encoded."""
    return "attachment; filename*=UTF-8''" + quote(filename, safe="")


# Downloads


_DISPOSITION_EXT = re.compile(r"""filename\*\s*=\s*([^']*)'[^']*'([^;\s]+)""", re.IGNORECASE)
_DISPOSITION_QUOTED = re.compile(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_DISPOSITION_TOKEN = re.compile(r"filename\s*=\s*([^;\s\"]+)", re.IGNORECASE)


def filename_from_disposition(header: str | None) -> str | None:
    """The file name of a `Content-Disposition` header (RFC 6266: `filename*` wins).

    The result is exactly what the server said; pass it through `safe_filename` before
    using it as a path.
    """
    if not header:
        return None
    match = _DISPOSITION_EXT.search(header)
    if match is not None:
        charset = match[1].strip() or "utf-8"
        try:
            return unquote(match[2], encoding=charset, errors="replace")
        except LookupError:  # an unknown charset
            return unquote(match[2], encoding="utf-8", errors="replace")
    match = _DISPOSITION_QUOTED.search(header)
    if match is not None:
        return re.sub(r"\\(.)", r"\1", match[1])
    match = _DISPOSITION_TOKEN.search(header)
    return match[1] if match is not None else None


def safe_filename(name: str | None, fallback: str = "download") -> str:
    """A single path component that is safe to create in a directory.

    No directory parts (`/`, `\\`), no `.`/`..`, no hidden-file dot, no control or
    bidirectional-override characters, at most 255 bytes of UTF-8 (the extension kept).
    """
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = text.strip().lstrip(".").strip()
    if not text:
        return fallback
    if len(text.encode("utf-8")) > FILENAME_MAX_BYTES:
        stem, dot, ext = text.rpartition(".")
        if not dot or len(ext.encode("utf-8")) > 16:
            stem, ext = text, ""
        suffix = f".{ext}" if ext else ""
        room = FILENAME_MAX_BYTES - len(suffix.encode("utf-8"))
        stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
        text = stem + suffix
    return text


def inside(directory: Path, name: str) -> Path:
    """`directory / name`, refusing anything that would land elsewhere."""
    base = directory.resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise TransferError("refusing a file name that points outside the target directory")
    return target


def _claim_unique(directory: Path, name: str) -> Path:
    """Create (empty, exclusively) `name` in `directory`, or `name (1)`, `name (2)`, …"""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    for n in range(10_000):
        candidate = name if n == 0 else f"{stem} ({n}){'.' + ext if ext else ''}"
        target = inside(directory, candidate)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return target
    raise TransferError(f"no free file name for {name!r} in {directory}")


@dataclass(slots=True)
class _Answer:
    filename: str | None
    mime: str | None
    size_bytes: int
    resumed_from: int


def _content_range_total(header: str | None) -> int | None:
    """The `/size` of `bytes a-b/size` or `bytes */size`."""
    if not header:
        return None
    _, _, total = header.rpartition("/")
    return int(total) if total.strip().isdigit() else None


def _content_range_start(header: str | None) -> int | None:
    match = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*", header or "")
    return int(match[1]) if match is not None else None


async def _stream_to(
    http: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    sink: Path | IO[bytes],
    offset: int,
    progress: Progress | None,
    chunk_bytes: int,
    raise_for_problem: Callable[[httpx.Response], None],
) -> _Answer | None:
    """GET the file from `offset` into `sink`: a path (appended to from `offset`, or
    rewritten from zero) or a file object (offset 0 only).

    The path is opened only once the server has answered with the bytes, so an error leaves
    it as it was. Returns None when the server cannot serve from `offset` (416 for another
    size): the caller starts again from zero.
    """
    request_headers = dict(headers)
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
    async with http.stream("GET", url, headers=request_headers) as response:
        if response.status_code == 416 and offset:
            total = _content_range_total(response.headers.get("content-range"))
            if total != offset:
                return None
            if progress is not None:
                progress(offset, total)
            return _Answer(None, None, offset, offset)  # everything is already here
        if not response.is_success:
            await response.aread()
            raise_for_problem(response)
        if response.status_code == 206:
            if _content_range_start(response.headers.get("content-range")) != offset:
                raise TransferError("the server answered a different byte range")
            total = _content_range_total(response.headers.get("content-range"))
        else:
            offset = 0  # the range was ignored (view-once media is served whole)
            length = response.headers.get("content-length")
            total = int(length) if length is not None and length.isdigit() else None
        file: IO[bytes]
        if isinstance(sink, Path):
            file = await asyncio.to_thread(sink.open, "ab" if offset else "wb")
        else:
            file = sink
        try:
            done = offset
            if progress is not None:
                progress(done, total)
            async for chunk in response.aiter_bytes(chunk_bytes):
                await asyncio.to_thread(file.write, chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            await asyncio.to_thread(file.flush)
        finally:
            if file is not sink:
                await asyncio.to_thread(file.close)
        if total is not None and done != total:
            raise TransferError(f"the download stopped at {done} of {total} bytes")
        return _Answer(
            filename_from_disposition(response.headers.get("content-disposition")),
            response.headers.get("content-type"),
            done,
            offset,
        )


async def download(
    http: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    dest: Destination,
    *,
    part_name: str,
    fallback_name: str,
    progress: Progress | None,
    resume: bool,
    raise_for_problem: Callable[[httpx.Response], None],
    chunk_bytes: int = CHUNK_BYTES,
) -> Download:
    """Stream a GET into `dest`: a file object, a file path, or an existing directory.

    A path that already holds part of the file is resumed with a Range request when
    `resume`. In a directory the bytes go to the hidden `part_name` (so an interrupted
    download resumes on the next call) and are renamed, once complete, to the server's
    file name made safe, never overwriting an existing file.
    """

    async def stream(sink: Path | IO[bytes], offset: int) -> _Answer | None:
        return await _stream_to(
            http, url, headers, sink, offset, progress, max(1, chunk_bytes), raise_for_problem
        )

    if not isinstance(dest, str | os.PathLike):
        answer = await stream(dest, 0)
        assert answer is not None  # offset 0 is never refused
        name = safe_filename(answer.filename, fallback_name)
        return Download(None, name, answer.mime, answer.size_bytes, 0)

    path = Path(dest)
    directory = path if await asyncio.to_thread(path.is_dir) else None
    target = inside(directory, part_name) if directory is not None else path
    have = await asyncio.to_thread(_existing_size, target) if resume else 0
    answer = await stream(target, have) if have else None
    if answer is None:
        answer = await stream(target, 0)
        assert answer is not None  # offset 0 is never refused
    name = safe_filename(answer.filename, fallback_name)
    if directory is not None:
        target = await asyncio.to_thread(_install, target, directory, name)
    return Download(target, name, answer.mime, answer.size_bytes, answer.resumed_from)


def _install(part: Path, directory: Path, name: str) -> Path:
    final = _claim_unique(directory, name)
    os.replace(part, final)
    return final


def _existing_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
