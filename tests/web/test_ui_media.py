"""An image goes up with a progress bar and a preview, and arrives as a thumbnail that opens
in a viewer and downloads under the sender's file name."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.web.conftest import Api, screenshot, two_in_a_group

UPLOAD_BYTES_PER_S = 256 * 1024  # slow enough that the bar is seen part-way


def noisy_png(path: Path) -> Path:
    """About a megabyte: noise does not compress."""
    rng = random.Random(12)
    image = Image.frombytes("RGB", (640, 480), rng.randbytes(640 * 480 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_image_upload_with_progress_then_thumbnail_viewer_and_download(
    open_page: Callable[..., Page], api: Api, tmp_path: Path
) -> None:
    pair = two_in_a_group(open_page, api, "Photos")
    ann, bob = pair.ann, pair.bob
    throttle = ann.context.new_cdp_session(ann)
    throttle.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_S,
        },
    )

    picture = noisy_png(tmp_path / "beach day.png")
    with ann.expect_file_chooser() as chooser:
        ann.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(str(picture))
    bar = ann.get_by_role("progressbar", name="Upload of beach day.png")
    expect(bar).to_be_visible()
    expect(ann.locator(".upload-preview")).to_be_visible()  # the picture, before it is sent
    ann.wait_for_function(
        "() => { const p = document.querySelector('.upload progress');"
        " return p && p.value > 0 && p.value < 1; }"
    )
    send = ann.get_by_role("button", name="Send")
    expect(send).to_be_disabled()  # until the upload is done
    expect(send).to_be_enabled(timeout=60_000)
    expect(bar).to_have_attribute("value", "1")
    ann.get_by_label("Message", exact=True).fill("the beach")
    send.click()

    for page in (ann, bob):
        thumb = page.get_by_role("button", name="Open image beach day.png")
        expect(thumb).to_be_visible()
        thumb.locator("img").evaluate("img => img.decode()")  # a real picture, loaded
        assert thumb.locator("img").evaluate("img => img.naturalWidth") > 0
    screenshot(bob, "media-desktop")
    bob.get_by_role("button", name="Open image beach day.png").click()
    viewer = bob.get_by_role("dialog", name="beach day.png")
    expect(viewer).to_be_visible()
    with bob.expect_download() as download:
        viewer.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "beach day.png"
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
