"""Engines and transactions for SQLite (one node) and PostgreSQL (many nodes).

`Database.write()` is the only way to change data: one transaction, and callbacks that run
only after it committed (events leave the process only once they are durable).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

AfterCommit = Callable[[], Awaitable[None]]


class Tx:
    """A writing transaction: its connection, and what to do once it has committed."""

    __slots__ = ("_after_commit", "conn")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after_commit: list[AfterCommit] = []

    def on_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            # SQLite has one writer at a time. A single pooled write connection turns that into
            # a fair in-process queue instead of busy errors; reads use their own connections
            # and see WAL snapshots without waiting for the writer.
            self._write_engine = create_async_engine(url, pool_size=1, max_overflow=0)
            self._read_engine = create_async_engine(url, pool_size=8, max_overflow=8)
            _configure_sqlite(self._write_engine, sqlite_synchronous, begin="BEGIN IMMEDIATE")
            _configure_sqlite(self._read_engine, sqlite_synchronous, begin="BEGIN")
        else:
            engine = create_async_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
            self._write_engine = self._read_engine = engine

    @property
    def engine(self) -> AsyncEngine:
        return self._write_engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One transaction; after-commit callbacks run only if it committed."""
        async with self._write_engine.begin() as conn:
            tx = Tx(conn)
            yield tx
        for callback in tx._after_commit:
            await callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only snapshot (one transaction, rolled back at the end)."""
        async with self._read_engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self._write_engine.dispose()
        if self._read_engine is not self._write_engine:
            await self._read_engine.dispose()


def _configure_sqlite(engine: AsyncEngine, synchronous: str, *, begin: str) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten in the file, not just unlinked from the b-tree.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)
