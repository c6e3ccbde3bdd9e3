"""Hash banks, their entries, the version counter nodes poll, and the hashes of uploads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.sql.elements import ColumnElement

from colletta.domain.banks import Bank, BankEntry
from colletta.ids import new_id
from colletta.store.db import Conn
from colletta.store.schema import hash_bank_entries, hash_bank_versions, hash_banks, media_hashes

_B = hash_banks.c
_E = hash_bank_entries.c
_INSERT_BATCH = 5_000


def _bank(row: Any) -> Bank:
    return Bank(**{c.name: getattr(row, c.name) for c in hash_banks.columns})


def _entry(row: Any) -> BankEntry:
    return BankEntry(**{c.name: getattr(row, c.name) for c in hash_bank_entries.columns})


async def get_version(conn: Conn) -> int:
    return int(await conn.scalar(select(hash_bank_versions.c.version)) or 0)


async def bump_version(conn: Conn) -> int:
    """The next version, under the counter's row lock until the transaction ends (the row
    is made by the first change)."""
    statement = upsert(hash_bank_versions).values(id=1, version=1)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={"version": hash_bank_versions.c.version + 1}
        )
    )
    return await get_version(conn)


async def insert_bank(conn: Conn, bank: Bank) -> None:
    await conn.execute(insert(hash_banks).values({c.name: getattr(bank, c.name) for c in _B}))


async def get_bank(conn: Conn, bank_id: int) -> Bank | None:
    row = (await conn.execute(select(hash_banks).where(_B.id == bank_id))).first()
    return _bank(row) if row else None


async def get_bank_by_name(conn: Conn, name: str) -> Bank | None:
    row = (await conn.execute(select(hash_banks).where(_B.name == name))).first()
    return _bank(row) if row else None


async def list_banks(conn: Conn) -> list[Bank]:
    return [_bank(row) for row in await conn.execute(select(hash_banks).order_by(_B.name))]


async def count_entries(conn: Conn) -> dict[int, dict[str, int]]:
    """Per bank: live entries by signal type, and how many are disabled or tombstoned."""
    live = and_(_E.enabled, ~_E.tombstoned)
    rows = await conn.execute(
        select(_E.bank_id, _E.signal_type, live.label("live"), func.count()).group_by(
            _E.bank_id, _E.signal_type, live
        )
    )
    counts: dict[int, dict[str, int]] = {}
    for bank_id, signal_type, is_live, n in rows:
        key = signal_type if is_live else "inactive"
        bank = counts.setdefault(bank_id, {})
        bank[key] = bank.get(key, 0) + n
    return counts


async def set_bank_enabled(conn: Conn, bank_id: int, enabled: bool, version: int) -> None:
    await conn.execute(
        update(hash_banks).where(_B.id == bank_id).values(enabled=enabled, changed_version=version)
    )


async def add_entries(
    conn: Conn, bank_id: int, rows: Sequence[tuple[str, str, str | None]], now_ms: int, version: int
) -> int:
    """Entries (signal type, value, external id) that are new to the bank, live; those already
    in it become live again (re-enabled, un-tombstoned). Returns how many rows changed."""
    changed = 0
    for start in range(0, len(rows), _INSERT_BATCH):
        batch = rows[start : start + _INSERT_BATCH]
        statement = upsert(hash_bank_entries).values(
            [
                {
                    "id": new_id(),
                    "bank_id": bank_id,
                    "signal_type": kind,
                    "value": value,
                    "external_id": external_id,
                    "enabled": True,
                    "tombstoned": False,
                    "added_at_ms": now_ms,
                    "changed_version": version,
                }
                for kind, value, external_id in batch
            ]
        )
        result = await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["bank_id", "signal_type", "value"],
                set_={"enabled": True, "tombstoned": False, "changed_version": version},
                where=or_(~_E.enabled, _E.tombstoned),
            )
        )
        changed += result.rowcount
    return changed


async def tombstone_entries(
    conn: Conn,
    bank_id: int,
    rows: Sequence[tuple[str, str, str | None]],
    version: int,
) -> int:
    """Entries a list marked deleted, found by value or by the list's own id."""
    changed = 0
    for start in range(0, len(rows), _INSERT_BATCH):
        batch = rows[start : start + _INSERT_BATCH]
        values = [(kind, value) for kind, value, _ in batch]
        ids = [external_id for _, _, external_id in batch if external_id is not None]
        match: ColumnElement[bool] = tuple_(_E.signal_type, _E.value).in_(values)
        if ids:
            match = or_(match, _E.external_id.in_(ids))
        result = await conn.execute(
            update(hash_bank_entries)
            .where(_E.bank_id == bank_id, ~_E.tombstoned, match)
            .values(tombstoned=True, changed_version=version)
        )
        changed += result.rowcount
    return changed


async def get_entry(conn: Conn, entry_id: int) -> BankEntry | None:
    row = (await conn.execute(select(hash_bank_entries).where(_E.id == entry_id))).first()
    return _entry(row) if row else None


async def set_entry_enabled(conn: Conn, entry_id: int, enabled: bool, version: int) -> None:
    await conn.execute(
        update(hash_bank_entries)
        .where(_E.id == entry_id)
        .values(enabled=enabled, changed_version=version)
    )


async def list_entries(
    conn: Conn, bank_id: int, after_id: int | None, limit: int
) -> list[BankEntry]:
    query = select(hash_bank_entries).where(_E.bank_id == bank_id)
    if after_id is not None:
        query = query.where(_E.id > after_id)
    rows = await conn.execute(query.order_by(_E.id).limit(limit))
    return [_entry(row) for row in rows]


async def entries_changed_since(conn: Conn, version: int) -> list[BankEntry]:
    """Every entry stamped past `version` (all of them from 0), live or not."""
    rows = await conn.execute(select(hash_bank_entries).where(_E.changed_version > version))
    return [_entry(row) for row in rows]


async def insert_media_hashes(
    conn: Conn, media_id: int, md5: str, sha256: str, pdq: str | None, pdq_quality: int | None
) -> None:
    await conn.execute(
        insert(media_hashes).values(
            media_id=media_id, md5=md5, sha256=sha256, pdq=pdq, pdq_quality=pdq_quality
        )
    )


async def get_media_hashes(
    conn: Conn, media_ids: Sequence[int]
) -> dict[int, tuple[str, str, str | None, int | None]]:
    rows = await conn.execute(select(media_hashes).where(media_hashes.c.media_id.in_(media_ids)))
    return {row.media_id: (row.md5, row.sha256, row.pdq, row.pdq_quality) for row in rows}
