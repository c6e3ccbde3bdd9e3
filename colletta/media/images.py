"""Images decoded and re-encoded with Pillow, so that nothing but pixels (and the colour
profile) survives: no EXIF, GPS, XMP, comments or text chunks. Turned upright by their EXIF
orientation first, measured, and given a thumbnail.

Pure functions that block for up to a second on a large photo; `ImagePool` runs them on
threads of their own. Memory is bounded by the pixel limit: Pillow holds a decoded pixel in at
most 4 bytes, at most one full-size converted copy or encoded output exists beside it, so one
image needs at most `BYTES_PER_PIXEL_MAX` bytes a pixel, and a pool of N workers N times that.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import struct
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from PIL import Image, ImageOps

from colletta.errors import MediaTooLarge, MediaUndecodable

T = TypeVar("T")

MAX_PIXELS = 40_000_000
# The decoded image (≤ 4 bytes a pixel) and one full-size converted copy or encoded output.
BYTES_PER_PIXEL_MAX = 8
THUMB_SIDE_PX = 320
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
QUALITY = 88  # JPEG and WebP: no visible loss on photos, about a third of a camera's size
THUMB_QUALITY = 80

# Only these decoders ever see uploaded bytes: Pillow's rarer ones (FLI, PCX, SGI, TGA, …)
# have had most of its memory-safety bugs, and nobody sends them in a chat.
# JPEG's opener also returns multi-picture (MPO) files, as some cameras write them.
_DECODERS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "AVIF")
# What Pillow raises for damaged input (its own fuzzing harness lists the same).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    MemoryError,
    NotImplementedError,
    OverflowError,
    struct.error,
)
# Modes `Image.reduce` averages correctly (not palette indices, not packed 16-bit or 1-bit).
_REDUCE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "I", "F"})
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
_SPACE = {"1": "gray", "L": "gray", "LA": "gray", "I": "gray", "I;16": "gray", "F": "gray"}
_SPACE |= {"P": "rgb", "PA": "rgb", "RGB": "rgb", "RGBA": "rgb", "RGBX": "rgb", "CMYK": "cmyk"}


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """A cleaned image and its thumbnail, with their types and sizes in pixels."""

    data: bytes
    mime: str
    width: int
    height: int
    thumbnail: bytes
    thumbnail_mime: str
    thumbnail_width: int
    thumbnail_height: int


def process_image(
    source: Path | BinaryIO,
    *,
    max_pixels: int = MAX_PIXELS,
    thumb_side_px: int = THUMB_SIDE_PX,
) -> ProcessedImage:
    """Decode, turn upright, strip metadata, re-encode in the same family, make a thumbnail.

    JPEG stays JPEG, PNG (and APNG) PNG, WebP WebP, GIF GIF; BMP and AVIF become PNG if they
    have transparency, else JPEG. Animations keep their first frame only: decoding every
    frame of a hostile GIF is unbounded work. `MediaUndecodable` if the bytes don't decode,
    `MediaTooLarge` over `max_pixels`.
    """
    image = _decode(source, max_pixels)
    try:
        source_mode = image.mode
        icc_profile = image.info.get("icc_profile")
        transparency = image.info.get("transparency")
        has_alpha = source_mode in _ALPHA_MODES or transparency is not None
        main, mime = _encode(image, _family(image.format, has_alpha), has_alpha)
        thumb = _thumbnail(main if main.mode in _REDUCE_MODES else image, thumb_side_px, has_alpha)
        if image is not main and image is not thumb:
            image.close()  # from here on one full-size copy at a time: `main`, then its bytes
        return ProcessedImage(
            data=_save(
                main,
                mime,
                _keep_icc(icc_profile, source_mode, main),
                # Palette or single-colour transparency only means something in its own mode.
                transparency if main.mode == source_mode else None,
            ),
            mime=mime,
            width=main.width,
            height=main.height,
            thumbnail=_save(
                thumb,
                "image/webp",
                _keep_icc(icc_profile, source_mode, thumb),
                None,
                quality=THUMB_QUALITY,
            ),
            thumbnail_mime="image/webp",
            thumbnail_width=thumb.width,
            thumbnail_height=thumb.height,
        )
    finally:
        image.close()


def _give_freed_images_back() -> None:
    """Make glibc return a decoded image's memory to the system when it is freed.

    glibc raises its mmap threshold after the first large free; from then on Pillow's 16 MiB
    pixel blocks come from arenas that never shrink (four 40 MP JPEGs in a pool of 2 left
    381 MB resident). A fixed 8 MiB threshold keeps them on mmap, unmapped at free (32 MB
    left); smaller buffers, such as the 1 MiB upload batches, still come from the heap.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 8 * 1024 * 1024)  # musl: a no-op


class ImagePool:
    """Image work on threads of its own: at most `workers` images are decoded at once, so image
    memory stays under workers × max_pixels × `BYTES_PER_PIXEL_MAX`, and password hashing and
    file I/O (the default executor) never wait behind photos."""

    def __init__(self, workers: int, max_pixels: int = MAX_PIXELS) -> None:
        self.workers = workers
        self.max_pixels = max_pixels
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="colletta-images")
        _give_freed_images_back()

    async def process(self, source: BinaryIO) -> ProcessedImage:
        """`process_image` in the pool; waits for a free worker."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _process, source, self.max_pixels)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Other work on an image's bytes (hashing) in the same bounded pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _process(source: BinaryIO, max_pixels: int) -> ProcessedImage:
    return process_image(source, max_pixels=max_pixels)


def check_pixels(head: bytes, max_pixels: int) -> None:
    """`MediaTooLarge` if the image's header, within its first bytes `head`, gives it more than
    `max_pixels`. Nothing is decoded: a refusal costs microseconds, on the event loop, even while
    the pool is busy. A header beyond `head` (a large EXIF block first) is checked in the pool."""
    try:
        with Image.open(io.BytesIO(head), formats=_DECODERS) as image:
            size = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(None, max_pixels) from exc
    except _DECODE_ERRORS:
        return
    if size[0] * size[1] > max_pixels:
        raise _too_many_pixels(size, max_pixels)


def _decode(source: Path | BinaryIO, max_pixels: int) -> Image.Image:
    """The first frame, fully decoded and upright."""
    try:
        image = Image.open(source, formats=_DECODERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limit (~89 MP, a warning below twice that) is a second fence behind ours.
        raise _too_many_pixels(None, max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise MediaUndecodable(
            "the file is not an image that can be read here (JPEG, PNG, GIF, WebP, BMP, AVIF)"
        ) from exc
    try:
        if image.width * image.height > max_pixels:
            raise _too_many_pixels(image.size, max_pixels)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        image.close()
        raise _too_many_pixels(image.size, max_pixels) from exc
    except _DECODE_ERRORS as exc:
        image.close()
        raise MediaUndecodable(
            "the image is damaged or truncated and could not be decoded"
        ) from exc
    except BaseException:
        image.close()
        raise
    # Unreadable EXIF: keep the pixels as stored; the EXIF is dropped anyway.
    with contextlib.suppress(*_DECODE_ERRORS):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> MediaTooLarge:
    what = "the image" if size is None else f"the image ({size[0]}×{size[1]})"
    return MediaTooLarge(f"{what} has more than {max_pixels} pixels", max_pixels=max_pixels)


def _family(source_format: str | None, has_alpha: bool) -> str:
    if source_format in ("JPEG", "MPO"):
        return "JPEG"
    if source_format in ("PNG", "GIF", "WEBP"):
        return source_format
    return "PNG" if has_alpha else "JPEG"


def _encode(image: Image.Image, family: str, has_alpha: bool) -> tuple[Image.Image, str]:
    """The image in a mode `family` can store (converted with its transparency applied), and
    the family's MIME type."""
    if family == "JPEG":
        keep = image.mode in ("L", "RGB")
        return (image if keep else image.convert("RGB")), "image/jpeg"
    fallback = "RGBA" if has_alpha else "RGB"
    if family == "PNG":
        return (image if image.mode in _PNG_MODES else image.convert(fallback)), "image/png"
    if family == "GIF":
        return (image if image.mode in ("L", "P") else image.convert(fallback)), "image/gif"
    return (image if image.mode in ("RGB", "RGBA") else image.convert(fallback)), "image/webp"


def _thumbnail(image: Image.Image, side_px: int, has_alpha: bool) -> Image.Image:
    """At most `side_px` on its longest side, never enlarged, in RGB or RGBA."""
    target_mode = "RGBA" if has_alpha else "RGB"
    small = image
    # Reduced by a whole factor first (a cheap box filter), keeping 3× the size for LANCZOS:
    # a conversion below then copies a small image, not a full-size one.
    factor = max(small.width, small.height) // (side_px * 3)
    if factor >= 2 and small.mode in _REDUCE_MODES:
        small = small.reduce(factor)
    # Resampling works on these modes directly; others (palette, 1-bit, 16-bit) convert first.
    if small.mode not in ("L", "LA", "RGB", "RGBA"):
        small = small.convert(target_mode)
    scale = min(1.0, side_px / max(small.width, small.height))
    size = (max(1, round(small.width * scale)), max(1, round(small.height * scale)))
    if size != small.size:
        small = small.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return small if small.mode == target_mode else small.convert(target_mode)


def _keep_icc(icc_profile: Any, source_mode: str, encoded: Image.Image) -> bytes | None:
    """The colour profile, if the pixels are still in the colour space it describes.

    Kept because dropping it shifts colours (a Display P3 phone photo turns dull), and it
    describes a colour space, not the person or the place; at most it names a device maker.
    """
    if not isinstance(icc_profile, bytes) or not icc_profile:
        return None
    space = _SPACE.get(source_mode)
    return icc_profile if space is not None and space == _SPACE.get(encoded.mode) else None


def _save(
    image: Image.Image,
    mime: str,
    icc_profile: bytes | None,
    transparency: Any,
    *,
    quality: int = QUALITY,
) -> bytes:
    """Encode with nothing but the pixels, transparency and colour profile."""
    # Everything else in info (exif, xmp, comment, PNG text, dpi, …) goes: encoders take
    # metadata only from info and from the parameters given here.
    image.info = {}
    params: dict[str, Any] = {}
    if icc_profile is not None:
        params["icc_profile"] = icc_profile
    if transparency is not None and image.mode in ("P", "L", "RGB") and mime != "image/jpeg":
        params["transparency"] = transparency
    out = io.BytesIO()
    if mime == "image/jpeg":
        image.save(out, "JPEG", quality=quality, optimize=True, **params)
    elif mime == "image/png":
        image.save(out, "PNG", **params)
    elif mime == "image/gif":
        image.save(out, "GIF", **params)
    else:
        image.save(out, "WEBP", quality=quality, **params)
    return out.getvalue()
