"""What one user can make the server spend on media: pixels decoded, images decoded at once,
bytes stored, uploads a minute; and a full disk, answered without losing the connection."""

from __future__ import annotations

import asyncio
import errno
import io
import logging
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from colletta.media import files, images
from tests.conftest import MakePerson, Person, Server
from tests.test_media import send_with, upload
from tests.test_messages import make_group


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 30)).save(out, "JPEG")
    return out.getvalue()


async def test_an_image_over_the_pixel_limit_is_refused_before_any_decoding(
    person: MakePerson, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[object] = []
    real = images.process_image
    monkeypatch.setattr(images, "process_image", lambda *a, **k: decoded.append(a) or real(*a, **k))
    alice = await person()
    chat_id = await make_group(alice)
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, "PNG")  # 49 MP in a few kilobytes
    response = await upload(alice, chat_id, out.getvalue(), "huge.png")
    assert response.status_code == 413
    problem = response.json()
    assert problem["type"].endswith("/media_too_large")
    assert "7000×7000" in problem["detail"]
    assert problem["max_pixels"] == settings.media_max_pixels == 40_000_000
    assert decoded == []  # refused from the header alone, not by the decoder
    assert stored_files(settings.resolved_media_dir) == []
    fits = await upload(alice, chat_id, jpeg(1), "small.jpg")
    assert fits.status_code == 201
    assert len(decoded) == 1


@pytest.mark.settings(media_image_workers=2)
async def test_never_more_images_are_decoded_at_once_than_the_pool_has_workers(
    person: MakePerson, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = 5
    lock = threading.Lock()
    gate = threading.Event()
    started = threading.Semaphore(0)
    decoding = peak = 0
    real = images.process_image

    def held(*args: Any, **kwargs: Any) -> Any:
        nonlocal decoding, peak
        with lock:
            decoding += 1
            peak = max(peak, decoding)
        started.release()
        gate.wait(timeout=60)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                decoding -= 1

    monkeypatch.setattr(images, "process_image", held)
    pool = app.state.ctx.images
    queued = 0
    all_queued = asyncio.Event()
    real_process = pool.process

    async def counted(source: Any) -> Any:
        nonlocal queued
        queued += 1
        if queued == uploads:
            all_queued.set()
        return await real_process(source)

    monkeypatch.setattr(pool, "process", counted)
    alice = await person()
    chat_id = await make_group(alice)
    sending = [asyncio.create_task(upload(alice, chat_id, jpeg(i), f"{i}.jpg")) for i in range(5)]
    await asyncio.wait_for(all_queued.wait(), 60)
    for _ in range(2):  # both workers are decoding, three images wait in the queue
        assert await asyncio.to_thread(started.acquire, timeout=60)
    gate.set()
    answers = await asyncio.gather(*sending)
    assert [a.status_code for a in answers] == [201] * uploads
    assert peak == 2


@pytest.mark.settings(media_quota_bytes_per_user=10_000)
async def test_the_storage_quota_refuses_what_does_not_fit_and_frees_what_is_gone(
    person: MakePerson, app: Any, clock: Any, settings: Any
) -> None:
    from colletta.actions.expiry import do_expire_due

    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    first = await upload(alice, chat_id, os.urandom(6000))
    assert first.status_code == 201

    async def streamed() -> Any:  # no Content-Length: the quota is found while streaming
        for _ in range(5):
            yield os.urandom(1000)

    over = await alice.client.post(
        f"/api/v1/chats/{chat_id}/media", content=streamed(), headers=alice.auth
    )
    assert over.status_code == 413
    assert over.json()["type"].endswith("/quota_exceeded")
    assert (over.json()["quota_bytes"], over.json()["used_bytes"]) == (10_000, 6000)
    assert len(stored_files(settings.resolved_media_dir)) == 1
    assert (await upload(bob, chat_id, os.urandom(5000))).status_code == 201  # bob's own quota
    assert (await upload(alice, chat_id, os.urandom(4000))).status_code == 201  # exactly full
    full = await upload(alice, chat_id, b"x")
    assert (full.status_code, full.json()["type"].split("/")[-1]) == (413, "quota_exceeded")

    # Deleting the message that carries a file frees its bytes once the purge has run.
    message = (await send_with(alice, chat_id, [first.json()["id"]])).json()
    await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/messages/{message['id']}")
    await do_expire_due(app.state.ctx)
    assert (await upload(alice, chat_id, os.urandom(5000))).status_code == 201
    assert (await upload(alice, chat_id, os.urandom(2000))).status_code == 413
    # Uploads no message carried expire after a day, and free theirs too.
    clock.advance(24 * 3600 * 1000)
    await do_expire_due(app.state.ctx)
    assert (await upload(alice, chat_id, os.urandom(9000))).status_code == 201


@pytest.mark.settings(rate_limits_enabled=True, media_upload_rate="2/minute")
async def test_uploads_a_minute_are_limited_per_user(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    for _ in range(2):
        assert (await upload(alice, chat_id, b"some bytes")).status_code == 201
    refused = await upload(alice, chat_id, b"some bytes")
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("/rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await upload(bob, chat_id, b"some bytes")).status_code == 201


def client_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


async def test_a_full_disk_is_507_with_retry_after_and_the_connection_stays_usable(
    server: Server,
    server_person: MakePerson,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice: Person = await server_person()
    chat_id = await make_group(alice)
    data = os.urandom(3 * files.WRITE_BATCH_BYTES + 123)
    warmup = await alice.call("GET", "/api/v1/chats")
    real_write = files._Spool.write

    def disk_full(self: Any, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files._Spool, "write", disk_full)
    caplog.set_level(logging.INFO)
    caplog.clear()
    full = await upload(alice, chat_id, data, "big.bin")
    assert full.status_code == 507
    assert full.headers["content-type"] == "application/problem+json"
    assert full.json()["type"].endswith("/insufficient_storage")
    assert full.headers["retry-after"] == str(files.FULL_RETRY_AFTER_S)
    assert stored_files(settings.resolved_media_dir) == []  # no partial file, not even in tmp/
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in logged] == ["colletta.api.errors"]
    assert logged[0].exc_info is None  # one line, no traceback
    assert "insufficient_storage" in logged[0].getMessage()
    assert "OSError" in logged[0].getMessage()

    monkeypatch.setattr(files._Spool, "write", real_write)
    again = await upload(alice, chat_id, data, "big.bin")
    assert again.status_code == 201
    # One connection all along: the 507 read the body and kept it open.
    assert client_port(warmup) == client_port(full) == client_port(again)
