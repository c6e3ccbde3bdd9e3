"""This node's copy of every hash bank, in memory, kept within seconds of the database.

Every bank change stamps the rows it touched with the next bank version (store.banks). A node
asks for the version at most every `REFRESH_MS` of its clock (before a match, and from the
matcher worker), and when it moved on reads only the rows stamped past the version it holds:
a new entry matches, and a disabled one stops matching, on every node within a few seconds.
The node that made a change refreshes as soon as it commits and announces it on the bus
(`BANKS_TOPIC`), so the others look again at their next match.
"""

from __future__ import annotations

import asyncio

from colletta.domain.banks import BankEntry
from colletta.safety.hash_index import Entry, Hit, MatchIndex
from colletta.safety.pdq import FileSignals, SignalType
from colletta.store import banks as store
from colletta.store.db import Database

REFRESH_MS = 2_000
# A bank change is announced here after it commits: every node looks again at its next match
# instead of up to REFRESH_MS later. The poll stays: the bus may drop.
BANKS_TOPIC = "hash-banks"
# Past this many changes since the last build, building afresh (in a thread) beats scanning
# the changes linearly on every match.
REBUILD_AT = 20_000


def _entry(row: BankEntry) -> Entry:
    return Entry(row.id, row.bank_id, SignalType(row.signal_type), row.value)


class Matcher:
    """The in-memory index of this node, and the bank version it reflects."""

    def __init__(self) -> None:
        self.index: MatchIndex | None = None
        self.version = -1
        self.checked_at_ms: int | None = None
        self._lock = asyncio.Lock()
        # Set when a change was announced (tests wait on it); cleared by the next refresh.
        self.announced = asyncio.Event()

    def invalidate(self) -> None:
        """Another node changed a bank: the next match catches up first."""
        self.checked_at_ms = None
        self.announced.set()

    def is_fresh(self, now_ms: int) -> bool:
        checked = self.checked_at_ms
        return checked is not None and 0 <= now_ms - checked < REFRESH_MS

    async def refresh(self, db: Database, now_ms: int, *, force: bool = False) -> None:
        """Catch up with the banks if the last look is older than REFRESH_MS (or `force`).
        Unforced, it does not wait for a catch-up already under way (a rebuild of a large
        bank takes seconds): uploads go on with the index as it is until it is done."""
        if not force and (
            self.is_fresh(now_ms) or (self._lock.locked() and self.index is not None)
        ):
            return
        async with self._lock:
            if not force and self.is_fresh(now_ms):
                return
            self.announced.clear()
            await self._catch_up(db)
            self.checked_at_ms = now_ms

    async def _catch_up(self, db: Database) -> None:
        # The version is read first: rows read after it may be newer still, and are applied
        # again next time (applying is idempotent), never missed.
        async with db.read() as conn:
            version = await store.get_version(conn)
            if version == self.version and self.index is not None:
                return
            enabled = {bank.id for bank in await store.list_banks(conn) if bank.enabled}
            since = 0 if self.index is None else self.version
            changed = await store.entries_changed_since(conn, since)
            index = self.index
            if index is not None and index.pending + len(changed) > REBUILD_AT:
                changed, index = await store.entries_changed_since(conn, 0), None
        if index is None:
            live = [_entry(row) for row in changed if row.live]
            self.index = await asyncio.to_thread(MatchIndex.build, live, enabled)
        else:
            index.apply(
                [_entry(row) for row in changed if row.live],
                [row.id for row in changed if not row.live],
            )
            index.enabled_banks = frozenset(enabled)
        self.version = version

    def match(self, signals: FileSignals) -> list[Hit]:
        """Live entries of enabled banks that the file matches: its MD5 or SHA-256 exactly,
        or its PDQ hash (of quality ≥ 50) within distance 31."""
        index = self.index
        if index is None:
            return []
        hits = index.match_exact(SignalType.MD5, signals.md5)
        hits += index.match_exact(SignalType.SHA256, signals.sha256)
        if signals.pdq is not None and signals.pdq.matchable:
            hits += index.match_pdq(signals.pdq.hex)
        return hits
