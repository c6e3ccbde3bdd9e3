"""Removal orders (EU Regulation 2021/784, "TCO") and the preservation of what they remove.

An order names an authority, its reference, its reasons, the time it was received and the
exact items to remove. Executing it removes every item for everyone at once; the confirmation
record (Art. 3(6)) says what was removed and when. Removed content is preserved (Art. 6) for
`preservation_period_s`, in a store nothing serves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from colletta.errors import Conflict, InvalidInput

# TCO Art. 3(3): an order is executed within one hour of its receipt.
LEGAL_LIMIT_MS = 3_600_000
AUTHORITY_MAX_CHARS = 200
REFERENCE_MAX_CHARS = 200
REASONS_MAX_CHARS = 4_000
ITEMS_MAX = 1_000
ID_MAX = 2**63 - 1
# TCO Art. 11(3): the uploader is not told for as long as the authority decides, at most six
# weeks from that decision; it may renew it for six weeks more where justified.
SECRECY_MAX_S = 6 * 7 * 86_400


def iso_time(ms: int) -> str:
    """A time as a person reads it in a statement: 2026-12-02 13:05:00 UTC."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class ItemKind(enum.Enum):
    MESSAGE = "message"
    MEDIA = "media"


class ItemOutcome(enum.Enum):
    REMOVED = "removed"
    # Gone before the order arrived (deleted, expired): nothing left to remove or preserve.
    ALREADY_GONE = "already_gone"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class OrderItem:
    kind: ItemKind
    id: int

    def ref(self) -> str:
        return f"{self.kind.value}:{self.id}"


def parse_item(ref: str) -> OrderItem:
    """`message:<id>` or `media:<id>`."""
    kind, _, raw = ref.strip().partition(":")
    try:
        item_kind = ItemKind(kind)
    except ValueError:
        raise InvalidInput(
            f"an item is message:<id> or media:<id>, not {ref[:80]!r}", field="items"
        ) from None
    if not raw.isdigit() or not 1 <= int(raw) <= ID_MAX:
        raise InvalidInput(f"{kind}: needs a numeric id, not {raw[:40]!r}", field="items")
    return OrderItem(item_kind, int(raw))


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order as the operator types it in, checked."""

    authority: str
    reference: str
    reasons: str
    items: tuple[OrderItem, ...]
    received_at_ms: int
    notify: bool
    secret_for_s: int | None  # with notify False: how long the uploader is not told


def _text(value: str, name: str, max_chars: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{name} is required", field=name)
    if len(value) > max_chars:
        raise InvalidInput(f"{name} must be at most {max_chars} characters", field=name)
    return value


def check_order(
    *,
    authority: str,
    reference: str,
    reasons: str,
    items: list[str],
    received_at_ms: int,
    now_ms: int,
    notify: bool,
    secret_for_s: int | None = None,
) -> OrderRequest:
    """An order to register: every field present, items parsed and without repeats, and
    received no later than now (an order is registered after it arrives); an order that
    says not to tell the uploader says for how long (default and at most six weeks)."""
    if not items:
        raise InvalidInput("an order names at least one item", field="items")
    if len(items) > ITEMS_MAX:
        raise InvalidInput(f"at most {ITEMS_MAX} items per order", field="items")
    parsed = tuple(dict.fromkeys(parse_item(ref) for ref in items))
    if received_at_ms > now_ms:
        raise InvalidInput("received_at is in the future", field="received_at")
    if received_at_ms < 0:
        raise InvalidInput("received_at is before 1970", field="received_at")
    return OrderRequest(
        authority=_text(authority, "authority", AUTHORITY_MAX_CHARS),
        reference=_text(reference, "reference", REFERENCE_MAX_CHARS),
        reasons=_text(reasons, "reasons", REASONS_MAX_CHARS),
        items=parsed,
        received_at_ms=received_at_ms,
        notify=notify,
        secret_for_s=_check_secret_for_s(notify, secret_for_s),
    )


def _check_secret_for_s(notify: bool, secret_for_s: int | None) -> int | None:
    if notify:
        if secret_for_s is not None:
            raise InvalidInput(
                "secret_for_s is for an order that says not to notify", field="secret_for_s"
            )
        return None
    if secret_for_s is None:
        return SECRECY_MAX_S
    if not 1 <= secret_for_s <= SECRECY_MAX_S:
        raise InvalidInput(
            f"the uploader is not told for at most six weeks ({SECRECY_MAX_S} s) at a time",
            field="secret_for_s",
        )
    return secret_for_s


def check_secrecy_extension(
    until_ms: int, *, secret_until_ms: int | None, told_at_ms: int | None, now_ms: int
) -> int:
    """A renewed non-disclosure (Art. 11(3)): while the uploader is still not told, later than
    the current end, and at most six weeks from now (the authority's renewal)."""
    if told_at_ms is not None or secret_until_ms is None:
        raise SecrecyOver("the uploaders were told already: there is nothing to extend")
    if until_ms <= secret_until_ms:
        raise InvalidInput("the new end must be later than the current one", field="until_ms")
    if until_ms > now_ms + SECRECY_MAX_S * 1000:
        raise InvalidInput(
            "a renewal lasts at most six weeks from now (TCO Art. 11(3))", field="until_ms"
        )
    return until_ms


class SecrecyOver(Conflict):
    type = "secrecy_over"
    title = "The uploaders were told already"


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What executing an order did to one item (the confirmation record's lines)."""

    item: OrderItem
    outcome: ItemOutcome
    chat_id: int | None = None
    message_id: int | None = None
    uploader_id: int | None = None
    removed_at_ms: int | None = None
    # The ORDER case opened and decided for it (removed items only).
    case_id: int | None = None

    def view(self) -> dict[str, Any]:
        return {
            "item": self.item.ref(),
            "outcome": self.outcome.value,
            "chat_id": _id(self.chat_id),
            "message_id": _id(self.message_id),
            "removed_at_ms": self.removed_at_ms,
        }

    def data(self) -> dict[str, Any]:
        return {**self.view(), "uploader_id": _id(self.uploader_id), "case_id": _id(self.case_id)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ItemResult:
        return cls(
            item=parse_item(data["item"]),
            outcome=ItemOutcome(data["outcome"]),
            chat_id=_int(data.get("chat_id")),
            message_id=_int(data.get("message_id")),
            uploader_id=_int(data.get("uploader_id")),
            removed_at_ms=data.get("removed_at_ms"),
            case_id=_int(data.get("case_id")),
        )


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class RemovalOrder:
    id: int
    authority: str
    reference: str
    reasons: str
    items: tuple[OrderItem, ...]
    received_at_ms: int
    registered_at_ms: int
    registered_by: int | None
    notify: bool
    executed_at_ms: int | None
    results: tuple[ItemResult, ...] = field(default=())
    # notify False: when the uploaders are told after all (Art. 11(3)); and when they were.
    secret_until_ms: int | None = None
    told_at_ms: int | None = None

    @property
    def execution_ms(self) -> int | None:
        """Received → executed: what the one-hour limit is measured on."""
        if self.executed_at_ms is None:
            return None
        return self.executed_at_ms - self.received_at_ms

    def confirmation(self) -> dict[str, Any]:
        """The Art. 3(6) record for the authority: what was removed, and when."""
        return {
            "order_id": str(self.id),
            "authority": self.authority,
            "reference": self.reference,
            "received_at_ms": self.received_at_ms,
            "executed_at_ms": self.executed_at_ms,
            "execution_ms": self.execution_ms,
            "within_legal_limit": self.execution_ms is not None
            and self.execution_ms <= LEGAL_LIMIT_MS,
            "items": [result.view() for result in self.results],
        }

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "authority": self.authority,
            "reference": self.reference,
            "reasons": self.reasons,
            "items": [item.ref() for item in self.items],
            "received_at_ms": self.received_at_ms,
            "registered_at_ms": self.registered_at_ms,
            "registered_by": _id(self.registered_by),
            "notify": self.notify,
            "secret_until_ms": self.secret_until_ms,
            "told_at_ms": self.told_at_ms,
            "executed_at_ms": self.executed_at_ms,
            "execution_ms": self.execution_ms,
            "case_ids": [str(r.case_id) for r in self.results if r.case_id is not None],
            "confirmation": self.confirmation(),
        }


class PreservedKind(enum.Enum):
    MESSAGE = "message"
    MEDIA = "media"


@dataclass(frozen=True, slots=True)
class Preserved:
    """A copy kept for the authorities: metadata and text in the database, files in the hold
    store. Never served to users."""

    id: int
    kind: PreservedKind
    chat_id: int
    message_id: int | None
    media_id: int | None
    # Why: "order" (a removal order), "hash_match", … and what asked for it.
    reason: str
    order_id: int | None
    case_id: int | None
    preserved_at_ms: int
    until_ms: int
    data: dict[str, Any]
    file_keys: tuple[str, ...]

    def view(self) -> dict[str, Any]:
        """What the operator sees in a list: never the content itself."""
        return {
            "id": str(self.id),
            "kind": self.kind.value,
            "chat_id": str(self.chat_id),
            "message_id": _id(self.message_id),
            "media_id": _id(self.media_id),
            "reason": self.reason,
            "order_id": _id(self.order_id),
            "case_id": _id(self.case_id),
            "preserved_at_ms": self.preserved_at_ms,
            "until_ms": self.until_ms,
            "files": len(self.file_keys),
        }


def check_extension(until_ms: int, current_until_ms: int, now_ms: int) -> int:
    """A new end for a preservation: later than the current one (it is only ever extended)."""
    if until_ms <= current_until_ms or until_ms <= now_ms:
        raise InvalidInput("a preservation is only extended: give a later end", field="until")
    return until_ms
