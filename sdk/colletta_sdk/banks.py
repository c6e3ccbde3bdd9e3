"""The hash-bank calls of `Client` (docs/trust-and-safety.md, "Hash banks"): the operator
creates banks, loads hash lists into them and turns banks or entries off; moderators read.

`import_list` sends a list of any length in parts under the server's body limit: a CSV part
repeats the header row, a TCAP list is sent as JSON arrays of its entries. Each part is one
change on the server, applied in order (a tombstone after its entry still removes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from colletta_sdk.wire import Transport, seg

PART_BYTES = 900_000  # under the server's default max_body_bytes (1 MiB)


@dataclass(frozen=True, slots=True)
class Bank:
    id: str
    name: str
    description: str
    enabled: bool
    created_at_ms: int
    entries: dict[str, int]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Bank:
        return cls(
            id=str(d["id"]),
            name=str(d["name"]),
            description=str(d.get("description", "")),
            enabled=bool(d["enabled"]),
            created_at_ms=int(d["created_at_ms"]),
            entries={str(k): int(v) for k, v in (d.get("entries") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import changed, summed over its parts."""

    bank: Bank
    added: int
    tombstoned: int
    unchanged: int
    skipped: int
    parts: int


def csv_parts(text: str, part_bytes: int = PART_BYTES) -> Iterator[str]:
    """The CSV's rows in parts of at most ~`part_bytes`, each starting with the header row."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines:
        return
    header, rows = lines[0], lines[1:]
    part: list[str] = []
    size = len(header)
    for row in rows:
        if part and size + len(row) > part_bytes:
            yield header + "".join(part)
            part, size = [], len(header)
        part.append(row)
        size += len(row)
    yield header + "".join(part)


def tcap_parts(text: str, part_bytes: int = PART_BYTES) -> Iterator[str]:
    """A TCAP list (API page, array or JSON lines) as JSON arrays of at most ~`part_bytes`."""
    text = text.strip()
    try:
        document = json.loads(text) if text else []
        items = document.get("results", []) if isinstance(document, dict) else document
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise ValueError("not a TCAP hash list (JSON)") from None
    part: list[str] = []
    size = 2
    for item in items:
        encoded = json.dumps(item, separators=(",", ":"))
        if part and size + len(encoded) + 1 > part_bytes:
            yield "[" + ",".join(part) + "]"
            part, size = [], 2
        part.append(encoded)
        size += len(encoded) + 1
    yield "[" + ",".join(part) + "]"


class BankMethods(Transport):
    """Mixed into `Client`, which supplies the transport (`Transport`)."""

    async def banks(self) -> list[Bank]:
        """Every bank with its live entry counts (the operator and moderators)."""
        body = await self._json("GET", "/banks")
        return [Bank.from_json(b) for b in body["banks"]]

    async def create_bank(self, name: str, description: str = "") -> Bank:
        body = {"name": name, "description": description}
        return Bank.from_json(await self._json("POST", "/banks", json=body))

    async def set_bank_enabled(self, bank_id: str, enabled: bool) -> Bank:
        action = "enable" if enabled else "disable"
        return Bank.from_json(await self._json("POST", f"/banks/{seg(bank_id)}/{action}"))

    async def add_bank_entry(self, bank_id: str, signal_type: str, value: str) -> Bank:
        body = {"signal_type": signal_type, "value": value}
        got = await self._json("POST", f"/banks/{seg(bank_id)}/entries", json=body)
        return Bank.from_json(got["bank"])

    async def bank_entries(
        self, bank_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a bank's entries and the cursor of the next (None: the last page)."""
        params = {"after": after, "limit": limit}
        got = await self._json("GET", f"/banks/{seg(bank_id)}/entries", params=params)
        return list(got["entries"]), got.get("next_after")

    async def set_bank_entry_enabled(self, entry_id: str, enabled: bool) -> dict[str, Any]:
        action = "enable" if enabled else "disable"
        return await self._json("POST", f"/bank-entries/{seg(entry_id)}/{action}")

    async def import_list(
        self, bank_id: str, fmt: str, text: str, *, part_bytes: int = PART_BYTES
    ) -> Imported:
        """Load a hash list (`fmt` csv or tcap) into a bank, in parts; totals of all parts."""
        if fmt not in ("csv", "tcap"):
            raise ValueError("fmt is csv or tcap")
        parts = csv_parts(text, part_bytes) if fmt == "csv" else tcap_parts(text, part_bytes)
        content_type = "text/csv" if fmt == "csv" else "application/json"
        totals = {"added": 0, "tombstoned": 0, "unchanged": 0, "skipped": 0}
        bank: Bank | None = None
        count = 0
        for part in parts:
            response = await self._request(
                "POST",
                f"/banks/{seg(bank_id)}/import",
                params={"format": fmt},
                headers={"Content-Type": content_type},
                content=part.encode("utf-8"),
            )
            got = response.json()
            bank = Bank.from_json(got["bank"])
            for key in totals:
                totals[key] += int(got[key])
            count += 1
        assert bank is not None
        return Imported(bank=bank, parts=count, **totals)
