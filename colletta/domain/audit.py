"""The audit log's hash chain: each entry's hash covers its fields and the previous hash.

Editing an entry changes its hash; removing one breaks the next entry's `prev_hash`; editing
and re-hashing one breaks the link to the next. `verify_chain` names the first broken entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at_ms: int
    actor_id: int | None
    action: str
    subject: str
    subject_id: str
    data: str  # canonical JSON, as stored
    prev_hash: str
    hash: str

    def view(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at_ms": self.at_ms,
            "actor_id": None if self.actor_id is None else str(self.actor_id),
            "action": self.action,
            "subject": self.subject,
            "subject_id": self.subject_id,
            "data": orjson.loads(self.data),
            "hash": self.hash,
        }


def canonical(data: dict[str, Any] | None) -> str:
    return orjson.dumps(data or {}, option=orjson.OPT_SORT_KEYS).decode()


def entry_hash(
    prev_hash: str,
    seq: int,
    at_ms: int,
    actor_id: int | None,
    action: str,
    subject: str,
    subject_id: str,
    data: str,
) -> str:
    fields = [prev_hash, seq, at_ms, actor_id, action, subject, subject_id, data]
    return hashlib.sha256(orjson.dumps(fields)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    head_hash: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(entries: Iterable[AuditEntry], head: tuple[int, str] | None) -> ChainReport:
    """Check every entry's hash and link, their sequence, and that the chain ends at `head`
    (seq, hash): a removed last entry is caught by the head, which every append updates."""
    problems: list[str] = []
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq}: missing (next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            problems.append(f"entry {entry.seq}: does not follow the entry before it")
        computed = entry_hash(
            entry.prev_hash,
            entry.seq,
            entry.at_ms,
            entry.actor_id,
            entry.action,
            entry.subject,
            entry.subject_id,
            entry.data,
        )
        if computed != entry.hash:
            problems.append(f"entry {entry.seq}: edited (its hash does not match its fields)")
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    head_seq, head_hash = head if head is not None else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        problems.append(
            f"the chain ends at entry {expected_seq - 1} but the head says {head_seq}: "
            "entries were removed from the end"
        )
    return ChainReport(count, prev_hash, tuple(problems))
