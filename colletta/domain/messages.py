"""Messages: size limits, the small safe markup, reactions, and how a message is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from colletta.errors import InvalidInput

TEXT_MAX_CHARS = 4096
CLIENT_TXN_ID_MAX_CHARS = 64
EDIT_WINDOW_MS = 48 * 3600 * 1000
HISTORY_PAGE_MAX = 100
REACTIONS = frozenset({"👍", "👎", "❤️", "🔥", "🎉", "😂", "😮", "😢", "🙏", "👀"})

# Markup is parsed into entities that point into the text; clients render entities, never HTML,
# so nothing a sender writes can inject markup.
_MARKUP = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<bold>\*[^*\n]+\*)"
    r"|(?P<italic>(?<![\w])_[^_\n]+_(?![\w]))"
    r"|(?P<link>https?://[^\s<>\"]+)"
    r"|(?P<mention>(?<![\w@])@[a-z0-9_]{3,32}\b)",
    re.IGNORECASE,
)


def check_text(text: str) -> str:
    if not text.strip():
        raise InvalidInput("text must not be empty", field="text")
    if len(text) > TEXT_MAX_CHARS:
        raise InvalidInput(f"text must be at most {TEXT_MAX_CHARS} characters", field="text")
    if "\x00" in text:
        raise InvalidInput("text must not contain NUL characters", field="text")
    return text


def check_client_txn_id(client_txn_id: str) -> str:
    if not 1 <= len(client_txn_id) <= CLIENT_TXN_ID_MAX_CHARS or not client_txn_id.isprintable():
        raise InvalidInput(
            f"client_txn_id must be 1–{CLIENT_TXN_ID_MAX_CHARS} printable characters",
            field="client_txn_id",
        )
    return client_txn_id


def check_reaction(emoji: str) -> str:
    if emoji not in REACTIONS:
        raise InvalidInput("emoji must be one of " + " ".join(sorted(REACTIONS)), field="emoji")
    return emoji


def parse_entities(text: str) -> list[dict[str, Any]]:
    """Spans of bold, italic, code, link and mention, as offsets into `text`."""
    entities: list[dict[str, Any]] = []
    for match in _MARKUP.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        entity: dict[str, Any] = {
            "type": kind,
            "offset": match.start(),
            "length": match.end() - match.start(),
        }
        if kind == "mention":
            entity["username"] = match.group()[1:].lower()
        entities.append(entity)
    return entities


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    chat_id: int
    seq: int
    sender_id: int
    author_signature: str | None
    text: str | None
    entities: list[dict[str, Any]]
    reply_to_id: int | None
    forward: dict[str, str] | None
    reactions: dict[str, int]
    edited_at_ms: int | None
    deleted: bool
    created_at_ms: int

    def view(self, *, show_sender: bool = True) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "chat_id": str(self.chat_id),
            "seq": self.seq,
            "sender_id": str(self.sender_id) if show_sender else None,
            "author_signature": self.author_signature,
            "text": self.text,
            "entities": self.entities,
            "reply_to_id": str(self.reply_to_id) if self.reply_to_id is not None else None,
            "forward": self.forward,
            "reactions": self.reactions,
            "edited_at_ms": self.edited_at_ms,
            "deleted": self.deleted,
            "created_at_ms": self.created_at_ms,
        }
