"""Messages: size limits, the small safe markup, reactions, and how a message is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from colletta.domain.text import check_line, check_multiline
from colletta.errors import InvalidInput

TEXT_MAX_CHARS = 4096
CLIENT_TXN_ID_MAX_CHARS = 64
EDIT_WINDOW_MS = 48 * 3600 * 1000
HISTORY_PAGE_MAX = 100
ATTACHMENTS_MAX = 10
# Self-destruct (direct chats): from 5 seconds to a week, as in Signal and Telegram.
SELF_DESTRUCT_MIN_S = 5
SELF_DESTRUCT_MAX_S = 7 * 86_400
# Chat auto-delete timer: any value from 5 seconds to a year (clients offer 1 day, 1 week, 1 month).
CHAT_TTL_MIN_S = 5
CHAT_TTL_MAX_S = 366 * 86_400
REACTION_MAX_CHARS = 16
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
# Every kind of entity needs one of these, so text without any of them has none.
_MARKUP_SIGNS = re.compile(r"[`*_@]|://")


def check_text(text: str) -> str:
    return check_multiline(text, "text", TEXT_MAX_CHARS, min_chars=1)


def check_client_txn_id(client_txn_id: str, field: str = "client_txn_id") -> str:
    """A client's idempotency key: a retry with the same key is the same request."""
    if not 1 <= len(client_txn_id) <= CLIENT_TXN_ID_MAX_CHARS or not client_txn_id.isprintable():
        raise InvalidInput(
            f"{field} must be 1–{CLIENT_TXN_ID_MAX_CHARS} printable characters", field=field
        )
    return client_txn_id


def check_attachments(media_ids: list[int]) -> list[int]:
    if len(media_ids) > ATTACHMENTS_MAX or len(set(media_ids)) != len(media_ids):
        raise InvalidInput(
            f"attachments must be at most {ATTACHMENTS_MAX} different uploads", field="attachments"
        )
    return media_ids


def check_self_destruct(seconds: int) -> int:
    if not SELF_DESTRUCT_MIN_S <= seconds <= SELF_DESTRUCT_MAX_S:
        raise InvalidInput(
            f"self_destruct_s must be {SELF_DESTRUCT_MIN_S}–{SELF_DESTRUCT_MAX_S} seconds",
            field="self_destruct_s",
        )
    return seconds


def check_chat_ttl(seconds: int | None) -> int | None:
    """The auto-delete timer of a chat: None (off) or 5 seconds to a year."""
    if seconds is not None and not CHAT_TTL_MIN_S <= seconds <= CHAT_TTL_MAX_S:
        raise InvalidInput(
            f"message_ttl_s must be null (off) or {CHAT_TTL_MIN_S}–{CHAT_TTL_MAX_S} seconds",
            field="message_ttl_s",
        )
    return seconds


def check_reaction(emoji: str) -> str:
    if emoji not in REACTIONS:
        check_line(emoji, "emoji", REACTION_MAX_CHARS)  # NUL and the like: the common message
        raise InvalidInput("emoji must be one of " + " ".join(sorted(REACTIONS)), field="emoji")
    return emoji


def parse_entities(text: str) -> list[dict[str, Any]]:
    """Spans of bold, italic, code, link and mention, as offsets into `text`."""
    entities: list[dict[str, Any]] = []
    if not _MARKUP_SIGNS.search(text):
        return entities  # most messages are plain text; the full pattern costs ~15 µs each
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


def expired_for(
    viewer_id: int,
    now_ms: int,
    *,
    sender_id: int,
    expires_at_ms: int | None,
    expires_after_read_s: int | None,
    read_expires_at_ms: int | None,
) -> bool:
    """`Message.expired_for`, for callers holding only the timer columns (event replay)."""
    is_sender = viewer_id == sender_id
    past = expires_at_ms is not None and now_ms >= expires_at_ms
    if past and (is_sender or expires_after_read_s is None):
        return True
    read_past = read_expires_at_ms is not None and now_ms >= read_expires_at_ms
    return not is_sender and read_past


def tombstone_view(view: dict[str, Any]) -> dict[str, Any]:
    """A message view (as logged in events) with its content gone."""
    return {
        **view,
        "text": None,
        "entities": [],
        "reactions": {},
        "attachments": [],
        "deleted": True,
    }


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
    forward: dict[str, str | None] | None
    reactions: dict[str, int]
    edited_at_ms: int | None
    deleted: bool
    created_at_ms: int
    attachments: list[dict[str, Any]] = field(default_factory=list)
    expires_at_ms: int | None = None
    expires_after_read_s: int | None = None
    read_expires_at_ms: int | None = None
    view_once: bool = False

    def expired_for(self, viewer_id: int, now_ms: int) -> bool:
        """Whether `viewer_id` may no longer see this message's content.

        A chat timer (`expires_at_ms` without `expires_after_read_s`) expires it for everyone.
        A self-destruct expires the sender's copy at `expires_at_ms` (counted from sending)
        and the reader's at `read_expires_at_ms` (counted from reading). A view-once message
        is gone for its reader from the first open (`read_expires_at_ms`).
        """
        return expired_for(
            viewer_id,
            now_ms,
            sender_id=self.sender_id,
            expires_at_ms=self.expires_at_ms,
            expires_after_read_s=self.expires_after_read_s,
            read_expires_at_ms=self.read_expires_at_ms,
        )

    def purge_due_ms(self) -> int | None:
        """When no copy is left to show, so the content can be purged everywhere; None while
        a self-destructing message waits for its reader."""
        if self.expires_after_read_s is not None:
            if self.read_expires_at_ms is None or self.expires_at_ms is None:
                return None
            return max(self.expires_at_ms, self.read_expires_at_ms)
        dues = [t for t in (self.expires_at_ms, self.read_expires_at_ms) if t is not None]
        return min(dues) if dues else None

    def view_for(self, viewer_id: int, now_ms: int, *, show_sender: bool = True) -> dict[str, Any]:
        """The view `viewer_id` may see now: a tombstone once expired for them, whether or not
        the purge has run yet."""
        view = self.view(show_sender=show_sender)
        return tombstone_view(view) if self.expired_for(viewer_id, now_ms) else view

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
            "attachments": self.attachments,
            "expires_at_ms": self.expires_at_ms,
            "expires_after_read_s": self.expires_after_read_s,
            "read_expires_at_ms": self.read_expires_at_ms,
            "view_once": self.view_once,
        }
