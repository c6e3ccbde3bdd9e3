"""PDQ perceptual hashes of images and exact digests of files (DESIGN.md §5, media).

PDQ (Meta's, as in ThreatExchange) turns an image into 256 bits that change little when the
image is resized, recompressed or slightly edited; two images whose hashes differ in at most
`PDQ_MATCH_DISTANCE` bits are the same picture. A hash of quality below `PDQ_MIN_QUALITY`
(flat, almost uniform images) says too little to match anything and is never matched.
Other files match only byte for byte, by MD5 or SHA-256 (the digests hash lists publish).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pdqhash
from PIL import Image

from colletta.errors import InvalidInput

PDQ_BITS = 256
PDQ_BYTES = PDQ_BITS // 8
# ThreatExchange's PDQ_CONFIDENT_MATCH_THRESHOLD and quality floor.
PDQ_MATCH_DISTANCE = 31
PDQ_MIN_QUALITY = 50
# PDQ shrinks every image to 64x64 itself; decoding more than this many pixels a side first
# changes the hash by a few bits at most and bounds the memory of a 40-megapixel photo.
PDQ_DECODE_SIDE_PX = 512


class SignalType(StrEnum):
    """What a bank entry holds: a perceptual hash of an image, or an exact file digest."""

    PDQ = "pdq"
    MD5 = "md5"
    SHA256 = "sha256"

    @property
    def hex_chars(self) -> int:
        return {SignalType.PDQ: 64, SignalType.MD5: 32, SignalType.SHA256: 64}[self]

    @classmethod
    def parse(cls, label: str) -> SignalType:
        try:
            return cls(label.strip().lower().replace("-", ""))
        except ValueError:
            raise InvalidInput(
                "signal type must be one of pdq, md5, sha256", field="signal_type"
            ) from None


def check_signal(signal_type: SignalType, value: str) -> str:
    """The value in canonical form (lower-case hex of the right length), or InvalidInput."""
    value = value.strip().lower()
    if len(value) != signal_type.hex_chars or any(c not in "0123456789abcdef" for c in value):
        raise InvalidInput(
            f"a {signal_type.value} value is {signal_type.hex_chars} hexadecimal digits",
            field="value",
        )
    return value


@dataclass(frozen=True, slots=True)
class PdqHash:
    """A PDQ hash as 64 hex digits, and its quality (0-100)."""

    hex: str
    quality: int

    @property
    def matchable(self) -> bool:
        return self.quality >= PDQ_MIN_QUALITY


@dataclass(frozen=True, slots=True)
class FileSignals:
    """Everything a file is matched by: its digests, and its PDQ hash when it is an image."""

    md5: str
    sha256: str
    pdq: PdqHash | None = None


def _pixels(image: Image.Image) -> np.ndarray:
    if image.width > PDQ_DECODE_SIDE_PX or image.height > PDQ_DECODE_SIDE_PX:
        image.draft("RGB", (PDQ_DECODE_SIDE_PX, PDQ_DECODE_SIDE_PX))  # JPEG: scale while decoding
        image = image.convert("RGB")
        image.thumbnail((PDQ_DECODE_SIDE_PX, PDQ_DECODE_SIDE_PX), Image.Resampling.BOX)
    return np.asarray(image.convert("RGB"))


def pdq_of_image(image: Image.Image) -> PdqHash:
    """The PDQ hash of a decoded image (its first frame)."""
    bits, quality = pdqhash.compute(_pixels(image))
    return PdqHash(np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality))


def pdq_dihedral(image: Image.Image) -> list[PdqHash]:
    """The hashes of the image's 8 rotations and flips (pdqhash's order: original, rotate
    90, 180, 270, flip vertical, flip horizontal, rotate 90 + flip vertical, + horizontal)."""
    hashes, quality = pdqhash.compute_dihedral(_pixels(image))  # one quality for all 8
    return [PdqHash(np.packbits(h.astype(np.uint8)).tobytes().hex(), int(quality)) for h in hashes]


def pdq_of_bytes(data: bytes) -> PdqHash:
    """The PDQ hash of an encoded image; raises InvalidInput if it does not decode."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return pdq_of_image(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("not an image that can be hashed") from exc


def distance(a: str, b: str) -> int:
    """Hamming distance of two PDQ hashes in hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
