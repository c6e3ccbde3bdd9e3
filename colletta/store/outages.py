"""Which database failures are outages (503, 507) rather than bugs (500).

A database that cannot be reached, or a disk that is full, is not a bug in Colletta: the
client should try again later, and the operator needs one line in the log, not a traceback
per request. Everything else (a constraint, bad SQL) stays what it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from colletta.errors import ColettaError, InsufficientStorage, Unavailable

# SQLSTATE classes of PostgreSQL that mean "not now": connection exception (08), insufficient
# resources (53: too many connections), operator intervention (57: shutdown, starting up,
# statement cancelled).
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57")
_PG_DISK_FULL = "53100"


def outage_of(exc: BaseException, retry_after_s: int) -> ColettaError | None:
    """The 503/507 error `exc` stands for, or None when it is not an outage."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(cause, sqlite3.Error):
        # Extended codes (SQLITE_FULL has none today) keep the primary code in the low byte.
        if getattr(cause, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL:
            return InsufficientStorage("the database's disk is full", retry_after_s)
        return None
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == _PG_DISK_FULL:
        return InsufficientStorage("the database's disk is full", retry_after_s)
    if (isinstance(exc, DBAPIError) and exc.connection_invalidated) or (
        isinstance(sqlstate, str) and sqlstate[:2] in _PG_UNAVAILABLE_CLASSES
    ):
        return Unavailable("the database is unreachable", retry_after_s)
    return None


def connect_outage_of(exc: BaseException, retry_after_s: int) -> ColettaError | None:
    """Like `outage_of`, for errors raised while opening a connection.

    An OSError counts only here, where it is the driver failing to reach the server; inside
    a transaction it may be a file's error (media), which is not the database's."""
    if isinstance(exc, OSError):  # refused, reset, unreachable, timed out
        return Unavailable("the database is unreachable", retry_after_s)
    return outage_of(exc, retry_after_s)


@contextmanager
def outages_raised(retry_after_s: int) -> Iterator[None]:
    """A lost connection or a full disk leaves the block as `Unavailable`/`InsufficientStorage`."""
    try:
        yield
    except (DBAPIError, sqlite3.Error) as exc:
        if (outage := outage_of(exc, retry_after_s)) is not None:
            raise outage from exc
        raise
