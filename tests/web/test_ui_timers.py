"""Timed messages count down on every open screen and vanish there, live, at their expiry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import (
    Api,
    message,
    new_chat,
    open_chat,
    send,
    two_in_a_group,
    two_signed_in,
)
from tests.web.test_ui_media import noisy_png

VANISH_TIMEOUT_MS = 30_000


def test_a_timed_message_vanishes_from_both_screens(
    open_page: Callable[..., Page], api: Api
) -> None:
    pair = two_in_a_group(open_page, api, "Ephemeral")
    ann, bob = pair.ann, pair.bob
    ttl = {"message_ttl_s": 5}
    api.call(pair.ann_user, "PUT", f"/api/v1/chats/{pair.chat_id}/message-ttl", json=ttl)
    for page in (ann, bob):
        expect(page.locator(".chat-header")).to_contain_text("⏱ 5 s")  # live

    send(ann, "this will vanish")
    for page in (ann, bob):
        expect(message(page, "this will vanish").locator(".countdown")).to_be_visible()
    for page in (ann, bob):
        expect(message(page, "this will vanish")).to_have_count(0, timeout=VANISH_TIMEOUT_MS)
    # Gone from the server too: a reload does not bring it back.
    bob.reload()
    expect(bob.get_by_role("heading", name="Ephemeral")).to_be_visible()
    expect(bob.get_by_text("No messages yet.")).to_be_visible()


def test_self_destruct_counts_from_the_readers_read(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann, bob = two_signed_in(open_page, api)
    new_chat(ann, "Direct chat", {"Username": "@bob"})
    expect(ann.get_by_role("heading", name="Bob")).to_be_visible()
    ann.get_by_label("Self-destruct timer").select_option(label="⏱ 5 s")
    send(ann, "burn after reading")
    expect(message(ann, "burn after reading").locator(".countdown")).to_be_visible()
    expect(message(ann, "burn after reading")).to_have_count(0, timeout=VANISH_TIMEOUT_MS)
    # Bob has not read it yet: his copy waits for him, then counts down once he has.
    open_chat(bob, "Ann")
    expect(message(bob, "burn after reading").locator(".countdown")).to_be_visible()
    expect(message(bob, "burn after reading")).to_have_count(0, timeout=VANISH_TIMEOUT_MS)


def test_view_once_opens_once_then_is_gone(
    open_page: Callable[..., Page], api: Api, tmp_path: Path
) -> None:
    ann, bob = two_signed_in(open_page, api)
    new_chat(ann, "Direct chat", {"Username": "bob"})
    open_chat(bob, "Ann")
    with ann.expect_file_chooser() as chooser:
        ann.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(str(noisy_png(tmp_path / "once.png")))
    ann.get_by_label("View once").check()
    send_button = ann.get_by_role("button", name="Send")
    expect(send_button).to_be_enabled()
    send_button.click()
    expect(ann.get_by_text("View-once attachment")).to_be_visible()  # the sender cannot open it

    bob.get_by_role("button", name="Open view-once attachment").click()
    viewer = bob.get_by_role("dialog", name="once.png")
    picture = viewer.get_by_role("img", name="once.png")
    expect(picture).to_be_visible()
    picture.evaluate("img => img.decode()")
    expect(viewer.get_by_role("link", name="Download")).to_have_count(0)
    bob.keyboard.press("Escape")
    expect(bob.get_by_role("button", name="Open view-once attachment")).to_have_count(0)
    bob.reload()
    expect(bob.get_by_role("heading", name="Ann")).to_be_visible()
    expect(bob.get_by_text("No messages yet.")).to_be_visible()
