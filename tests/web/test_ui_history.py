"""A long history scrolls back without end, with only the messages in view in the page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Route, expect

from tests.sdk.conftest import message_json
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
    first_id = message(page, "m0000").get_attribute("data-message-id")

    # Back at the end, a new message shows in view, live.
    log.evaluate("element => { element.scrollTop = element.scrollHeight; }")
    expect(last).to_be_in_viewport()
    api.send(ann, chat_id, "the newest")
    expect(message(page, "the newest")).to_be_in_viewport()

    # A reply to the first message, read after a reload (only the newest page loaded): its
    # quote takes the reader back to the message it answers.
    api.call(
        ann,
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": "answering the first", "client_txn_id": "reply-1", "reply_to_id": first_id},
    )
    page.reload()
    reply = message(page, "answering the first")
    expect(reply).to_be_in_viewport()
    first = page.locator(f'article[data-message-id="{first_id}"]')
    expect(first).to_have_count(0)  # not loaded
    reply.get_by_role("button", name="Replying to: m0000").click()
    expect(first).to_be_in_viewport()
    expect(first).to_be_focused()
    assert articles.count() < MAX_IN_PAGE


LONG = 100_000
PAGE = 5_000  # the stub answers more than the client asks for, to load them all quickly
FRAME_BUDGET_MS = 250  # generous: a shared, loaded two-core machine


def _synthetic(chat_id: str, user_id: str, seqs: range) -> list[dict[str, object]]:
    """History pages as the server writes them (the SDK tests' message, and what the web
    client reads besides)."""
    return [
        {
            **message_json(chat_id, seq, f"s{seq:06d}"),
            "id": str(10**15 + seq),
            "sender_id": user_id,
            "entities": [],
            "attachments": [],
            "expires_at_ms": None,
            "expires_after_read_s": None,
            "read_expires_at_ms": None,
            "view_once": False,
        }
        for seq in seqs
    ]


def test_a_hundred_thousand_messages_do_not_slow_the_list(
    open_page: Callable[..., Page], api: Api
) -> None:
    """The client alone: history pages come from a stub (the server's paging is tested
    elsewhere; live messages at the end of a long history: the test above), 100,000 messages
    are loaded, and jumping anywhere in them stays fast with only the view in the page."""
    ann = api.user("ann", "Ann")
    chat_id = api.group(ann, "Huge")
    page = open_page()

    def history(route: Route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        before = int(query.get("before_seq", [str(LONG + 1)])[0])
        seqs = range(max(1, before - PAGE), before)
        body = {"messages": _synthetic(chat_id, ann.id, seqs), "has_more": seqs.start > 1}
        route.fulfill(json=body)

    page.route(f"**/api/v1/chats/{chat_id}/messages?*", history)
    sign_in(page, "ann")
    open_chat(page, "Huge")
    expect(message(page, f"s{LONG:06d}")).to_be_in_viewport()
    log = page.get_by_role("log", name="Messages")
    start = page.get_by_text("Start of the conversation")
    while not start.is_visible():
        log.evaluate("element => { element.scrollTop = 0; }")
        page.wait_for_function(
            "() => !document.querySelector('.messages .start')?.textContent?.includes('Loading')"
        )
    assert page.locator("article.message").count() < MAX_IN_PAGE

    frame_ms = log.evaluate(
        """async (element) => {
            const times = [];
            for (const at of [0.5, 0.25, 0.75, 0.1, 0.9]) {
                const t0 = performance.now();
                element.scrollTop = element.scrollHeight * at;
                await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                times.push(performance.now() - t0);
            }
            return Math.max(...times);
        }"""
    )
    print(f"\n{LONG} messages loaded: slowest scroll jump {frame_ms:.0f} ms")
    assert frame_ms < FRAME_BUDGET_MS
    assert page.locator("article.message").count() < MAX_IN_PAGE
    log.evaluate("element => { element.scrollTop = 0; }")
    expect(message(page, "s000001")).to_be_in_viewport()
