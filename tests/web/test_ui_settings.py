"""Profile, password, sessions, sign out; the chat list's search, pins and forwards."""

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
    open_chat,
    screenshot,
    send,
    sign_in,
)

NEW_PASSWORD = "a brand new passphrase"


def test_profile_password_sessions_and_sign_out(open_page: Callable[..., Page], api: Api) -> None:
    ann = api.user("ann", "Ann")
    page = open_page()
    sign_in(page, "ann")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    sessions = page.locator(".sessions li")
    expect(sessions).to_have_count(2)  # this browser and the API's login
    expect(sessions.filter(has_text="this device")).to_have_count(1)
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        screenshot(page, f"settings-{width}")
    page.set_viewport_size(DESKTOP)
    assert axe_violations(page) == []

    page.get_by_label("Display name").fill("Ann B.")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_have_count(1)
    assert api.call(ann, "GET", "/api/v1/me")["display_name"] == "Ann B."

    sessions.filter(has_not_text="this device").get_by_role("button", name="Sign out").click()
    expect(sessions).to_have_count(1)
    assert (
        api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {ann.token}"}).status_code
        == 401
    )

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save").nth(1).click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_have_count(2)

    page.locator(".sessions + button", has_text="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Chats")).to_be_visible()


def test_search_pin_and_forward(open_page: Callable[..., Page], api: Api) -> None:
    ann = api.user("ann", "Ann")
    for title in ("Lisbon trip", "Book club", "Lisbon flats"):
        api.group(ann, title)
    page = open_page()
    sign_in(page, "ann")
    rows = page.locator("a.chat-row")
    expect(rows).to_have_count(3)
    page.get_by_label("Search chats").fill("lisbon")
    expect(rows).to_have_count(2)
    page.get_by_label("Search chats").fill("nothing like it")
    expect(page.get_by_text("No chat matches.")).to_be_visible()
    page.get_by_label("Search chats").fill("")
    expect(rows).to_have_count(3)

    open_chat(page, "Book club")
    send(page, "Meet on Friday")
    message(page, "Meet on Friday").get_by_role("button", name="Actions for message").click()
    page.get_by_role("button", name="Pin").click()
    expect(page.get_by_role("note", name="Pinned")).to_contain_text("Meet on Friday")

    message(page, "Meet on Friday").get_by_role("button", name="Actions for message").click()
    page.get_by_role("button", name="Forward").click()
    page.get_by_role("dialog", name="Forward to…").get_by_role("button", name="Lisbon trip").click()
    expect(page.get_by_role("status").filter(has_text="Forwarded to Lisbon trip")).to_be_visible()
    open_chat(page, "Lisbon trip")
    forwarded = message(page, "Meet on Friday")
    expect(forwarded).to_have_count(1)
    expect(forwarded).to_contain_text("Forwarded")
