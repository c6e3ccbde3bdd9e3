"""A long history scrolls back without end, with only the messages in view in the page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.web.conftest import Api, message, open_chat, sign_in

MESSAGES = 600
MAX_IN_PAGE = 100  # the virtual list renders the view and a few around it


def test_history_scrolls_back_to_the_first_message(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann = api.user("ann", "Ann")
    chat_id = api.group(ann, "Long history")
    for i in range(MESSAGES):
        api.send(ann, chat_id, f"m{i:04d}")
    page = open_page()
    sign_in(page, "ann")
    open_chat(page, "Long history")
    last = message(page, f"m{MESSAGES - 1:04d}")
    expect(last).to_be_in_viewport()
    articles = page.locator("article.message")
    log = page.get_by_role("log", name="Messages")
    start = page.get_by_text("Start of the conversation")
    pages = 0
    while not start.is_visible():
        first_seq = articles.first.get_attribute("data-seq")
        log.evaluate("element => { element.scrollTop = 0; }")
        expect(articles.first).not_to_have_attribute("data-seq", first_seq or "")
        assert articles.count() < MAX_IN_PAGE
        pages += 1
        assert pages < MESSAGES
    log.evaluate("element => { element.scrollTop = 0; }")
    expect(message(page, "m0000")).to_be_in_viewport()
    assert articles.count() < MAX_IN_PAGE

    # Back at the end, a new message shows in view, live.
    log.evaluate("element => { element.scrollTop = element.scrollHeight; }")
    expect(last).to_be_in_viewport()
    api.send(ann, chat_id, "the newest")
    expect(message(page, "the newest")).to_be_in_viewport()
