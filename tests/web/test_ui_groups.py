"""Channels (browse, subscribe, admins post) and groups (invite links, roles)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Api,
    axe_violations,
    message,
    new_chat,
    open_chat,
    screenshot,
    send,
    sign_in,
    two_signed_in,
)


def test_public_channel_browse_subscribe_and_read_posts_live(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann, bob = two_signed_in(open_page, api)
    public = "Public (anyone can find and subscribe)"
    new_chat(ann, "Channel", {"Title": "Garden news"}, public)
    expect(ann.get_by_role("heading", name="Garden news")).to_be_visible()
    send(ann, "Tomatoes are in")

    bob.get_by_role("link", name="Channels").click()
    bob.get_by_label("Search public channels").fill("Gard")
    card = bob.locator(".channels .card", has_text="Garden news")
    expect(card).to_contain_text("1 subscriber")
    assert axe_violations(bob) == []
    card.get_by_role("button", name="Subscribe").click()
    expect(bob.get_by_role("heading", name="Garden news")).to_be_visible()
    expect(message(bob, "Tomatoes are in")).to_have_count(1)
    expect(bob.get_by_label("Message", exact=True)).to_have_count(0)  # only admins post
    send(ann, "Basil too")
    expect(message(bob, "Basil too")).to_have_count(1)
    expect(ann.locator(".chat-header")).to_contain_text("2 subscribers")


def test_invite_link_then_roles(open_page: Callable[..., Page], api: Api) -> None:
    ann_user = api.user("ann", "Ann")
    api.user("bob", "Bob")
    api.group(ann_user, "Book club")
    ann, bob = open_page(), open_page()
    sign_in(ann, "ann")
    open_chat(ann, "Book club")
    ann.get_by_role("button", name="Book club").click()
    ann.get_by_role("button", name="Create invite link").click()
    link = ann.get_by_label("Invite link")
    expect(link).to_have_value(re.compile(r"/invite/\S+$"))
    url = link.input_value()
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        ann.set_viewport_size(size)
        screenshot(ann, f"group-panel-{width}")
    ann.set_viewport_size(DESKTOP)
    assert axe_violations(ann) == []

    bob.goto(url)  # signed out: the link waits behind the sign-in
    sign_in(bob, "bob")
    expect(bob.get_by_role("heading", name="Book club")).to_be_visible()
    bob.get_by_role("button", name="Join").click()
    expect(bob.get_by_role("heading", name="Book club", level=1)).to_be_visible()
    expect(bob.locator("a.chat-row", has_text="Book club")).to_be_visible()

    role = ann.get_by_label("Role of Bob")
    expect(role).to_have_value("member")
    role.select_option("moderator")
    expect(ann.get_by_label("Role of Bob")).to_have_value("moderator")
    send(bob, "I moderate now")
    expect(message(ann, "I moderate now")).to_have_count(1)


def test_join_request_approved_live(open_page: Callable[..., Page], api: Api) -> None:
    api.group(api.user("ann", "Ann"), "Quiet room")
    ann, bob = two_signed_in(open_page, api)
    open_chat(ann, "Quiet room")
    ann.get_by_role("button", name="Quiet room").click()
    ann.get_by_label("Admins approve who joins").check()
    ann.get_by_role("button", name="Create invite link").click()
    link = ann.get_by_label("Invite link")
    expect(link).to_have_value(re.compile(r"/invite/\S+$"))

    bob.goto(link.input_value())
    bob.get_by_role("button", name="Ask to join").click()
    expect(bob.get_by_text("Your request was sent to the admins.")).to_be_visible()
    request = ann.locator(".invites li", has_text="@bob")
    expect(request).to_be_visible()  # live, without a reload
    request.get_by_role("button", name="Approve").click()
    expect(bob.locator("a.chat-row", has_text="Quiet room")).to_be_visible()
    expect(ann.locator(".chat-header")).to_contain_text("2 members")
