"""Media attached to messages, and the expiry of messages and media."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from typing import Any

from colletta.errors import InvalidInput

UNATTACHED_TTL_MS = 24 * 3600 * 1000  # an upload no message carried is purged after a day
FILENAME_MAX_CHARS = 255


class ExpiryKind(enum.Enum):
    MESSAGE = "message"  # purge a message's content and its media
    MEDIA = "media"  # purge an upload that no message carried
    PRESERVED = "preserved"  # end a preservation: shred its held files, delete its copy
    ORDER_SECRECY = "order_secrecy"  # a removal order's non-disclosure lapses: tell uploaders


@dataclass(frozen=True, slots=True)
class Expiry:
    kind: ExpiryKind
    item_id: int
    chat_id: int
    due_at_ms: int


@dataclass(frozen=True, slots=True)
class Media:
    id: int
    chat_id: int
    uploader_id: int
    message_id: int | None
    kind: str
    mime: str
    filename: str
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    store_key: str
    thumbnail_key: str | None
    thumbnail_mime: str | None
    created_at_ms: int

    @property
    def file_keys(self) -> list[str]:
        """The store keys of its files: the file, and the thumbnail if there is one."""
        return [k for k in (self.store_key, self.thumbnail_key) if k is not None]

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "chat_id": str(self.chat_id),
            "kind": self.kind,
            "mime": self.mime,
            "filename": self.filename,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
            "has_thumbnail": self.thumbnail_key is not None,
        }


def check_filename(name: str | None) -> str:
    """A display name for the file: no paths, no control characters; never trusted for type."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > FILENAME_MAX_CHARS:
        raise InvalidInput(
            f"filename must be at most {FILENAME_MAX_CHARS} characters", field="filename"
        )
    return name or "file"
