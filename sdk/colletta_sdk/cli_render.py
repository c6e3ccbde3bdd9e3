"""How the CLI prints messages: one line each, safe for a terminal.

Everything a sender controls (text, names, file names) goes through `clean`, so a message
cannot drive the terminal with escape sequences.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from colletta_sdk.client import Client
from colletta_sdk.errors import ApiError
from colletta_sdk.models import Chat, Media, Message

_KEEP = {"\n", "\t"}
_UNITS = (("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("min", 60))


def clean(text: str) -> str:
    """Strip control characters so a message cannot drive the terminal (ANSI escapes)."""
    return "".join(ch for ch in text if ch in _KEEP or not unicodedata.category(ch).startswith("C"))


def format_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def format_size(size_bytes: int) -> str:
    """1023 B, 1.0 KiB, 12.3 MiB, …"""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    value = float(size_bytes)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def format_duration(seconds: int) -> str:
    """The largest whole unit: 2w, 30d, 1h, 5min, 45s."""
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def attachment_label(media: Media) -> str:
    return f"📎 {clean(media.filename)} ({format_size(media.size_bytes)}, id {media.id})"


def marks(message: Message) -> list[str]:
    """The timer and view-once marks of a message."""
    out: list[str] = []
    timer_s = message.timer_s
    if timer_s is not None:
        out.append(f"⏱ {format_duration(timer_s)}")
    if message.view_once:
        out.append("👁 view once")
    return out


BLOCKED = "(from a user you blocked)"


def body(message: Message) -> str:
    """Text, attachments and marks of a live message; `(deleted)` for a tombstone."""
    if message.from_blocked:
        return BLOCKED
    if message.deleted or message.text is None:
        return "(deleted)"
    parts = [clean(message.text)] if message.text else []
    if parts and message.edited_at_ms is not None:
        parts[0] += " (edited)"
    parts.extend(attachment_label(m) for m in message.attachments)
    parts.extend(marks(message))
    return " ".join(parts)


def preview(message: Message | None, width: int = 60) -> str:
    if message is None:
        return ""
    if message.from_blocked:
        return BLOCKED
    if message.deleted or message.text is None:
        return "(deleted)"
    text = " ".join(clean(message.text).split())
    if not text and message.attachments:
        text = ", ".join("📎 " + clean(m.filename) for m in message.attachments)
    return text if len(text) <= width else text[: width - 1] + "…"


class Names:
    """Display names of a chat's members, for printing messages."""

    MAX = 1000  # a big channel's member list is not worth walking for a tail

    def __init__(self, client: Client, chat: Chat) -> None:
        self._client = client
        self._chat = chat
        self._names: dict[str, str] = {}

    async def load(self) -> None:
        try:
            async for member in self._client.iter_members(self._chat.id):
                self._names[member.user_id] = member.display_name or member.username
                if len(self._names) >= self.MAX:
                    break
        except ApiError:
            pass  # names are cosmetic; ids will do

    def add(self, user_id: str, name: str) -> None:
        self._names[user_id] = name

    def of_user(self, user_id: str) -> str:
        return self._names.get(user_id, user_id)

    def of(self, message: Message) -> str:
        if message.sender_id is None:
            return message.author_signature or self._chat.title
        return self.of_user(message.sender_id)


def line(message: Message, names: Names, *, note: str | None = None) -> str:
    """`[time] Sender: body`; `note` replaces the body (`(expired)`, say)."""
    prefix = "[fwd] " if message.forward is not None and note is None else ""
    text = note if note is not None else body(message)
    return f"[{format_time(message.created_at_ms)}] {clean(names.of(message))}: {prefix}{text}"
