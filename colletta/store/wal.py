"""Emptying SQLite's WAL after a purge, without ever making writers wait for a reader.

Purged content is overwritten in the database file (`secure_delete`), but the WAL still holds
the frames written before the purge until a TRUNCATE checkpoint empties it. That needs every
reader off the WAL: an outside reader holding an old snapshot (a backup, an admin's sqlite3
shell) blocks it for as long as it likes. So one attempt never waits (see
`_GroupCommit._checkpoint`), and a blocked checkpoint is retried in the background, with
backoff, until the reader lets go.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from colletta.clock import Backoff
from colletta.log import get_logger

log = get_logger(__name__)

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 30.0


class WalCheckpoints:
    """Checkpoint now if possible, else keep retrying. A checkpoint still blocked at its first
    retry is logged once (our own short reads may block one attempt), and so is its success."""

    def __init__(
        self,
        attempt: Callable[[], Awaitable[bool]],
        *,
        retry_first_s: float = RETRY_FIRST_S,
        retry_max_s: float = RETRY_MAX_S,
    ) -> None:
        self._attempt = attempt  # one checkpoint that never waits: True if the WAL is empty
        self._retry_first_s = retry_first_s
        self._retry_max_s = retry_max_s
        self._retrying: asyncio.Task[None] | None = None
        self._pending = False  # purged content may still be in the WAL
        self._wake = asyncio.Event()
        self._closing = False

    @property
    def pending(self) -> bool:
        """A checkpoint was blocked and none has succeeded since."""
        return self._pending

    async def checkpoint(self) -> bool:
        """Empty the WAL now (True), or, if a reader holds it back, as soon as it lets go."""
        if await self._attempt():
            if self._pending:
                self._pending = False
                self._wake.set()  # the retrying task ends
            return True
        self._pending = True
        if self._retrying is None:
            self._retrying = asyncio.get_running_loop().create_task(self._retry())
        return False

    async def _retry(self) -> None:
        backoff = Backoff(self._retry_max_s, first_s=self._retry_first_s)
        warned = False
        try:
            while True:
                # Never cancelled mid-attempt (the attempt runs on the write connection):
                # `close` and a successful `checkpoint` stop the loop through `_wake`.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), backoff.next_s())
                self._wake.clear()
                if self._closing:
                    return
                if not self._pending:
                    break  # a checkpoint asked for meanwhile succeeded
                try:
                    if await self._attempt():
                        self._pending = False
                        break
                except Exception:
                    log.exception("WAL checkpoint failed; retrying")
                if not warned:
                    warned = True
                    log.warning(
                        "WAL checkpoint blocked by a reader holding an old snapshot (a backup "
                        "or an open sqlite3 shell?); purged content stays in the WAL until it "
                        "lets go. Retrying in the background."
                    )
            if warned:
                log.info("WAL checkpoint done: purged content has left the WAL")
        finally:
            self._retrying = None

    async def settled(self) -> None:
        """Wait until no blocked checkpoint is being retried."""
        if self._retrying is not None:
            await asyncio.shield(self._retrying)

    async def close(self) -> None:
        """Stop retrying (after the attempt under way, if any)."""
        if self._retrying is not None:
            self._closing = True
            self._wake.set()
            await self.settled()
