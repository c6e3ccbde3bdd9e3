"""A blocked user's messages in the web client: placeholders, live too, shown on request."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import Api, axe_violations, message, open_chat, sign_in

PLACEHOLDER = "Message from a user you blocked"


def test_a_blocked_users_messages_are_placeholders_until_shown(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    chat_id = api.group(ann_user, "Allotment", bob_user)
    api.send(bob_user, chat_id, "my marrows are bigger")
    api.call(ann_user, "POST", f"/api/v1/me/blocks/{bob_user.id}")
    ann = open_page()
    sign_in(ann, "ann")
    expect(ann.locator("a.chat-row", has_text="Allotment")).to_contain_text(PLACEHOLDER)
    open_chat(ann, "Allotment")
    hidden = ann.locator("article.message", has_text=PLACEHOLDER)
    expect(hidden).to_have_count(1)
    expect(message(ann, "marrows")).to_have_count(0)
    api.send(bob_user, chat_id, "and my leeks")  # arrives live, as a placeholder too
    expect(hidden).to_have_count(2)
    expect(message(ann, "leeks")).to_have_count(0)
    assert axe_violations(ann) == []
    hidden.first.get_by_role("button", name="Show").click()
    expect(message(ann, "my marrows are bigger")).to_have_count(1)
    expect(message(ann, "leeks")).to_have_count(0)


def test_block_from_the_group_panel_then_unblock_in_settings(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    chat_id = api.group(ann_user, "Choir", bob_user)
    api.send(bob_user, chat_id, "rehearsal moved to Friday")
    ann = open_page()
    sign_in(ann, "ann")
    open_chat(ann, "Choir")
    expect(message(ann, "rehearsal moved")).to_have_count(1)
    ann.get_by_role("button", name="Choir").click()
    panel = ann.get_by_role("region", name="Choir")
    panel.get_by_role("button", name="Block Bob").click()
    asked = ann.get_by_role("dialog")  # what blocking does, asked once
    expect(asked).to_contain_text("They are not told.")
    assert axe_violations(ann) == []
    asked.get_by_role("button", name="Block Bob").click()
    expect(panel.get_by_role("button", name="Unblock Bob")).to_be_visible()
    ann.get_by_role("button", name="Choir").click()  # closes the panel
    # Bob's message is hidden at once, without a reload; Bob is not told.
    expect(ann.locator("article.message", has_text=PLACEHOLDER)).to_have_count(1)
    expect(message(ann, "rehearsal moved")).to_have_count(0)
    assert api.call(ann_user, "GET", "/api/v1/me/blocks")["blocks"][0]["user_id"] == bob_user.id

    ann.get_by_role("link", name="Settings").click()
    blocked = ann.get_by_role("region", name="Blocked users")
    expect(blocked).to_contain_text("Bob")
    assert axe_violations(ann) == []
    blocked.get_by_role("button", name="Unblock Bob").click()
    expect(blocked).to_contain_text("You have blocked no one.")
    assert api.call(ann_user, "GET", "/api/v1/me/blocks")["blocks"] == []
