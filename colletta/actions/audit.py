"""The audit log of every moderation and operator action (DESIGN.md §5): append-only and
hash-chained, so `colletta admin verify-audit` finds an edited or removed entry."""

from __future__ import annotations

from typing import Any

from colletta.actions.callers import Caller, check_moderator
from colletta.actions.context import Context
from colletta.domain.audit import AuditEntry, ChainReport, canonical, entry_hash, verify_chain
from colletta.store import audit as store
from colletta.store.db import Tx

PAGE_MAX = 200


async def audit(
    ctx: Context,
    tx: Tx,
    *,
    actor_id: int | None,
    action: str,
    subject: str,
    subject_id: int | str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in `tx` (it commits or rolls back with the action it records).
    `actor_id` None is the system (screening, matching, the worker). Never put secrets or
    message bodies in `data`."""
    seq, prev_hash = await store.lock_head(tx.conn)
    seq += 1
    at_ms = ctx.clock.now_ms()
    body = canonical(data)
    subject_text = str(subject_id)
    entry = AuditEntry(
        seq=seq,
        at_ms=at_ms,
        actor_id=actor_id,
        action=action,
        subject=subject,
        subject_id=subject_text,
        data=body,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, seq, at_ms, actor_id, action, subject, subject_text, body),
    )
    await store.append_entry(tx.conn, entry)
    return entry


async def do_verify_audit(ctx: Context) -> ChainReport:
    """Walk the whole chain in one snapshot."""
    async with ctx.db.read() as conn:
        head = await store.get_head(conn)
        entries = [entry async for entry in store.iter_entries(conn)]
    return verify_chain(entries, head)


async def access_audit_log(
    ctx: Context,
    caller: Caller,
    *,
    subject: str | None = None,
    subject_id: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first, for moderators and the operator."""
    check_moderator(caller)
    async with ctx.db.read() as conn:
        entries = await store.list_entries(
            conn,
            subject=subject,
            subject_id=subject_id,
            before_seq=before_seq,
            limit=max(1, min(limit, PAGE_MAX)),
        )
    return [entry.view() for entry in entries]
