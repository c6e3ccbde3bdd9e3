"""Hash banks, as the operator keeps them: create, enable, disable, add entries, import a
list (CSV, TCAP), disable an entry. Only the operator changes them; moderators may read them;
anyone else is told they do not exist. Every change bumps the bank version, so every node's
matcher picks it up within seconds (actions.hash_matcher), this node's at once.
"""

from __future__ import annotations

from typing import Any

from colletta.actions.audit import audit
from colletta.actions.callers import Caller, check_moderator
from colletta.actions.context import Context
from colletta.actions.hash_matcher import BANKS_TOPIC
from colletta.domain.banks import (
    ENTRIES_PAGE_MAX,
    Bank,
    check_bank_description,
    check_bank_name,
)
from colletta.domain.cases import Subject
from colletta.domain.pot_admin import check_operator
from colletta.errors import Conflict, InvalidInput, NotFound
from colletta.ids import new_id
from colletta.safety.bank_import import ImportEntry, ParsedList, parse_list
from colletta.safety.pdq import SignalType, check_signal
from colletta.store import banks as store
from colletta.store.db import Conn, Tx


def _no_such_bank() -> NotFound:
    return NotFound("no such bank")


def check_bank_keeper(caller: Caller) -> None:
    """Only the operator changes banks (403 for a moderator, 404 for anyone else)."""
    check_moderator(caller)
    check_operator(caller.user.is_operator)


async def _load_bank(conn: Conn, bank_id: int) -> Bank:
    bank = await store.get_bank(conn, bank_id)
    if bank is None:
        raise _no_such_bank()
    return bank


def _refresh_after(ctx: Context, tx: Tx) -> None:
    """This node matches with the change as soon as it commits; the others are told."""

    async def refresh() -> None:
        await ctx.bus.publish(BANKS_TOPIC, b"")
        await ctx.matcher.refresh(ctx.db, ctx.clock.now_ms(), force=True)

    tx.on_commit(refresh)


async def _view(conn: Conn, bank: Bank) -> dict[str, Any]:
    counts = await store.count_entries(conn)
    return bank.view(counts.get(bank.id, {}))


async def access_banks(ctx: Context, caller: Caller) -> dict[str, Any]:
    """Every bank with its entry counts, and the bank version."""
    check_moderator(caller)  # moderators and the operator read banks
    async with ctx.db.read() as conn:
        banks = await store.list_banks(conn)
        counts = await store.count_entries(conn)
        version = await store.get_version(conn)
    return {"banks": [b.view(counts.get(b.id, {})) for b in banks], "version": version}


async def access_bank_entries(
    ctx: Context, caller: Caller, bank_id: int, after: int | None, limit: int
) -> dict[str, Any]:
    check_moderator(caller)  # moderators and the operator read banks
    limit = max(1, min(limit, ENTRIES_PAGE_MAX))
    async with ctx.db.read() as conn:
        await _load_bank(conn, bank_id)
        entries = await store.list_entries(conn, bank_id, after, limit)
    return {
        "entries": [e.view() for e in entries],
        "next_after": str(entries[-1].id) if len(entries) == limit else None,
    }


async def do_create_bank(
    ctx: Context, caller: Caller, name: str, description: str = ""
) -> dict[str, Any]:
    check_bank_keeper(caller)
    name, description = check_bank_name(name), check_bank_description(description)
    async with ctx.db.write() as tx:
        if await store.get_bank_by_name(tx.conn, name) is not None:
            raise Conflict("a bank of that name exists", field="name")
        version = await store.bump_version(tx.conn)
        bank = Bank(
            id=new_id(),
            name=name,
            description=description,
            enabled=True,
            created_by=caller.user_id,
            created_at_ms=ctx.clock.now_ms(),
            changed_version=version,
        )
        await store.insert_bank(tx.conn, bank)
        await _audit(ctx, tx, caller, "bank.created", bank.id, {"name": name})
        _refresh_after(ctx, tx)
        return bank.view()


async def do_set_bank_enabled(
    ctx: Context, caller: Caller, bank_id: int, enabled: bool
) -> dict[str, Any]:
    """Enable or disable a whole bank: its entries match, or stop matching, everywhere."""
    check_bank_keeper(caller)
    async with ctx.db.write() as tx:
        bank = await _load_bank(tx.conn, bank_id)
        if bank.enabled != enabled:
            version = await store.bump_version(tx.conn)
            await store.set_bank_enabled(tx.conn, bank.id, enabled, version)
            action = "bank.enabled" if enabled else "bank.disabled"
            await _audit(ctx, tx, caller, action, bank.id, {"name": bank.name})
            _refresh_after(ctx, tx)
        return await _view(tx.conn, await _load_bank(tx.conn, bank_id))


async def do_import_entries(
    ctx: Context, caller: Caller, bank_id: int, parsed: ParsedList, *, source: str
) -> dict[str, Any]:
    """Add a list's entries to a bank (those it has become live again) and apply its
    tombstones (entries it marks deleted stop matching). One transaction, one version."""
    check_bank_keeper(caller)
    live = {(e.signal_type.value, e.value): e.external_id for e in parsed.entries if not e.deleted}
    dead = {(e.signal_type.value, e.value): e.external_id for e in parsed.entries if e.deleted}
    for key in dead:
        live.pop(key, None)  # a list that adds and then deletes an entry deleted it
    async with ctx.db.write() as tx:
        bank = await _load_bank(tx.conn, bank_id)
        version = await store.bump_version(tx.conn)
        added = await store.add_entries(
            tx.conn, bank.id, [(k, v, i) for (k, v), i in live.items()], ctx.clock.now_ms(), version
        )
        removed = await store.tombstone_entries(
            tx.conn, bank.id, [(k, v, i) for (k, v), i in dead.items()], version
        )
        summary = {
            "source": source,
            "added": added,
            "tombstoned": removed,
            "unchanged": len(live) - added,
            "skipped": parsed.skipped,
        }
        await _audit(ctx, tx, caller, "bank.imported", bank.id, {"name": bank.name, **summary})
        _refresh_after(ctx, tx)
        return {"bank": await _view(tx.conn, await _load_bank(tx.conn, bank_id)), **summary}


async def do_import_list(
    ctx: Context, caller: Caller, bank_id: int, fmt: str, text: str
) -> dict[str, Any]:
    """Import a hash list file: `fmt` is csv or tcap (safety.bank_import)."""
    check_bank_keeper(caller)
    return await do_import_entries(ctx, caller, bank_id, parse_list(fmt, text), source=fmt)


async def do_add_entry(
    ctx: Context, caller: Caller, bank_id: int, signal_type: str, value: str
) -> dict[str, Any]:
    """Add one entry by hand."""
    check_bank_keeper(caller)
    kind = SignalType.parse(signal_type)
    parsed = ParsedList([ImportEntry(kind, check_signal(kind, value))])
    return await do_import_entries(ctx, caller, bank_id, parsed, source="manual")


async def do_set_entry_enabled(
    ctx: Context, caller: Caller, entry_id: int, enabled: bool
) -> dict[str, Any]:
    """Disable one entry (a false positive), or enable it again."""
    check_bank_keeper(caller)
    async with ctx.db.write() as tx:
        entry = await store.get_entry(tx.conn, entry_id)
        if entry is None:
            raise NotFound("no such entry")
        if entry.tombstoned and enabled:
            raise InvalidInput("its list deleted this entry; import it again instead")
        if entry.enabled != enabled:
            version = await store.bump_version(tx.conn)
            await store.set_entry_enabled(tx.conn, entry.id, enabled, version)
            action = "bank_entry.enabled" if enabled else "bank_entry.disabled"
            await _audit(ctx, tx, caller, action, entry.id, {"bank_id": str(entry.bank_id)})
            _refresh_after(ctx, tx)
        entry = await store.get_entry(tx.conn, entry_id)
        assert entry is not None
        return entry.view()


async def _audit(
    ctx: Context, tx: Tx, caller: Caller, action: str, subject_id: int, data: dict[str, Any]
) -> None:
    await audit(
        ctx,
        tx,
        actor_id=caller.user_id,
        action=action,
        subject=Subject.BANK.value,
        subject_id=subject_id,
        data=data,
    )
