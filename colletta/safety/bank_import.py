"""Reading hash lists an operator loads into a bank: CSV, and Tech Against Terrorism's TCAP
hash list (JSON).

Both give entries (signal type, value, the list's own id) and tombstones: an entry the list
marks deleted must stop matching, so it is returned with `deleted=True`. Entries of a type
Colletta does not match (SHA-512, TMK video hashes) are counted as skipped, not refused: a
list is loaded for what it can do here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import orjson

from colletta.errors import InvalidInput
from colletta.safety.pdq import SignalType, check_signal

MAX_ENTRIES = 2_000_000
_TYPE_COLUMNS = ("signal_type", "hash_type", "algorithm", "type")
_VALUE_COLUMNS = ("value", "hash", "hash_digest", "signal", "hash_value")
_ID_COLUMNS = ("external_id", "id")
_DELETED_COLUMNS = ("deleted", "removed", "tombstone", "tombstoned")
_TRUE = frozenset({"1", "true", "yes", "y", "t", "deleted", "removed"})
# Types lists publish that nothing here matches.
_KNOWN_ELSEWHERE = frozenset({"sha512", "sha1", "tmk", "vpdq", "photodna", "video_md5"})


@dataclass(frozen=True, slots=True)
class ImportEntry:
    signal_type: SignalType
    value: str
    external_id: str | None = None
    deleted: bool = False


@dataclass
class ParsedList:
    entries: list[ImportEntry] = field(default_factory=list)
    skipped: int = 0

    def add(self, kind: str, value: str, external_id: Any, deleted: Any, where: str) -> None:
        label = kind.strip().lower().replace("-", "")
        if label in _KNOWN_ELSEWHERE:
            self.skipped += 1
            return
        try:
            signal_type = SignalType.parse(label)
            value = check_signal(signal_type, value)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.detail}", field="file") from None
        if len(self.entries) >= MAX_ENTRIES:
            raise InvalidInput(f"a list holds at most {MAX_ENTRIES} entries", field="file")
        ident = None if external_id in (None, "") else str(external_id)[:128]
        self.entries.append(ImportEntry(signal_type, value, ident, _is_true(deleted)))


def _is_true(flag: Any) -> bool:
    if isinstance(flag, bool):
        return flag
    return flag is not None and str(flag).strip().lower() in _TRUE


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def parse_csv(text: str) -> ParsedList:
    """A CSV file with a header row naming `signal_type` and `value` (also `hash_type`,
    `algorithm`; `hash`, `hash_digest`), and optionally `external_id` (or `id`) and `deleted`
    (true/1/yes marks a tombstone)."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(rows, [])]
    kind_at, value_at = _column(header, _TYPE_COLUMNS), _column(header, _VALUE_COLUMNS)
    if kind_at is None or value_at is None:
        raise InvalidInput(
            "the first row must name the columns: signal_type,value[,external_id,deleted]",
            field="file",
        )
    id_at, deleted_at = _column(header, _ID_COLUMNS), _column(header, _DELETED_COLUMNS)
    parsed = ParsedList()
    for line, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        parsed.add(
            row[kind_at],
            row[value_at],
            None if id_at is None else row[id_at].strip(),
            None if deleted_at is None else row[deleted_at],
            f"line {line}",
        )
    return parsed


def parse_tcap(text: str) -> ParsedList:
    """The TCAP hash list: a page of its API (`{"count", "next", "checkpoint", "results":
    [...]}`), a JSON array of entries, or one entry per line (JSON Lines). An entry has
    `hash_digest`, `algorithm` (MD5, SHA256, SHA512, PDQ), `id` and `deleted`; its `ideology`,
    `file_type` and dates are not kept."""
    text = text.strip()
    items: list[Any]
    try:
        document = orjson.loads(text) if text else []
        items = document.get("results", []) if isinstance(document, dict) else document
    except orjson.JSONDecodeError:
        try:
            items = [orjson.loads(line) for line in text.splitlines() if line.strip()]
        except orjson.JSONDecodeError:
            raise InvalidInput("not a TCAP hash list (JSON)", field="file") from None
    if not isinstance(items, list):
        raise InvalidInput("not a TCAP hash list: no list of entries", field="file")
    parsed = ParsedList()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(f"entry {number} is not an object", field="file")
        kind, value = item.get("algorithm"), item.get("hash_digest")
        if not isinstance(kind, str) or not isinstance(value, str):
            raise InvalidInput(f"entry {number} has no algorithm or hash_digest", field="file")
        parsed.add(kind, value, item.get("id"), item.get("deleted"), f"entry {number}")
    return parsed


FORMATS = {"csv": parse_csv, "tcap": parse_tcap}


def parse_list(fmt: str, text: str) -> ParsedList:
    try:
        parser = FORMATS[fmt]
    except KeyError:
        raise InvalidInput("format must be csv or tcap", field="format") from None
    return parser(text)
