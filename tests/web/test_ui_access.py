"""Usable by keyboard alone, and in the browser's language."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.web.conftest import Api, message

MAX_TABS = 30


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_sign_in_open_a_chat_and_send_by_keyboard_alone(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann = api.user("ann", "Ann")
    api.group(ann, "Keyboard club")
    page = open_page()
    tab_to(page, "#username")
    page.keyboard.type("ann")
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Chats")).to_be_visible()
    tab_to(page, "a.chat-row")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard club")).to_be_visible()
    tab_to(page, "#composer-text")
    page.keyboard.type("typed, never clicked")
    page.keyboard.press("Enter")
    expect(message(page, "typed, never clicked")).to_have_count(1)
    # The message's actions are reachable too.
    tab_to(page, "article.message button.more")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Reply")).to_be_visible()


def test_an_italian_browser_gets_italian(open_page: Callable[..., Page], api: Api) -> None:
    api.user("ann", "Ann")
    page = open_page(locale="it-IT")
    expect(page.get_by_role("heading", name="Accedi")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "it"
    page.get_by_label("Nome utente").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_text("Ancora nessuna chat")).to_be_visible()
