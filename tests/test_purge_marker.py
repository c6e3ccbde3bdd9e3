"""The guarantee: once expired and purged, a message and its attachment are nowhere.

A unique marker goes into a message's text, its edit history and an attachment. After expiry
(fake clock) and the purge, the marker is searched for through the API, in a dump of the
database, in the raw bytes of the database files (SQLite: main file, WAL and shared memory),
in every file of the media directory, and in the logs.
"""

from __future__ import annotations

import asyncio
import contextlib
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


async def _api_bodies(
    person: Person,
    chat_id: str,
    message_id: str,
    *,
    media_id: str | None = None,
    media_status: int = 200,
    edits_status: int = 200,
) -> bytes:
    """Every answer that could carry the message, each checked to be the answer it should be:
    an error body would pass any marker check."""
    base = f"/api/v1/chats/{chat_id}"
    calls = [
        (200, f"{base}/messages", {}),
        (200, f"{base}/messages/{message_id}", {}),
        (edits_status, f"{base}/messages/{message_id}/edits", {}),
        (200, "/api/v1/sync", {"params": {"cursors": f"{chat_id}:0"}}),
        (200, "/api/v1/chats", {}),
    ]
    if media_id is not None:
        calls.append((media_status, f"{base}/media/{media_id}", {}))
    bodies = []
    for status, path, kwargs in calls:
        response = await person.call("GET", path, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.text)
        bodies.append(response.content)
    return b"".join(bodies)


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
    # Closed at once: an outside connection left open would hold back the next checkpoint.
    with contextlib.closing(sqlite3.connect(path)) as conn:
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
    # Bob, a member, may not see edit history; Alice, the group's owner, may (not in a direct chat).
    alice_edits = 200 if kind == "chat timer" else 403
    ids = (chat_id, sent["id"])
    before = await _api_bodies(alice, *ids, media_id=media["id"], edits_status=alice_edits)
    assert marker.encode() in before  # the search can find it
    if kind == "chat timer":
        edits = await alice.ok("GET", f"{path}/edits")
        assert marker in edits["edits"][0]["text"]  # the pre-edit text, in the edit history
    assert marker.encode() in await _api_bodies(bob, *ids, media_id=media["id"], edits_status=403)
    assert marker.encode() in await _database_dump(settings)
    assert marker.encode() in _media_bytes(settings)

    async def nowhere_in_the_api() -> None:
        gone = {"media_id": media["id"], "media_status": 404}
        alice_sees = await _api_bodies(
            alice, *ids, **gone, edits_status=404 if alice_edits == 200 else 403
        )
        assert marker.encode() not in alice_sees
        assert marker.encode() not in await _api_bodies(bob, *ids, **gone, edits_status=403)

    clock.advance(5_000)
    await nowhere_in_the_api()
    assert await do_expire_due(app.state.ctx) >= 2  # the message, then its file

    await nowhere_in_the_api()
    assert marker.encode() not in await _database_dump(settings)
    assert marker.encode() not in _media_bytes(settings)
    assert marker not in caplog.text


async def test_a_message_deleted_for_everyone_is_nowhere_right_after_the_delete(
    person: MakePerson, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """No sweep, no timer: the answer to the delete is the moment the text must be gone."""
    caplog.set_level(logging.DEBUG)
    marker = f"MARKER{secrets.token_hex(8)}"
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    sent = await alice.ok(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": f"first {marker}", "client_txn_id": "m1"},
    )
    path = f"/api/v1/chats/{chat_id}/messages/{sent['id']}"
    await alice.ok("PATCH", path, json={"text": f"edited {marker}"})
    await alice.ok("PATCH", path, json={"text": f"again {marker}"})
    await bob.ok("PUT", f"{path}/reactions/%F0%9F%91%8D")
    edits = await alice.ok("GET", f"{path}/edits")
    assert [marker in e["text"] for e in edits["edits"]] == [True, True]
    assert marker.encode() in await _api_bodies(alice, chat_id, sent["id"])
    assert marker.encode() in await _database_dump(settings)

    deleted = await alice.call("DELETE", path)
    assert deleted.status_code == 204, deleted.text

    assert marker.encode() not in await _api_bodies(alice, chat_id, sent["id"])
    assert marker.encode() not in await _api_bodies(bob, chat_id, sent["id"], edits_status=403)
    assert (await alice.ok("GET", f"{path}/edits"))["edits"] == []
    assert marker.encode() not in await _database_dump(settings)
    assert marker not in caplog.text


async def test_a_reader_holding_an_old_snapshot_delays_no_write_and_the_wal_empties_later(
    person: MakePerson,
    app: Any,
    settings: Any,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A backup or an admin's sqlite3 shell holds a read transaction across a purge: the
    checkpoint cannot empty the WAL then, and writes must not wait for it to try."""
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("the WAL is SQLite's")
    caplog.set_level(logging.INFO, logger="colletta.store.wal")
    marker = f"MARKER{secrets.token_hex(8)}"
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    await alice.ok("PUT", f"/api/v1/chats/{chat_id}/message-ttl", json={"message_ttl_s": 5})
    sent = await alice.ok(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": f"first {marker}", "client_txn_id": "m1"},
    )
    await alice.ok("PATCH", f"/api/v1/chats/{chat_id}/messages/{sent['id']}", json={"text": "x"})
    await alice.ok(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": f"second {marker}", "client_txn_id": "m2"},
    )
    path = settings.data_dir / "colletta.db"

    def logged(text: str) -> list[str]:
        return [r.getMessage() for r in caplog.records if text in r.getMessage()]

    warned = asyncio.Event()

    class Warned(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "blocked" in record.getMessage():
                warned.set()

    watcher = Warned()
    logging.getLogger("colletta.store.wal").addHandler(watcher)
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as reader:
            reader.execute("BEGIN")
            assert reader.execute("SELECT count(*) FROM messages").fetchone()[0] == 2
            clock.advance(5_000)
            assert await do_expire_due(app.state.ctx) == 2  # answered; its checkpoint was blocked
            await warned.wait()  # and the background retry was blocked too
            # A write goes through meanwhile.
            written = await alice.ok(
                "POST",
                f"/api/v1/chats/{chat_id}/messages",
                json={"text": "written while the reader holds its snapshot", "client_txn_id": "m3"},
            )
            assert marker.encode() in _sqlite_dump_and_files(path)  # the reader needs its frames
            # Deleting for everyone asks for a checkpoint too: still blocked, answered at once.
            deleted = await alice.call(
                "DELETE", f"/api/v1/chats/{chat_id}/messages/{written['id']}"
            )
            assert deleted.status_code == 204
            assert (len(logged("blocked")), logged("checkpoint done")) == (1, [])  # logged once
            reader.execute("ROLLBACK")
    finally:
        logging.getLogger("colletta.store.wal").removeHandler(watcher)
    await app.state.ctx.db.checkpoint_settled()
    assert len(logged("checkpoint done")) == 1
    assert marker.encode() not in await _database_dump(settings)
