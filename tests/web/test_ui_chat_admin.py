"""The chat's panel, run by its admins: title and description, signed posts, bans, ownership;
and leaving, for everyone."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import (
    Api,
    axe_violations,
    message,
    open_chat,
    screenshots,
    send,
    sign_in,
    two_signed_in,
)


def panel(page: Page, title: str) -> None:
    page.get_by_role("button", name=title).click()
    expect(page.locator(".chat-info")).to_be_visible()


def test_channel_renamed_and_signed_live_then_unsubscribed(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    channel = api.call(
        ann_user, "POST", "/api/v1/chats", json={"kind": "channel", "title": "Garden news"}
    )
    api.call(
        ann_user, "POST", f"/api/v1/chats/{channel['id']}/members", json={"user_id": bob_user.id}
    )
    ann, bob = two_signed_in(open_page, api)
    for page in (ann, bob):
        open_chat(page, "Garden news")

    panel(ann, "Garden news")
    settings = ann.get_by_role("region", name="Chat settings")
    settings.get_by_label("Title").fill("Garden weekly")
    settings.get_by_label("Description").fill("What grows, every Monday")
    settings.get_by_role("button", name="Save").click()
    expect(bob.get_by_role("heading", name="Garden weekly", level=1)).to_be_visible()
    expect(bob.locator("a.chat-row", has_text="Garden weekly")).to_be_visible()
    expect(bob.locator("a.chat-row", has_text="Garden news")).to_have_count(0)

    # The rename reached Ann too, as an event: she is still the channel's admin.
    with ann.expect_response(lambda response: response.request.method == "PATCH"):
        settings.get_by_label("Sign posts with the admin's name").check()
    send(ann, "Tomatoes are in")
    expect(message(bob, "Tomatoes are in").locator(".sender")).to_have_text("Ann")  # signed

    panel(bob, "Garden weekly")
    expect(bob.get_by_role("region", name="Chat settings")).to_have_count(0)
    expect(bob.locator(".chat-info")).to_contain_text("What grows, every Monday")
    bob.get_by_role("button", name="Unsubscribe").click()
    dialog = bob.get_by_role("dialog", name=re.compile("Unsubscribe from Garden weekly"))
    dialog.get_by_role("button", name="Unsubscribe").click()
    expect(bob.locator("a.chat-row", has_text="Garden weekly")).to_have_count(0)
    expect(bob.get_by_role("heading", name="Garden weekly", level=1)).to_have_count(0)
    expect(ann.locator(".chat-header")).to_contain_text("1 subscriber")


def test_ban_lifted_then_rejoin_and_ownership_transferred(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    api.group(ann_user, "Book club", bob_user, api.user("cat", "Cat"))
    ann, bob = two_signed_in(open_page, api)
    open_chat(ann, "Book club")
    panel(ann, "Book club")
    ann.get_by_role("button", name="Create invite link").click()
    link = ann.get_by_label("Invite link")
    expect(link).to_have_value(re.compile(r"/invite/\S+$"))
    url = link.input_value()

    ann.get_by_role("list", name="Members").locator("li", has_text="Cat").get_by_role(
        "button", name="Remove"
    ).click()
    bans = ann.get_by_role("region", name="Removed members")
    expect(bans).to_contain_text("@cat")
    expect(ann.locator(".chat-info")).to_contain_text("You own this chat")
    assert axe_violations(ann) == []
    screenshots(ann, "chat-settings", showing=ann.get_by_role("heading", name="Chat settings"))
    bans.get_by_role("button", name="Let @cat rejoin").click()
    expect(bans).to_have_count(0)

    cat = open_page()
    cat.goto(url)
    sign_in(cat, "cat")
    cat.get_by_role("button", name="Join").click()
    expect(cat.get_by_role("heading", name="Book club", level=1)).to_be_visible()

    ann.get_by_label("Transfer ownership to").select_option(label="Bob (@bob)")
    ann.get_by_role("button", name="Transfer ownership").click()
    dialog = ann.get_by_role("dialog", name=re.compile("Make Bob the owner"))
    assert axe_violations(ann) == []
    dialog.get_by_role("button", name="Transfer ownership").click()
    members = ann.get_by_role("list", name="Members")
    expect(members.locator("li", has_text="Bob")).to_contain_text("owner")
    expect(members.locator("li", has_text="Ann")).to_contain_text("admin")
    expect(ann.get_by_role("button", name="Leave group")).to_be_visible()

    open_chat(bob, "Book club")
    panel(bob, "Book club")
    expect(bob.get_by_label("Transfer ownership to")).to_be_visible()
    expect(bob.get_by_label("Role of Ann")).to_have_value("admin")
