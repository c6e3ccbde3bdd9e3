"""Two people chatting in two browsers, live, as a user would see it."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Api,
    axe_violations,
    message,
    new_chat,
    screenshot,
    sign_in,
)


def test_sign_up_then_two_people_chat_live(open_page: Callable[..., Page], api: Api) -> None:
    ann = open_page()
    expect(ann.get_by_role("heading", name="Sign in")).to_be_visible()
    assert axe_violations(ann) == []
    ann.get_by_role("link", name="Create account").click()
    ann.get_by_label("Username").fill("ann")
    ann.get_by_label("Display name").fill("Ann")
    ann.get_by_label("Password").fill(PASSWORD)
    ann.get_by_role("button", name="Create account").click()
    expect(ann.get_by_text("No chats yet")).to_be_visible()

    bob_user = api.user("bob", "Bob")
    bob = open_page()
    sign_in(bob, "bob")

    # Ann creates a group and adds Bob; it appears in Bob's list by itself.
    new_chat(ann, "Group", {"Title": "Lisbon trip"})
    expect(ann.get_by_role("heading", name="Lisbon trip")).to_be_visible()
    ann.get_by_role("button", name="Lisbon trip").click()
    ann.get_by_label("Add member by username").fill("bob")
    ann.get_by_role("button", name="Add", exact=True).click()
    expect(ann.get_by_role("list", name="Members").get_by_text("@bob")).to_be_visible()
    expect(ann.get_by_text("Group · 2 members")).to_be_visible()
    ann.get_by_role("button", name="Lisbon trip").click()  # closes the members panel
    bob_row = bob.locator("a.chat-row", has_text="Lisbon trip")
    expect(bob_row).to_be_visible()

    # Ann writes; Bob sees the last message and an unread count in his list, live.
    composer = ann.get_by_label("Message", exact=True)
    composer.fill("Flights are *cheap* this week")
    composer.press("Enter")
    expect(message(ann, "Flights are")).to_have_count(1)
    expect(bob_row).to_contain_text("Flights are cheap this week")  # the marks not shown
    expect(bob_row.get_by_label("1 unread message")).to_be_visible()
    expect(bob).to_have_title("(1) Colletta")
    assert axe_violations(bob) == []

    bob_row.click()
    expect(message(bob, "Flights are")).to_have_count(1)
    expect(message(bob, "Flights are").locator("strong")).to_have_text("cheap")
    expect(bob_row.locator(".badge")).to_have_count(0)  # read
    expect(bob).to_have_title("Colletta")
    # and Ann's message turns from sent to seen on her screen, live.
    expect(message(ann, "Flights are").get_by_role("img", name="Seen")).to_be_visible()
    assert axe_violations(bob) == []

    # Typing shows on the other side; a reply arrives live.
    bob_composer = bob.get_by_label("Message", exact=True)
    bob_composer.press_sequentially("Gre")
    expect(ann.get_by_text("Bob typing…")).to_be_visible()
    message(bob, "Flights are").get_by_role("button", name="Actions for message").click()
    bob.get_by_role("button", name="Reply").click()
    bob_composer.fill("Great, book them")
    bob_composer.press("Enter")
    reply = message(ann, "Great, book them")
    expect(reply).to_have_count(1)
    expect(reply.locator(".quote")).to_have_text("Replying to: Flights are cheap this week")

    # Ann reacts, Bob edits; both show live on the other screen.
    message(ann, "Great, book them").get_by_role("button", name="Actions for message").click()
    ann.get_by_role("button", name="React 👍").click()
    expect(message(bob, "Great, book them").get_by_role("button", name="👍 1")).to_be_visible()
    message(bob, "Great, book them").get_by_role("button", name="Actions for message").click()
    bob.get_by_role("button", name="Edit").click()
    expect(bob_composer).to_have_value("Great, book them")  # the text to edit, in the composer
    bob_composer.fill("Great, booking them now")
    bob_composer.press("Enter")
    expect(message(ann, "Great, booking them now")).to_contain_text("edited")

    # Bob deletes his message: gone on both screens.
    message(bob, "booking them now").get_by_role("button", name="Actions for message").click()
    bob.get_by_role("button", name="Delete").click()
    bob.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(message(ann, "booking them now")).to_have_count(0)
    expect(message(ann, "Message deleted")).to_have_count(1)

    # Markup is never HTML: a message that looks like code stays text.
    api.send(bob_user, bob.url.rsplit("/", 1)[1], '<img src=x onerror="window.pwned=1"> <b>no</b>')
    expect(message(ann, "<img src=x")).to_have_count(1)
    assert ann.locator("article.message img, article.message b").count() == 0
    assert ann.evaluate("window.pwned") is None

    # Screenshots for the README, at phone and desktop width.
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        ann.set_viewport_size(size)
        screenshot(ann, f"chat-{width}")
    ann.get_by_role("button", name="Back to chats").click()
    expect(ann.get_by_role("navigation", name="Chats")).to_be_visible()
    screenshot(ann, "chats-phone")
    assert axe_violations(ann) == []
    ann.set_viewport_size(DESKTOP)
    screenshot(ann, "chats-desktop")
