"""Media through the HTTP API: upload, clean, download with ranges, attach, and who may see it."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from tests.conftest import MakePerson, Person
from tests.test_messages import make_group

GPS_MARKER = b"GPSMARKERcolletta"


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    exif[0x9286] = GPS_MARKER.decode()  # UserComment, so the raw bytes carry a marker
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert GPS_MARKER in data
    return data


async def upload(person: Person, chat_id: str, data: bytes, filename: str = "f.bin") -> Any:
    return await person.client.post(
        f"/api/v1/chats/{chat_id}/media",
        content=data,
        headers={
            **person.auth,
            "content-type": "application/octet-stream",
            "content-disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
        },
    )


async def send_with(person: Person, chat_id: str, media_ids: list[str], **extra: Any) -> Any:
    body = {"client_txn_id": os.urandom(6).hex(), "attachments": media_ids}
    body.update(extra)
    return await person.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)


async def test_images_lose_exif_and_gps_and_get_a_thumbnail(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    response = await upload(alice, chat_id, jpeg_with_gps(), "../../etc/holiday.jpg")
    assert response.status_code == 201, response.text
    media = response.json()
    assert (media["kind"], media["mime"]) == ("image", "image/jpeg")
    assert (media["width"], media["height"], media["has_thumbnail"]) == (640, 480, True)
    assert media["filename"] == "holiday.jpg"
    sent = await send_with(alice, chat_id, [media["id"]])
    assert sent.status_code == 201
    assert sent.json()["attachments"] == [media]
    got = await bob.call("GET", f"/api/v1/chats/{chat_id}/media/{media['id']}")
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-disposition"].startswith("inline;")
    assert GPS_MARKER not in got.content
    assert b"CameraMaker" not in got.content
    assert hashlib.sha256(got.content).hexdigest() == media["sha256"]
    assert Image.open(io.BytesIO(got.content)).getexif() == {}
    thumb = await bob.call("GET", f"/api/v1/chats/{chat_id}/media/{media['id']}/thumbnail")
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320


async def test_other_files_are_kept_as_sent_and_served_as_attachments(
    person: MakePerson,
) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    data = os.urandom(300_000)
    media = (await upload(alice, chat_id, data, "notes.html")).json()
    assert (media["kind"], media["mime"], media["size_bytes"]) == (
        "file",
        "application/octet-stream",
        len(data),
    )
    await send_with(alice, chat_id, [media["id"]], text="the notes")
    path = f"/api/v1/chats/{chat_id}/media/{media['id']}"
    whole = await bob.call("GET", path)
    assert whole.content == data
    assert whole.headers["content-disposition"] == "attachment; filename*=UTF-8''notes.html"
    assert whole.headers["accept-ranges"] == "bytes"
    middle = await bob.call("GET", path, headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206
    assert middle.content == data[1000:2000]
    assert middle.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    tail = await bob.call("GET", path, headers={"Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, data[-10:])
    beyond = await bob.call("GET", path, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert beyond.headers["content-type"] == "application/problem+json"
    no_thumb = await bob.call("GET", f"{path}/thumbnail")
    assert no_thumb.status_code == 404


async def test_bad_uploads_are_refused_with_a_clear_error(person: MakePerson) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    empty = await upload(alice, chat_id, b"")
    assert empty.status_code == 422
    broken = await upload(alice, chat_id, jpeg_with_gps()[:400], "cut.jpg")
    assert broken.status_code == 422
    assert broken.json()["type"].endswith("/media_undecodable")


@pytest.mark.settings(media_max_bytes=4096)
async def test_uploads_over_the_limit_are_413_and_leave_nothing(
    person: MakePerson, settings: Any
) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    declared = await upload(alice, chat_id, os.urandom(5000))
    assert declared.status_code == 413

    async def chunks() -> Any:  # no Content-Length: the limit is found while streaming
        for _ in range(5):
            yield os.urandom(1000)

    streamed = await alice.client.post(
        f"/api/v1/chats/{chat_id}/media", content=chunks(), headers=alice.auth
    )
    assert streamed.status_code == 413
    files = [p for p in settings.resolved_media_dir.rglob("*") if p.is_file()]
    assert files == []
    fits = await upload(alice, chat_id, os.urandom(4096))
    assert fits.status_code == 201


async def test_only_members_who_may_see_it_fetch_media(person: MakePerson) -> None:
    alice, bob, outsider = await person(), await person(), await person()
    chat_id = await make_group(alice, bob)
    media = (await upload(alice, chat_id, b"private bytes")).json()
    path = f"/api/v1/chats/{chat_id}/media/{media['id']}"
    assert (await alice.call("GET", path)).status_code == 200
    # Not yet sent: only the uploader sees it.
    assert (await bob.call("GET", path)).status_code == 404
    assert (await send_with(bob, chat_id, [media["id"]])).status_code == 422  # not bob's
    first = await send_with(alice, chat_id, [media["id"]], client_txn_id="with-file")
    assert first.status_code == 201
    retry = await send_with(alice, chat_id, [media["id"]], client_txn_id="with-file")
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert (await bob.call("GET", path)).status_code == 200
    assert (await send_with(alice, chat_id, [media["id"]])).status_code == 422  # already sent
    assert (await outsider.call("GET", path)).status_code == 404
    refused = await upload(outsider, chat_id, b"x")
    assert refused.status_code == 404
    other = await make_group(outsider)
    elsewhere = f"/api/v1/chats/{other}/media/{media['id']}"
    assert (await outsider.call("GET", elsewhere)).status_code == 404
    no_auth = await alice.client.get(path)
    assert no_auth.status_code == 401


async def test_deleting_the_message_deletes_its_files(
    person: MakePerson, app: Any, settings: Any
) -> None:
    from colletta.actions.expiry import do_expire_due

    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    media = (await upload(alice, chat_id, jpeg_with_gps(), "a.jpg")).json()
    message = (await send_with(alice, chat_id, [media["id"]])).json()
    stored = [p for p in settings.resolved_media_dir.rglob("*") if p.is_file()]
    assert len(stored) == 2  # the cleaned image and its thumbnail
    await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/messages/{message['id']}")
    path = f"/api/v1/chats/{chat_id}/media/{media['id']}"
    assert (await bob.call("GET", path)).status_code == 404  # at once, before any sweep
    assert await do_expire_due(app.state.ctx) == 1
    assert [p for p in settings.resolved_media_dir.rglob("*") if p.is_file()] == []
    history = await bob.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    assert history["messages"][-1]["attachments"] == []
