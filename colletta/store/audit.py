"""The audit log: appended under the head row's lock, read in order to verify."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert

from colletta.domain.audit import GENESIS_HASH, AuditEntry
from colletta.store.db import Conn
from colletta.store.schema import audit_head, audit_log

_HEAD_ID = 1


async def lock_head(conn: Conn) -> tuple[int, str]:
    """The last (seq, hash), row-locked until the transaction ends so appends from many
    nodes form one chain. The head row is created on first use."""
    await conn.execute(
        upsert(audit_head)
        .values(id=_HEAD_ID, seq=0, hash=GENESIS_HASH)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    row = (
        await conn.execute(
            select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == _HEAD_ID)
            .with_for_update()
        )
    ).first()
    return int(row.seq), str(row.hash)


async def append_entry(conn: Conn, entry: AuditEntry) -> None:
    await conn.execute(
        insert(audit_log).values(
            seq=entry.seq,
            at_ms=entry.at_ms,
            actor_id=entry.actor_id,
            action=entry.action,
            subject=entry.subject,
            subject_id=entry.subject_id,
            data=entry.data,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
    )
    await conn.execute(
        update(audit_head).where(audit_head.c.id == _HEAD_ID).values(seq=entry.seq, hash=entry.hash)
    )


async def get_head(conn: Conn) -> tuple[int, str] | None:
    row = (
        await conn.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == _HEAD_ID)
        )
    ).first()
    return (int(row.seq), str(row.hash)) if row and row.seq else None


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at_ms=row.at_ms,
        actor_id=row.actor_id,
        action=row.action,
        subject=row.subject,
        subject_id=row.subject_id,
        data=row.data,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


async def iter_entries(conn: Conn, page_size: int = 5_000) -> AsyncIterator[AuditEntry]:
    """Every entry in order, a page at a time (the log can be long)."""
    after = 0
    while True:
        rows = list(
            await conn.execute(
                select(audit_log)
                .where(audit_log.c.seq > after)
                .order_by(audit_log.c.seq)
                .limit(page_size)
            )
        )
        for row in rows:
            yield _entry(row)
        if len(rows) < page_size:
            return
        after = rows[-1].seq


async def list_entries(
    conn: Conn, *, subject: str | None, subject_id: str | None, before_seq: int | None, limit: int
) -> list[AuditEntry]:
    query = select(audit_log)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    if subject_id is not None:
        query = query.where(audit_log.c.subject_id == subject_id)
    if before_seq is not None:
        query = query.where(audit_log.c.seq < before_seq)
    rows = await conn.execute(query.order_by(audit_log.c.seq.desc()).limit(limit))
    return [_entry(row) for row in rows]
