"""The guarantee: once expired and purged, a message and its attachment are nowhere.

A unique marker goes into a message's text, its edit history and an attachment. After expiry
(fake clock) and the purge, the marker is searched for through the API, in a dump of the
database, in the raw bytes of the database files (SQLite: main file, WAL and shared memory),
in every file of the media directory, and in the logs.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from colletta.actions.expiry import do_expire_due
from colletta.clock import FakeClock
from colletta.store.schema import metadata
from tests.conftest import MakePerson, Person
from tests.test_expiry import direct
from tests.test_media import upload
from tests.test_messages import make_group


async def _api_bodies(person: Person, chat_id: str, message_id: str, media_id: str) -> bytes:
    responses = [
        await person.call("GET", f"/api/v1/chats/{chat_id}/messages"),
        await person.call("GET", f"/api/v1/chats/{chat_id}/messages/{message_id}"),
        await person.call("GET", f"/api/v1/chats/{chat_id}/messages/{message_id}/edits"),
        await person.call("GET", f"/api/v1/chats/{chat_id}/media/{media_id}"),
        await person.call("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"}),
        await person.call("GET", "/api/v1/chats"),
    ]
    return b"".join(r.content for r in responses)


async def _database_dump(settings: Any) -> bytes:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        return _sqlite_dump_and_files(settings.data_dir / "colletta.db")
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = []
            for table in metadata.sorted_tables:
                result = await conn.execute(text(f"SELECT t::text FROM {table.name} t"))
                rows.extend(row[0] for row in result)
    finally:
        await engine.dispose()
    return "\n".join(rows).encode()


def _sqlite_dump_and_files(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump()).encode()
    files = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
    return dump + b"".join(f.read_bytes() for f in files if f.exists())


def _media_bytes(settings: Any) -> bytes:
    root: Path = settings.resolved_media_dir
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("kind", ["chat timer", "self-destruct"])
async def test_an_expired_message_and_attachment_are_nowhere_after_the_purge(
    kind: str,
    person: MakePerson,
    app: Any,
    settings: Any,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = f"MARKER{secrets.token_hex(8)}"
    alice, bob = await person(), await person()
    if kind == "chat timer":
        chat_id = await make_group(alice, bob)
        await alice.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 5})
        timer: dict[str, Any] = {}
    else:
        chat_id = await direct(alice, bob)
        timer = {"self_destruct_s": 5}
    payload = (b"\x00" * 1000 + marker.encode() + b"\x00" * 1000) * 3
    media = (await upload(alice, chat_id, payload, f"{marker}.bin")).json()
    sent = await alice.ok(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={
            "text": f"first {marker}",
            "client_txn_id": "m1",
            "attachments": [media["id"]],
            **timer,
        },
    )
    path = f"/api/v1/chats/{chat_id}/messages/{sent['id']}"
    await alice.ok("PATCH", path, json={"text": f"edited {marker}"})
    await bob.ok("PUT", f"{path}/reactions/%F0%9F%91%8D")
    await bob.ok("POST", f"/api/v1/chats/{chat_id}/read", json={"seq": sent["seq"] + 1})
    before = await _api_bodies(bob, chat_id, sent["id"], media["id"])
    assert marker.encode() in before  # the search can find it
    assert marker.encode() in await _database_dump(settings)
    assert marker.encode() in _media_bytes(settings)

    clock.advance(5_000)
    for viewer in (alice, bob):
        assert marker.encode() not in await _api_bodies(viewer, chat_id, sent["id"], media["id"])
    assert await do_expire_due(app.state.ctx) >= 2  # the message, then its file

    for viewer in (alice, bob):
        assert marker.encode() not in await _api_bodies(viewer, chat_id, sent["id"], media["id"])
    assert marker.encode() not in await _database_dump(settings)
    assert marker.encode() not in _media_bytes(settings)
    assert marker not in caplog.text
