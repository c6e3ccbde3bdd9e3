"""Engines and transactions for SQLite (one node) and PostgreSQL (many nodes).

`Database.write()` is the only way to change data: one transaction, and callbacks that run
only after it committed (events leave the process only once they are durable).

SQLite runs inline on the event loop through the standard library driver. A statement on a
small local database takes microseconds, while handing each one to a driver thread (aiosqlite)
costs a thread switch per statement, which dominated the cost of a message. Writers queue on
an asyncio lock and share commits (`_GroupCommit`), and a semaphore bounds readers, so no
coroutine ever blocks the loop waiting for a connection; the commit itself runs on the loop
while fsyncs are fast (`CommitTiming`). PostgreSQL uses asyncpg as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import ClauseElement, Connection, Dialect, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.sql.compiler import SQLCompiler

from colletta.store.outages import connect_outage_of, outage_of, outages_raised
from colletta.store.wal import WalCheckpoints

AfterCommit = Callable[[], Awaitable[None]]
_SQLITE_READERS = 8
# What a 503/507 tells clients to wait before trying again, unless `Database` is told otherwise.
OUTAGE_RETRY_AFTER_S = 5


class WriterCache:
    """What the SQLite write connection has read, kept from one transaction to the next.

    One process owns a SQLite database and all its changes go through that one connection, so
    a row it read stays true until it changes the row itself. Every store function that
    changes a cached table calls `forget` in the same transaction. A writer rolled back after
    such a change, a failed commit, or a commit by another process (`PRAGMA data_version`: an
    admin command, say) empties the whole cache. Entries are grouped (by chat, say) so that
    one change can drop a group.
    """

    def __init__(self) -> None:
        self._groups: dict[Hashable, dict[Hashable, Any]] = {}
        self.changed = False  # by the current writer: its rollback must empty the cache

    def get(self, group: Hashable, key: Hashable) -> Any:
        entries = self._groups.get(group)
        return None if entries is None else entries.get(key)

    def put(self, group: Hashable, key: Hashable, value: Any) -> None:
        self._groups.setdefault(group, {})[key] = value

    def forget(self, group: Hashable, key: Hashable | None = None) -> None:
        """Drop one entry, or the whole group when `key` is None."""
        self.changed = True
        if key is None:
            self._groups.pop(group, None)
        elif (entries := self._groups.get(group)) is not None:
            entries.pop(key, None)

    def clear(self) -> None:
        self._groups.clear()


class Conn(Protocol):
    """What store functions need of a connection, on either dialect."""

    # The write connection's cache on SQLite; None on readers and on PostgreSQL, whose other
    # nodes change rows behind this one's back.
    writer_cache: WriterCache | None

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...

    async def scalar(self, statement: Any, parameters: Any = None) -> Any: ...


class Prepared:
    """A statement of the hot path, compiled once; on SQLite it runs straight on the driver.

    Executing a cached SQLAlchemy statement still costs several times the SQLite work of a
    small insert (cache key, parameter processing, result metadata). A prepared statement keeps
    SQLAlchemy's SQL and its type processing, and skips the rest. On PostgreSQL it is executed
    by SQLAlchemy as usual.
    """

    __slots__ = ("_sqlite", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._sqlite: _SqliteForm | None = None

    def sqlite_form(self, dialect: Dialect) -> _SqliteForm:
        if self._sqlite is None:
            self._sqlite = _SqliteForm(self.statement, dialect)
        return self._sqlite


class _SqliteForm:
    """SQL text, parameter order and row shape of a `Prepared` statement for SQLite."""

    __slots__ = ("_binds", "_row", "_row_processors", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._binds: list[tuple[str, Any, Any]] = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            assert not bind.expanding, "IN lists are not prepared"
            default = None if bind.required else bind.effective_value
            self._binds.append((name, default, bind.type._cached_bind_processor(dialect)))
        columns = compiled._result_columns or []
        self._row: Any = namedtuple("Row", [c.keyname for c in columns])  # type: ignore[misc]
        processors = [c.type._cached_result_processor(dialect, None) for c in columns]
        self._row_processors = processors if any(processors) else None

    def parameters(self, values: dict[str, Any] | None) -> list[Any]:
        values = values or {}
        out = []
        for name, default, process in self._binds:
            value = values.get(name, default) if default is not None else values[name]
            out.append(process(value) if process is not None else value)
        return out

    def rows(self, cursor: sqlite3.Cursor) -> list[Any]:
        make = self._row._make
        processors = self._row_processors
        if processors is None:
            return [make(row) for row in cursor.fetchall()]
        return [
            make(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
            for row in cursor.fetchall()
        ]


class RawResult:
    """The part of SQLAlchemy's `Result` that callers of prepared statements use."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None


class InlineConnection:
    """A synchronous SQLAlchemy connection behind the async `Conn` interface."""

    __slots__ = ("_dialect", "_raw", "_sync", "writer_cache")

    def __init__(
        self,
        sync: Connection,
        writer_cache: WriterCache | None = None,
        raw: sqlite3.Connection | None = None,
    ) -> None:
        self._sync = sync
        self._dialect = sync.dialect
        self._raw = raw  # given when the transaction is already open (the writer's)
        self.writer_cache = writer_cache

    def _run(self, prepared: Prepared, parameters: Any) -> RawResult:
        if self._raw is None:
            if not self._sync.in_transaction():
                self._sync.begin()  # one snapshot for the whole read, as SQLAlchemy would
            self._raw = self._sync.connection.driver_connection
            assert self._raw is not None
        form = prepared.sqlite_form(self._dialect)
        values = form.parameters(parameters)
        try:
            cursor = self._raw.execute(form.sql, values)
        except sqlite3.Error as exc:
            # The same exception classes as through SQLAlchemy (IntegrityError for a duplicate).
            raise DBAPIError.instance(
                form.sql, values, exc, sqlite3.Error, hide_parameters=True
            ) from exc
        try:
            return RawResult(form.rows(cursor), cursor.rowcount)
        finally:
            cursor.close()

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if type(statement) is Prepared:
            return self._run(statement, parameters)
        return self._sync.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        if type(statement) is Prepared:
            return self._run(statement, parameters).scalar()
        return self._sync.scalar(statement, parameters)


class AsyncConnectionAdapter:
    """A PostgreSQL connection behind `Conn`: prepared statements run through SQLAlchemy."""

    __slots__ = ("_conn",)
    writer_cache: WriterCache | None = None

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if type(statement) is Prepared:
            statement = statement.statement
        return await self._conn.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        if type(statement) is Prepared:
            statement = statement.statement
        return await self._conn.scalar(statement, parameters)


class Tx:
    """A writing transaction: its connection, and what to do once it has committed."""

    __slots__ = ("_after_commit", "conn")

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._after_commit: list[AfterCommit] = []

    def on_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def run_after_commit(self) -> None:
        """Once the transaction is durable: the callbacks, in the order they were added."""
        for callback in self._after_commit:
            await callback()


# A commit (its fsync) that takes this long or less runs on the event loop itself.
INLINE_COMMIT_MAX_S = 0.001


class CommitTiming:
    """Where the next commit runs: on the loop while the disk syncs fast, else in a thread.

    Handing a commit to a thread costs more than a fast fsync: the worker must be scheduled
    (on a busy machine, after whatever else runs; 0.6 ms on average under W1 on two cores) and
    the loop woken again, and the next batch waits for the lock all that time. A slow disk,
    though, would stall every request and socket for the length of each fsync, so once
    commits get slow they move to a thread until they are fast again.
    """

    def __init__(self, inline_max_s: float = INLINE_COMMIT_MAX_S) -> None:
        self._inline_max_s = inline_max_s
        self.recent_s = 0.0  # moving average of recent commits' durations

    @property
    def inline(self) -> bool:
        return self.recent_s <= self._inline_max_s

    def record(self, took_s: float) -> None:
        self.recent_s += (took_s - self.recent_s) * 0.2


def _timed_commit(conn: Connection) -> float:
    started = time.perf_counter()
    conn.commit()
    return time.perf_counter() - started


class _Writing:
    """`async with`: a Tx in the open batch's savepoint; on leaving, wait for the commit.

    A class rather than a generator-based context manager: this runs once per message."""

    __slots__ = ("_committed", "_group", "_tx")

    def __init__(self, group: _GroupCommit) -> None:
        self._group = group

    async def __aenter__(self) -> Tx:
        group = self._group
        await group._lock.acquire()
        try:
            self._committed = group._join()
        except BaseException:
            group._lock.release()
            raise
        self._tx = Tx(InlineConnection(group.writer_connection(), group.cache, group._raw))
        return self._tx

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object
    ) -> None:
        group = self._group
        try:
            try:
                group._leave(exc)
            finally:
                group._lock.release()
        except BaseException:
            await _settled(self._committed)
            raise
        if exc is not None:
            # What this writer collided with may sit in the same batch: let it commit first,
            # so that a caller who reads after the error sees it.
            await _settled(self._committed)
            if (outage := outage_of(exc, group.retry_after_s)) is not None:
                raise outage from exc
            return
        # Durable before anyone is told: the caller's events leave only after this.
        try:
            await asyncio.shield(self._committed)
        except Exception as failed:
            if (outage := outage_of(failed, group.retry_after_s)) is not None:
                raise outage from failed
            raise
        await self._tx.run_after_commit()


async def _settled(committed: asyncio.Future[None]) -> None:
    with contextlib.suppress(BaseException):
        await asyncio.shield(committed)


class _GroupCommit:
    """SQLite write transactions that start in the same loop turn share one commit.

    Each writer runs in its own SAVEPOINT (so its failure undoes only its own work) inside one
    SQLite transaction; a flusher commits once the writers already queued have run, and every
    writer waits for that commit before it returns. One fsync then serves many messages.
    """

    def __init__(self, engine: Engine, retry_after_s: int = OUTAGE_RETRY_AFTER_S) -> None:
        self._engine = engine
        self.retry_after_s = retry_after_s
        self._lock = asyncio.Lock()
        # The one write connection stays checked out: a pool checkout, reset and return per
        # batch cost several times what SQLite spends on the batch's statements.
        self._writer: Connection | None = None
        self._raw: sqlite3.Connection  # the driver connection under _writer, while it is open
        self._committed: asyncio.Future[None] | None = None  # set while a batch is open
        self._flusher: asyncio.Task[None] | None = None  # held so it is not collected
        self._checkpoints: list[asyncio.Future[bool]] = []  # run after the open batch commits
        self._commit_timing = CommitTiming()
        self.cache = WriterCache()
        self._data_version: int | None = None  # at the last batch, to see other processes' commits

    def _join(self) -> asyncio.Future[None]:
        """With the lock held: open a batch if none is, and a savepoint in it."""
        raw = self.raw_writer()
        if self._committed is None:
            loop = asyncio.get_running_loop()
            self.writer_connection().begin()
            self._see_other_writers(raw)
            self._committed = loop.create_future()
            self._flusher = loop.create_task(self._flush())
        # A fixed-name savepoint on the driver connection: SQLAlchemy's begin_nested()
        # compiles a fresh, uniquely named statement every time.
        raw.execute("SAVEPOINT writer")
        self.cache.changed = False
        return self._committed

    def _leave(self, failed: BaseException | None) -> None:
        """With the lock held: keep the writer's work in the batch, or undo it."""
        raw = self._raw
        if failed is None:
            raw.execute("RELEASE writer")
            return
        if not raw.in_transaction:
            self._abandon_batch(failed)
            return
        raw.execute("ROLLBACK TO writer")
        raw.execute("RELEASE writer")
        if self.cache.changed:
            self.cache.clear()  # it may hold what was just rolled back

    def _abandon_batch(self, failed: BaseException) -> None:
        """SQLite rolled the whole batch back (disk full, I/O error): every writer in it fails.

        Committing would succeed with nothing in it, and the writers that already left would
        announce work that is gone."""
        committed, self._committed = self._committed, None
        if committed is not None:
            self.writer_connection().rollback()  # SQLAlchemy still thinks a transaction is open
            if self._flusher is not None:
                self._flusher.cancel()
        self.cache.clear()
        for waiting in (committed, *self._checkpoints):
            if waiting is not None and not waiting.done():
                waiting.set_exception(failed)
        self._checkpoints.clear()

    async def checkpoint(self) -> bool:
        """One attempt to copy the WAL into the database file and truncate it, between write
        batches; False if a reader of an older snapshot kept it from finishing.

        With a batch open, the attempt rides on that batch's flush: waiting for a moment with
        no batch open could wait forever under a steady stream of writes.
        """
        async with self._lock:
            if self._committed is None:
                # No batch is open, and none can start while the lock is held.
                return await asyncio.to_thread(self._checkpoint)
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._checkpoints.append(done)
        return await done

    def _see_other_writers(self, raw: sqlite3.Connection) -> None:
        """Empty the cache if another connection committed since the last batch.

        Called inside the batch's transaction: holding the write lock, nobody else can commit
        until it ends."""
        version = raw.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self.cache.clear()
            self._data_version = version

    def writer_connection(self) -> Connection:
        """The write connection, opened on first use and kept."""
        if self._writer is None:
            self._writer = self._engine.connect()
            raw = self._writer.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            self._raw = raw
        return self._writer

    def raw_writer(self) -> sqlite3.Connection:
        """The driver connection under `writer_connection`."""
        if self._writer is None:
            self.writer_connection()
        return self._raw

    def _checkpoint(self) -> bool:
        """`wal_checkpoint(TRUNCATE)` without waiting; True if the WAL is now empty.

        It needs every reader off the WAL. Waiting for one (busy_timeout) would hold the write
        lock all the while: a backup or an admin shell holding a snapshot stalled every write
        for the whole timeout, and then the checkpoint gave up anyway."""
        raw = self.raw_writer()
        timeout_ms = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute("PRAGMA busy_timeout=0")
        try:
            busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            raw.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
        return not busy

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        # What the cache holds may not have been committed, and data_version is per connection.
        self.cache.clear()
        self._data_version = None

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # writers queued in this turn join the batch first
        async with self._lock:
            conn, committed = self.writer_connection(), self._committed
            self._committed = None
            assert committed is not None
            try:
                if self._commit_timing.inline:
                    took_s = _timed_commit(conn)
                else:
                    took_s = await asyncio.to_thread(_timed_commit, conn)
                self._commit_timing.record(took_s)
            except Exception as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                self.close()  # whatever broke the commit, the next batch starts on a new connection
                committed.set_exception(exc)
            else:
                committed.set_result(None)
            if self._checkpoints:
                waiting, self._checkpoints = self._checkpoints, []
                try:
                    emptied = await asyncio.to_thread(self._checkpoint)
                except Exception as exc:
                    for done in waiting:
                        if not done.done():  # its caller may have been cancelled
                            done.set_exception(exc)
                else:
                    for done in waiting:
                        if not done.done():
                            done.set_result(emptied)


class Database:
    def __init__(
        self,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        retry_after_s: int = OUTAGE_RETRY_AFTER_S,
    ) -> None:
        self.url = make_url(url)
        self.retry_after_s = retry_after_s
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            prepare_sqlite_file(url)
            sync_url = self.url.set(drivername="sqlite+pysqlite")
            # The lock of `_GroupCommit` keeps the one write connection to one thread at a time.
            self._sqlite_write = create_engine(
                sync_url,
                pool_size=1,
                max_overflow=0,
                connect_args={"check_same_thread": False},
                hide_parameters=True,
            )
            self._sqlite_read = create_engine(
                sync_url, pool_size=_SQLITE_READERS, max_overflow=0, hide_parameters=True
            )
            _configure_sqlite(self._sqlite_write, sqlite_synchronous, begin="BEGIN IMMEDIATE")
            _configure_sqlite(self._sqlite_read, sqlite_synchronous, begin="BEGIN")
            self._group_commit = _GroupCommit(self._sqlite_write, retry_after_s)
            self._wal = WalCheckpoints(self._group_commit.checkpoint)
            self._read_slots = asyncio.Semaphore(_SQLITE_READERS)
        else:
            self._async_engine = create_async_engine(
                url, pool_size=20, max_overflow=20, pool_pre_ping=True, hide_parameters=True
            )

    @property
    def sync_engine(self) -> Engine:
        """The engine writes go through, for SQLAlchemy event listeners (tests, metrics)."""
        return self._sqlite_write if self.is_sqlite else self._async_engine.sync_engine

    def write(self) -> AbstractAsyncContextManager[Tx]:
        """One transaction; after-commit callbacks run only if it committed."""
        if self.is_sqlite:
            return _Writing(self._group_commit)
        return self._write_postgres()

    @asynccontextmanager
    async def _write_postgres(self) -> AsyncIterator[Tx]:
        conn = await self._connect_postgres()
        # The close is inside too: giving back a connection the server dropped (its
        # rollback) fails like any query on it.
        with outages_raised(self.retry_after_s):
            try:
                async with conn.begin():
                    tx = Tx(AsyncConnectionAdapter(conn))
                    yield tx
            finally:
                await conn.close()
        await tx.run_after_commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """A read-only snapshot (one transaction, rolled back at the end)."""
        if self.is_sqlite:
            async with self._read_slots:
                with self._sqlite_read.connect() as sync_conn:
                    yield InlineConnection(sync_conn)
            return
        conn = await self._connect_postgres()
        with outages_raised(self.retry_after_s):
            try:
                yield AsyncConnectionAdapter(conn)
            finally:
                await conn.close()

    async def _connect_postgres(self) -> AsyncConnection:
        """A pooled connection; an unreachable server raises `Unavailable`, not a driver error."""
        try:
            return await self._async_engine.connect()
        except Exception as exc:
            if (outage := connect_outage_of(exc, self.retry_after_s)) is not None:
                raise outage from exc
            raise

    def sqlite_total_changes(self) -> int:
        """Rows written so far through the one SQLite write connection (tests, metrics).

        Prepared statements bypass SQLAlchemy's events, so this is how to count them."""
        assert self.is_sqlite
        return self._group_commit.raw_writer().total_changes

    async def checkpoint(self) -> bool:
        """After purges on SQLite: deleted bytes leave the WAL file too, now (True) or, if an
        outside reader holds an old snapshot, once it lets go (`store/wal.py`). Never makes
        writers wait. No-op on PostgreSQL."""
        if not self.is_sqlite:
            return True
        with outages_raised(self.retry_after_s):
            return await self._wal.checkpoint()

    async def checkpoint_settled(self) -> None:
        """Wait until no blocked checkpoint is being retried (tests, shutdown)."""
        if self.is_sqlite:
            await self._wal.settled()

    async def dispose(self) -> None:
        if self.is_sqlite:
            await self._wal.close()
            self._group_commit.close()
            self._sqlite_write.dispose()
            self._sqlite_read.dispose()
        else:
            await self._async_engine.dispose()


def _configure_sqlite(engine: Engine, synchronous: str, *, begin: str) -> None:
    @event.listens_for(engine, "connect")
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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # On the driver connection: exec_driver_sql would run SQLAlchemy's whole statement path.
        conn.connection.driver_connection.execute(begin)


# Messages, sessions and hashes live in these files: only Colletta's user reads them.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create `path` for this user only, or narrow it if it was made wider (by hand, or by an
    older version)."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR_MODE)


def prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does, and narrow an existing one (a no-op for
    other databases).

    SQLite gives the -wal and -shm files the database file's mode, so they follow it. A
    missing parent directory is made private; an existing one is the operator's to set,
    except the data directory (`make_private_dir`).
    """
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return
    assert database is not None
    path = Path(database)
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            name.chmod(PRIVATE_FILE_MODE)
