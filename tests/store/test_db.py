"""The SQLite write path: group commit, and checkpoints that writers cannot starve."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from colletta.store.db import Database
from colletta.store.migrate import upgrade_to_head


async def test_a_checkpoint_is_not_starved_by_a_steady_stream_of_writes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await upgrade_to_head(url)
    db = Database(url)
    stop = asyncio.Event()
    flowing = asyncio.Event()
    batches = 0

    async def writer() -> None:
        nonlocal batches
        while not stop.is_set():
            async with db.write() as tx:
                await tx.conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
                await tx.conn.execute(text("INSERT INTO t VALUES (1)"))
            batches += 1
            if batches >= 20:
                flowing.set()

    writers = [asyncio.create_task(writer()) for _ in range(8)]
    try:
        await flowing.wait()  # from here a batch is open at almost every moment
        started = batches
        await asyncio.wait_for(db.checkpoint(), 10)  # starved, it would never return
        # It ran after the batch that was open, not after the writers stopped.
        assert batches - started < 8 * 3
        wal = tmp_path / "c.db-wal"
        assert not stop.is_set()
        assert wal.stat().st_size < 64 * 1024
    finally:
        stop.set()
        await asyncio.gather(*writers)
        await db.dispose()
