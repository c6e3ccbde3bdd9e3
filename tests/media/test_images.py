"""Images come out upright, measured and with nothing but pixels and a colour profile;
whatever fails to decode, or decodes to too many pixels, is refused. Types are told by bytes."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, features
from PIL.PngImagePlugin import PngInfo

from colletta.errors import MediaTooLarge, MediaUndecodable
from colletta.media.images import MAX_PIXELS, THUMB_SIDE_PX, ProcessedImage, process_image
from colletta.media.probe import HEAD_BYTES, UNKNOWN_MIME, Probed, probe

RED, BLUE = (255, 0, 0), (0, 0, 255)
SECRETS = (b"SecretMaker", b"SecretModel", b"SecretComment", b"SecretXmp", b"SecretText")
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SecretXmp</x:xmpmeta>'
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def red_left_blue_right(size: tuple[int, int] = (200, 100), mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SecretMaker"
    exif[ExifTags.Base.Model] = "SecretModel"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (38.0, 42.0, 59.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (9.0, 8.0, 22.0)
    return exif


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Incompressible pixels, so a truncated file is missing real image data."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height` and holds almost nothing: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_clean(data: bytes) -> None:
    """No EXIF (so no GPS), XMP, comment or text chunk survives, in any form."""
    image = reopen(data)
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "Raw profile type exif"):
        assert key not in image.info, key
    assert getattr(image, "text", {}) == {}
    for secret in SECRETS:
        assert secret not in data, secret
    assert b"Exif\x00\x00" not in data


def process(data: bytes, **params: int) -> ProcessedImage:
    return process_image(io.BytesIO(data), **params)


def test_jpeg_loses_exif_gps_xmp_and_comment_and_is_turned_upright() -> None:
    source = encode(
        red_left_blue_right(),
        "JPEG",
        exif=exif_with_gps(orientation=6),
        comment=b"SecretComment",
        xmp=XMP,
    )
    before = reopen(source)
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test means something
    assert before.size == (200, 100)

    result = process(source)

    assert result.mime == "image/jpeg"
    assert_clean(result.data)
    after = reopen(result.data)
    assert after.format == "JPEG"
    # Orientation 6 is "turn 90° clockwise to view": the red left half ends up on top.
    assert after.size == (result.width, result.height) == (100, 200)
    top_red, _, top_blue = after.getpixel((50, 20))  # type: ignore[misc]
    assert top_red > 200, after.getpixel((50, 20))
    assert top_blue < 60, after.getpixel((50, 20))
    bottom_red, _, bottom_blue = after.getpixel((50, 180))  # type: ignore[misc]
    assert bottom_blue > 200, after.getpixel((50, 180))
    assert bottom_red < 60, after.getpixel((50, 180))


def test_png_loses_text_chunks_and_exif_and_keeps_transparency() -> None:
    image = red_left_blue_right(mode="RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    info = PngInfo()
    info.add_text("Comment", "SecretText")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Author", "SecretText", zip=True)
    source = encode(image, "PNG", pnginfo=info, exif=exif_with_gps())
    assert reopen(source).text  # type: ignore[attr-defined]

    result = process(source)

    assert result.mime == "image/png"
    assert_clean(result.data)
    after = reopen(result.data)
    assert after.mode == "RGBA"
    assert after.getpixel((0, 0)) == (0, 0, 0, 0)
    assert after.getpixel((150, 50)) == (*BLUE, 255)


def test_a_palette_png_keeps_its_palette_and_transparent_colour() -> None:
    image = red_left_blue_right().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    index = image.getpixel((0, 0))
    source = encode(image, "PNG", transparency=index)

    after = reopen(process(source).data)

    assert after.mode == "P"
    assert after.info["transparency"] == index
    assert after.convert("RGBA").getpixel((0, 0)) == (*RED, 0)


def test_webp_stays_webp_without_metadata() -> None:
    source = encode(red_left_blue_right(), "WEBP", exif=exif_with_gps(), xmp=XMP)
    assert reopen(source).info.get("exif")

    result = process(source)

    assert result.mime == "image/webp"
    assert reopen(result.data).format == "WEBP"
    assert_clean(result.data)


def test_an_animated_gif_keeps_its_first_frame_only() -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in (RED, BLUE, RED)]
    source = encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"SecretComment"
    )
    assert getattr(reopen(source), "n_frames", 1) == 3

    result = process(source)

    assert result.mime == "image/gif"
    assert getattr(reopen(result.data), "n_frames", 1) == 1
    assert (result.width, result.height) == (40, 30)
    assert_clean(result.data)


def test_bmp_becomes_jpeg() -> None:
    result = process(encode(red_left_blue_right(), "BMP"))
    assert result.mime == "image/jpeg"
    assert reopen(result.data).format == "JPEG"


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_with_alpha_becomes_png() -> None:
    image = red_left_blue_right(mode="RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 50, 100))
    result = process(encode(image, "AVIF", exif=exif_with_gps()))
    assert result.mime == "image/png"
    assert_clean(result.data)
    assert reopen(result.data).getpixel((10, 50))[3] == 0  # type: ignore[index]
    assert process(encode(red_left_blue_right(), "AVIF")).mime == "image/jpeg"


def test_the_colour_profile_is_kept_while_the_colour_space_is() -> None:
    rgb = process(encode(red_left_blue_right(), "JPEG", icc_profile=SRGB))
    assert reopen(rgb.data).info.get("icc_profile") == SRGB
    assert reopen(rgb.thumbnail).info.get("icc_profile") == SRGB

    # CMYK pixels become RGB, which the CMYK image's profile would misdescribe.
    cmyk = process(encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG", icc_profile=SRGB))
    after = reopen(cmyk.data)
    assert after.mode == "RGB"
    assert "icc_profile" not in after.info


@pytest.mark.parametrize(
    ("size", "thumb_size"),
    [((1000, 600), (320, 192)), ((600, 1000), (192, 320)), ((100, 50), (100, 50))],
)
def test_the_thumbnail_is_at_most_320_px_and_never_enlarged(
    size: tuple[int, int], thumb_size: tuple[int, int]
) -> None:
    source = encode(
        red_left_blue_right(size), "JPEG", exif=exif_with_gps(), comment=b"SecretComment"
    )

    result = process(source)

    assert (result.width, result.height) == size
    assert result.thumbnail_mime == "image/webp"
    thumb = reopen(result.thumbnail)
    assert thumb.format == "WEBP"
    assert thumb.size == (result.thumbnail_width, result.thumbnail_height) == thumb_size
    assert max(thumb.size) <= THUMB_SIDE_PX
    assert_clean(result.thumbnail)


def test_a_thumbnail_keeps_transparency() -> None:
    image = Image.new("RGBA", (640, 640), (0, 0, 0, 0))
    image.paste((*BLUE, 255), (320, 0, 640, 640))
    thumb = reopen(process(encode(image, "PNG")).thumbnail)
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((10, 160))[3] == 0  # type: ignore[index]
    assert thumb.getpixel((310, 160))[3] == 255  # type: ignore[index]


def test_a_path_works_as_the_source(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(encode(red_left_blue_right(), "PNG"))
    assert process_image(path).mime == "image/png"


def test_a_truncated_image_is_refused() -> None:
    whole = encode(noise((256, 256)), "JPEG", quality=95)
    assert process(whole).width == 256
    with pytest.raises(MediaUndecodable) as refused:
        process(whole[: len(whole) * 6 // 10])
    assert refused.value.type == "media_undecodable"
    assert "truncated" in refused.value.detail


def test_a_png_with_damaged_pixel_data_is_refused() -> None:
    whole = bytearray(encode(noise((64, 64)), "PNG"))
    at = whole.index(b"IDAT") + 100
    whole[at : at + 50] = bytes(50)
    with pytest.raises(MediaUndecodable):
        process(bytes(whole))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"garbage" * 50,
        b"\xff\xd8\xff\xe0" + b"\x00" * 200,
        b"GIF89a" + b"\x01" * 5,
        b"%PDF-1.7\n",
        b"",
        random.Random(7).randbytes(4096),
    ],
)
def test_bytes_that_are_no_image_are_refused(data: bytes) -> None:
    with pytest.raises(MediaUndecodable):
        process(data)


@pytest.mark.parametrize("fmt", ["TIFF", "PCX", "TGA", "PPM"])
def test_decoders_outside_the_short_list_never_run(fmt: str) -> None:
    source = encode(red_left_blue_right(), fmt)
    assert Image.open(io.BytesIO(source)).format == fmt  # Pillow itself could decode it
    with pytest.raises(MediaUndecodable):
        process(source)


def test_an_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    # 64 MP of one colour: a few kilobytes that would decode to 64 MB.
    source = encode(Image.new("1", (8000, 8000)), "PNG")
    assert len(source) < 100_000
    with pytest.raises(MediaTooLarge) as refused:
        process(source)
    assert refused.value.extra == {"max_pixels": MAX_PIXELS}
    assert "8000×8000" in refused.value.detail

    small = encode(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(MediaTooLarge):
        process(small, max_pixels=9_999)
    assert process(small, max_pixels=10_000).width == 100


def test_bomb_headers_are_refused_at_every_size() -> None:
    with pytest.raises(MediaTooLarge):
        process(png_header(8000, 8000))  # ours alone (50 MP)
    # Where Pillow warns (89-179 MP) — an error under this suite's warning filter…
    with pytest.raises(MediaTooLarge):
        process(png_header(10_000, 10_000))
    # …and where Pillow refuses by itself (over 179 MP).
    with pytest.raises(MediaTooLarge):
        process(png_header(100_000, 100_000))


def test_where_pillow_only_warns_our_limit_still_refuses() -> None:
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(MediaTooLarge):
        process(png_header(10_000, 10_000))


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return out.getvalue()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (encode(red_left_blue_right(), "JPEG"), Probed("image/jpeg", "image")),
        (encode(red_left_blue_right(), "PNG"), Probed("image/png", "image")),
        (encode(red_left_blue_right(), "GIF"), Probed("image/gif", "image")),
        (encode(red_left_blue_right(), "WEBP"), Probed("image/webp", "image")),
        (
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
            Probed("image/heic", "image"),
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", Probed("application/pdf", "file")),
        (zip_bytes(), Probed("application/zip", "file")),
        (b"8BPS\x00\x01" + bytes(64), Probed("image/vnd.adobe.photoshop", "file")),
        (encode(red_left_blue_right(), "TIFF"), Probed("image/tiff", "file")),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", Probed(UNKNOWN_MIME, "file")),
        (
            b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64),
            Probed("video/mp4", "video"),
        ),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(64), Probed("audio/mpeg", "audio")),
        (random.Random(3).randbytes(HEAD_BYTES), Probed(UNKNOWN_MIME, "file")),
        (b"", Probed(UNKNOWN_MIME, "file")),
    ],
)
def test_probe_tells_the_type_from_the_bytes(head: bytes, expected: Probed) -> None:
    assert probe(head) == expected


def test_probe_looks_only_at_the_head() -> None:
    png = encode(red_left_blue_right(), "PNG")
    assert probe(png + bytes(HEAD_BYTES)).kind == "image"
    assert probe(bytes(HEAD_BYTES) + png) == Probed(UNKNOWN_MIME, "file")


_RSS_SCRIPT = """
import asyncio, io, sys
from PIL import Image
from colletta.media.images import ImagePool

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024

async def main():
    pool = ImagePool(2)  # made at start-up, as the server does
    out = io.BytesIO()
    Image.linear_gradient("L").resize((4000, 3000)).convert("RGB").save(out, "JPEG")
    data = out.getvalue()
    before = rss_mb()
    await asyncio.gather(*(pool.process(io.BytesIO(data)) for _ in range(4)))
    print(rss_mb() - before)

asyncio.run(main())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_decoded_images_memory_is_given_back_to_the_system() -> None:
    # A fresh process: what the pool's decodes leave resident once they are done.
    done = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT], capture_output=True, text=True, check=True
    )
    assert int(done.stdout) < 30, "MB still resident after four 12 MP images"
