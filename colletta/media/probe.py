"""What a file is, judged from its first bytes. File names and client-sent types are never
trusted: they are whatever the sender says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import filetype

HEAD_BYTES = 8192  # filetype never looks further
UNKNOWN_MIME = "application/octet-stream"

Kind = Literal["image", "video", "audio", "file"]

# The image types that are decoded and re-encoded (images.py), or refused if they won't decode:
# HEIC is here, not among files, because phones put GPS in it; Pillow can't decode it, so it
# is refused with a clear error rather than stored with the location inside. Other image/*
# types (PSD, camera raw, icons, DICOM, JPEG 2000/XR, TIFF) are documents to their senders
# and travel as files.
IMAGE_MIMES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/apng",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/avif",
        "image/heic",
    }
)


@dataclass(frozen=True, slots=True)
class Probed:
    """A detected type: `mime` for Content-Type, `kind` for how the file is handled."""

    mime: str
    kind: Kind


def probe(head: bytes) -> Probed:
    """The type of a file from its first bytes (at least `HEAD_BYTES` of them, when it has
    that many); unknown content is a plain file."""
    guess = filetype.guess(head[:HEAD_BYTES]) if head else None
    if guess is None:
        return Probed(UNKNOWN_MIME, "file")
    mime = str(guess.mime)
    kind: Kind
    if mime in IMAGE_MIMES:
        kind = "image"
    elif mime.startswith("video/"):
        kind = "video"
    elif mime.startswith("audio/"):
        kind = "audio"
    else:
        kind = "file"
    return Probed(mime, kind)
