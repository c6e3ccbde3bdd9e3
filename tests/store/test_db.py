"""The SQLite write path: group commit, and checkpoints that writers cannot starve."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from colletta.domain.chats import ChatKind, Role
from colletta.store import chats as chat_store
from colletta.store import db as db_module
from colletta.store import users as user_store
from colletta.store.db import Database
from colletta.store.migrate import upgrade_to_head


async def test_a_checkpoint_is_not_starved_by_a_steady_stream_of_writes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await upgrade_to_head(url)
    db = Database(url)
    # The writers stop by themselves after this many batches: a starved checkpoint would
    # return only then.
    stopped = asyncio.Event()
    flowing = asyncio.Event()
    batches = 0

    async def writer() -> None:
        nonlocal batches
        while not stopped.is_set():
            async with db.write() as tx:
                await tx.conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
                await tx.conn.execute(text("INSERT INTO t VALUES (1)"))
            batches += 1
            if batches >= 20:
                flowing.set()
            if batches >= 5_000:
                stopped.set()

    writers = [asyncio.create_task(writer()) for _ in range(8)]
    try:
        await flowing.wait()  # from here a batch is open at almost every moment
        started = batches
        assert await asyncio.wait_for(db.checkpoint(), 10)  # emptied; starved, never returns
        # It ran after the batch that was open, not after the writers stopped.
        assert not stopped.is_set()
        assert batches - started < 8 * 3
        wal = tmp_path / "c.db-wal"
        assert wal.stat().st_size < 64 * 1024
    finally:
        stopped.set()
        await asyncio.gather(*writers)
        await db.dispose()


async def test_commits_leave_the_event_loop_while_the_disk_is_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fast fsync is cheaper on the loop than a thread hop; a slow one would stall every
    request and socket, so slow commits move to a thread until commits are fast again."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await upgrade_to_head(url)
    db = Database(url)
    disk_slow = True
    on_loop: list[bool] = []
    real_commit = db_module._timed_commit

    def commit(conn: Connection) -> float:
        on_loop.append(threading.current_thread() is threading.main_thread())
        real_commit(conn)
        # What the disk took, as the policy sees it: fixed, so this machine's disk doesn't count.
        return 0.05 if disk_slow else 0.0002

    monkeypatch.setattr(db_module, "_timed_commit", commit)

    async def write() -> None:
        async with db.write() as tx:
            await tx.conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            await tx.conn.execute(text("INSERT INTO t VALUES (1)"))

    try:
        await write()
        await write()
        assert on_loop == [True, False]
        disk_slow = False
        for _ in range(40):
            await write()
        assert on_loop[-1] is True  # fast again: back on the loop
        async with db.read() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM t")) == 42
    finally:
        await db.dispose()


async def test_a_writer_rolled_back_after_a_change_leaves_nothing_in_the_cache(
    tmp_path: Path,
) -> None:
    """A writer that changed a member, read it back through the cache, then failed: the
    cached row was never committed, so the next writer must not see it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await upgrade_to_head(url)
    db = Database(url)

    async def role() -> Role:
        async with db.write() as tx:
            found = await chat_store.get_chat_and_member(tx.conn, 1, 2, cached=True)
            assert found is not None
            assert found[1] is not None
            return found[1].role

    try:
        async with db.write() as tx:
            await user_store.insert_user(
                tx.conn,
                user_id=2,
                username="bob",
                display_name="Bob",
                password_hash="-",
                is_operator=False,
                now_ms=0,
            )
            await chat_store.insert_chat(
                tx.conn,
                chat_id=1,
                kind=ChatKind.GROUP,
                title="G",
                description="",
                is_public=False,
                signed_posts=False,
                now_ms=0,
            )
            await chat_store.insert_member(
                tx.conn, chat_id=1, user_id=2, role=Role.MEMBER, now_ms=0, read_seq=0
            )
        assert await role() is Role.MEMBER  # cached from here on

        class Refused(Exception):
            pass

        async def promote_then_fail() -> None:
            async with db.write() as tx:
                await chat_store.update_member(tx.conn, 1, 2, role=int(Role.ADMIN))
                found = await chat_store.get_chat_and_member(tx.conn, 1, 2, cached=True)
                assert found is not None
                assert found[1] is not None
                assert found[1].role is Role.ADMIN
                raise Refused

        with pytest.raises(Refused):
            await promote_then_fail()
        assert await role() is Role.MEMBER
    finally:
        await db.dispose()
