"""Hash banks: named lists of known content (hashes) that media is matched against
(DESIGN.md §5, media). No storage here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from colletta.domain.text import check_multiline
from colletta.errors import Forbidden, InvalidInput

BANK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
BANK_DESCRIPTION_MAX_CHARS = 1024
ENTRIES_PAGE_MAX = 500


class MediaBlocked(Forbidden):
    """A file matched a hash bank: it is not delivered (403)."""

    type = "media_blocked"
    title = "Media blocked"


def check_bank_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not BANK_NAME_RE.fullmatch(cleaned):
        raise InvalidInput(
            "a bank name is 1-64 characters of a-z, 0-9, '_', '-' and '.'", field="name"
        )
    return cleaned


def check_bank_description(description: str) -> str:
    return check_multiline(description, "description", BANK_DESCRIPTION_MAX_CHARS)


@dataclass(frozen=True, slots=True)
class Bank:
    id: int
    name: str
    description: str
    enabled: bool
    created_by: int | None
    created_at_ms: int
    changed_version: int

    def view(self, counts: dict[str, int] | None = None) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "created_at_ms": self.created_at_ms,
            "entries": counts or {},
        }


@dataclass(frozen=True, slots=True)
class BankEntry:
    id: int
    bank_id: int
    signal_type: str
    value: str
    external_id: str | None
    enabled: bool
    tombstoned: bool
    added_at_ms: int
    changed_version: int

    @property
    def live(self) -> bool:
        return self.enabled and not self.tombstoned

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "bank_id": str(self.bank_id),
            "signal_type": self.signal_type,
            "value": self.value,
            "external_ref": self.external_id,
            "enabled": self.enabled,
            "tombstoned": self.tombstoned,
            "added_at_ms": self.added_at_ms,
        }
