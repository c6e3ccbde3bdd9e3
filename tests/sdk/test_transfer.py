"""Uploads and downloads against a scripted transport: headers, ranges, names, failures."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from colletta_sdk import ApiError, Client, TransferError
from colletta_sdk.transfer import filename_from_disposition, inside, safe_filename

DATA = bytes(range(256)) * 40  # 10,240 bytes
MEDIA_JSON = {
    "id": "5",
    "chat_id": "10",
    "kind": "file",
    "mime": "application/octet-stream",
    "filename": "x",
    "size_bytes": len(DATA),
    "sha256": hashlib.sha256(DATA).hexdigest(),
    "width": None,
    "height": None,
    "has_thumbnail": False,
}


def make_client(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    return Client("http://colletta.test", "tok", transport=httpx.MockTransport(handler))


class FileServer:
    """Serves DATA like the real download route, with knobs to misbehave."""

    def __init__(self, disposition: str = "attachment; filename*=UTF-8''notes.bin") -> None:
        self.disposition = disposition
        self.ranges: list[str | None] = []
        self.ignore_range = False
        self.short_by = 0
        self.wrong_start = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("range")
        self.ranges.append(header)
        headers = {"content-disposition": self.disposition, "accept-ranges": "bytes"}
        start = 0
        if header and not self.ignore_range:
            start = int(header.removeprefix("bytes=").rstrip("-"))
            if start >= len(DATA):
                return httpx.Response(
                    416,
                    json={"type": "https://colletta.chat/problems/invalid_input", "status": 416},
                    headers={
                        "content-type": "application/problem+json",
                        "content-range": f"bytes */{len(DATA)}",
                    },
                )
            shown = start + 1 if self.wrong_start else start
            headers["content-range"] = f"bytes {shown}-{len(DATA) - 1}/{len(DATA)}"
        body = DATA[start : len(DATA) - self.short_by]
        headers["content-length"] = str(len(DATA) - start)
        return httpx.Response(
            206 if "content-range" in headers else 200, content=body, headers=headers
        )


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# Names


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("attachment; filename*=UTF-8''caf%C3%A9%20menu.pdf", "café menu.pdf"),
        ("inline; filename*=utf-8''a%2Fb.png", "a/b.png"),
        ('attachment; filename="plain \\"q\\".txt"', 'plain "q".txt'),
        ("attachment; filename=token.bin", "token.bin"),
        ("attachment; filename=\"x.txt\"; filename*=UTF-8''y.txt", "y.txt"),
        ("attachment", None),
        (None, None),
    ],
)
def test_filename_from_disposition(header: str | None, name: str | None) -> None:
    assert filename_from_disposition(header) == name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "download"),
        ("/", "download"),
        (".bashrc", "bashrc"),
        ("a\x00b\x1b[31mc\u202e.txt", "ab[31mc.txt"),
        ("  spaced.txt  ", "spaced.txt"),
        ("", "download"),
        (None, "download"),
    ],
)
def test_safe_filename(raw: str | None, safe: str) -> None:
    assert safe_filename(raw) == safe


def test_safe_filename_keeps_long_names_under_255_bytes_with_their_extension() -> None:
    name = safe_filename("é" * 300 + ".jpeg")
    assert len(name.encode()) <= 255
    assert name.endswith(".jpeg")


def test_inside_refuses_a_symlink_out_of_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "trap.txt").symlink_to(tmp_path / "elsewhere.txt")
    with pytest.raises(TransferError):
        inside(target, "trap.txt")
    assert inside(target, "fine.txt") == (target / "fine.txt").resolve()


async def test_a_hostile_name_stays_in_the_directory(tmp_path: Path) -> None:
    server = FileServer("attachment; filename*=UTF-8''..%2F..%2Fevil.sh")
    target = tmp_path / "in"
    target.mkdir()
    async with make_client(server) as client:
        result = await client.download_media("10", "5", target)
    assert result.path == (target / "evil.sh").resolve()
    assert names(target) == ["evil.sh"]
    assert names(tmp_path) == ["in"]
    assert result.path.read_bytes() == DATA


async def test_an_interrupted_download_into_a_directory_resumes(tmp_path: Path) -> None:
    server = FileServer()
    server.short_by = 1000
    async with make_client(server) as client:
        with pytest.raises(TransferError):
            await client.download_media("10", "5", tmp_path)
        assert names(tmp_path) == [".colletta-10-5.part"]
        server.short_by = 0
        result = await client.download_media("10", "5", tmp_path)
    assert server.ranges == [None, f"bytes={len(DATA) - 1000}-"]
    assert result.resumed_from == len(DATA) - 1000
    assert names(tmp_path) == ["notes.bin"]
    assert (tmp_path / "notes.bin").read_bytes() == DATA


# Ranges


async def test_a_range_the_server_ignores_starts_over(tmp_path: Path) -> None:
    server = FileServer()
    server.ignore_range = True  # as for view-once media
    out = tmp_path / "f.bin"
    out.write_bytes(b"stale prefix")
    async with make_client(server) as client:
        result = await client.download_media("10", "5", out)
    assert server.ranges == ["bytes=12-"]
    assert result.resumed_from == 0
    assert out.read_bytes() == DATA


async def test_a_local_file_longer_than_the_media_is_fetched_afresh(tmp_path: Path) -> None:
    server = FileServer()
    out = tmp_path / "f.bin"
    out.write_bytes(b"x" * (len(DATA) + 5))
    async with make_client(server) as client:
        result = await client.download_media("10", "5", out)
    assert server.ranges == [f"bytes={len(DATA) + 5}-", None]
    assert (result.resumed_from, out.read_bytes()) == (0, DATA)


async def test_a_wrong_content_range_is_refused(tmp_path: Path) -> None:
    server = FileServer()
    server.wrong_start = True
    out = tmp_path / "f.bin"
    out.write_bytes(DATA[:100])
    async with make_client(server) as client:
        with pytest.raises(TransferError, match="byte range"):
            await client.download_media("10", "5", out)
    assert out.read_bytes() == DATA[:100]


async def test_into_a_file_object_and_errors_as_api_errors() -> None:
    server = FileServer()
    sink = io.BytesIO()
    async with make_client(server) as client:
        result = await client.download_media("10", "5", sink)
    assert (result.path, result.filename, sink.getvalue()) == (None, "notes.bin", DATA)

    def missing(request: httpx.Request) -> httpx.Response:
        body = {"type": "https://colletta.chat/problems/not_found", "title": "Not found"}
        return httpx.Response(404, json=body, headers={"content-type": "application/problem+json"})

    async with make_client(missing) as client:
        with pytest.raises(ApiError) as info:
            await client.download_media("10", "5", io.BytesIO())
    assert (info.value.status, info.value.type_slug) == (404, "not_found")


# Uploads


async def test_upload_headers_and_no_name_in_the_url(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    bodies: list[bytes] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        bodies.append(b"".join([chunk async for chunk in request.stream]))  # type: ignore[union-attr]
        return httpx.Response(201, json=MEDIA_JSON)

    path = tmp_path / "Relatório 50%.pdf"
    path.write_bytes(DATA)
    async with Client("http://t", "tok", transport=httpx.MockTransport(handler)) as client:
        media = await client.upload_media("10", path)
    assert media.id == "5"
    [request] = seen
    assert (request.url.path, request.url.query) == ("/api/v1/chats/10/media", b"")
    assert request.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Relat%C3%B3rio%2050%25.pdf"
    )
    assert request.headers["content-length"] == str(len(DATA))
    assert request.headers["content-type"] == "application/octet-stream"
    assert request.headers["authorization"] == "Bearer tok"
    assert bodies == [DATA]


class _Pipe(io.RawIOBase):
    """A readable that cannot seek or tell its size (a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def test_upload_of_unknown_length_is_chunked() -> None:
    seen: list[httpx.Request] = []
    calls: list[tuple[int, int | None]] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        assert body == DATA
        return httpx.Response(201, json=MEDIA_JSON)

    pipe = io.BufferedReader(_Pipe(DATA))
    async with Client("http://t", "tok", transport=httpx.MockTransport(handler)) as client:
        await client.upload_media(
            "10", pipe, filename="from a pipe", progress=lambda d, t: calls.append((d, t))
        )
    [request] = seen
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert calls[0] == (0, None)
    assert calls[-1] == (len(DATA), None)


async def test_send_message_body_with_attachments_and_timers() -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(
            201,
            json={
                "id": "1",
                "chat_id": "10",
                "seq": 3,
                "attachments": [MEDIA_JSON],
                "view_once": True,
            },
        )

    async with make_client(handler) as client:
        message = await client.send_message(
            "10", attachments=["5"], self_destruct_s=30, view_once=True, client_txn_id="t1"
        )
        await client.send_message("10", forward=("11", "9"), client_txn_id="t2")
    assert message.attachments[0].sha256 == MEDIA_JSON["sha256"]
    assert message.view_once
    assert bodies == [
        {"client_txn_id": "t1", "attachments": ["5"], "self_destruct_s": 30, "view_once": True},
        {"client_txn_id": "t2", "forward": {"chat_id": "11", "message_id": "9"}},
    ]


async def test_set_message_ttl_body() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"id": "10", "kind": "group", "message_ttl_s": None})

    async with make_client(handler) as client:
        chat = await client.set_message_ttl("10", None)
    assert chat.message_ttl_s is None
    assert (requests[0].method, requests[0].url.path) == ("PUT", "/api/v1/chats/10/message-ttl")
    assert json.loads(requests[0].content) == {"message_ttl_s": None}


async def test_an_error_answer_leaves_the_files_as_they_were(tmp_path: Path) -> None:
    def missing(request: httpx.Request) -> httpx.Response:
        body = {"type": "https://colletta.chat/problems/not_found", "title": "Not found"}
        return httpx.Response(404, json=body, headers={"content-type": "application/problem+json"})

    mine = tmp_path / "mine.txt"
    mine.write_bytes(b"precious")
    async with make_client(missing) as client:
        for resume in (True, False):
            with pytest.raises(ApiError):
                await client.download_media("10", "5", mine, resume=resume)
        with pytest.raises(ApiError):
            await client.download_media("10", "5", tmp_path)
    assert mine.read_bytes() == b"precious"
    assert names(tmp_path) == ["mine.txt"]
