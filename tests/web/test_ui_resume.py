"""The web client resumes by itself: a network drop and a server restart in the middle of a
conversation lose nothing and show nothing twice (the SDK's resume protocol)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.nodes import Node
from tests.web.conftest import Api, User, message, open_chat, send, sign_in, two_in_a_group

RECONNECT_TIMEOUT_MS = 90_000  # a restart on a busy machine takes a while


def texts_in_history(api: Api, user: User, chat_id: str) -> list[str]:
    page = api.call(user, "GET", f"/api/v1/chats/{chat_id}/messages?limit=100")
    return [m["text"] for m in page["messages"]]


def test_offline_then_back_loses_and_doubles_nothing(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    chat_id = api.group(ann, "Outage", bob_user)
    api.send(ann, chat_id, "before the drop")
    bob = open_page()
    sign_in(bob, "bob")
    open_chat(bob, "Outage")
    expect(message(bob, "before the drop")).to_have_count(1)
    offline = bob.get_by_text("Offline — reconnecting…")
    expect(offline).to_be_hidden()

    bob.context.set_offline(True)
    expect(offline).to_be_visible()
    for i in range(3):
        api.send(ann, chat_id, f"while away {i}")
    send(bob, "written offline")
    expect(bob.locator(".pending", has_text="written offline")).to_be_visible()

    bob.context.set_offline(False)
    expect(offline).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
    for text in ("before the drop", "while away 0", "while away 1", "while away 2"):
        expect(message(bob, text)).to_have_count(1)
    expect(message(bob, "written offline")).to_have_count(1, timeout=RECONNECT_TIMEOUT_MS)
    expect(bob.locator(".pending")).to_have_count(0)
    api.send(ann, chat_id, "after the drop")
    expect(message(bob, "after the drop")).to_have_count(1)
    assert texts_in_history(api, ann, chat_id).count("written offline") == 1
    assert bob.locator("article.message").count() == 6


def test_a_message_written_offline_survives_closing_the_tab(
    open_page: Callable[..., Page], api: Api, node: Node
) -> None:
    ann, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    chat_id = api.group(ann, "Outbox", bob_user)
    bob = open_page()
    sign_in(bob, "bob")
    open_chat(bob, "Outbox")
    browser = bob.context
    browser.set_offline(True)
    expect(bob.get_by_text("Offline — reconnecting…")).to_be_visible()
    send(bob, "written, then the tab closed")
    expect(bob.locator(".pending", has_text="written, then the tab closed")).to_be_visible()
    bob.close()
    assert texts_in_history(api, ann, chat_id) == []

    browser.set_offline(False)
    again = browser.new_page()  # the same browser: its storage, its session cookie
    again.goto(node.url + "/")
    open_chat(again, "Outbox")
    expect(message(again, "written, then the tab closed")).to_have_count(
        1, timeout=RECONNECT_TIMEOUT_MS
    )
    expect(again.locator(".pending")).to_have_count(0)
    assert texts_in_history(api, ann, chat_id) == ["written, then the tab closed"]

    # Once sent, its text is no longer kept on the device.
    stored = again.evaluate("Object.keys(localStorage).filter((k) => k.includes('outbox'))")
    assert stored == []


def test_a_send_refused_after_the_network_returns_says_why_and_can_be_discarded(
    open_page: Callable[..., Page], api: Api
) -> None:
    ann, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    channel = api.call(ann, "POST", "/api/v1/chats", json={"kind": "channel", "title": "News"})
    members = f"/api/v1/chats/{channel['id']}/members"
    api.call(ann, "POST", members, json={"user_id": bob_user.id})
    api.call(ann, "PATCH", f"{members}/{bob_user.id}", json={"role": "admin"})
    bob = open_page()
    sign_in(bob, "bob")
    open_chat(bob, "News")
    bob.context.set_offline(True)
    expect(bob.get_by_text("Offline — reconnecting…")).to_be_visible()
    send(bob, "a post written offline")
    api.call(ann, "PATCH", f"{members}/{bob_user.id}", json={"role": "member"})

    bob.context.set_offline(False)
    refused = bob.locator(".refused", has_text="a post written offline")
    expect(refused.get_by_role("alert")).to_contain_text("Not sent:", timeout=RECONNECT_TIMEOUT_MS)
    expect(bob.get_by_label("Message", exact=True)).to_have_count(0)  # no longer an admin
    bob.reload()  # still there after a reload, not sent again
    expect(refused).to_be_visible()
    refused.get_by_role("button", name="Discard").click()
    expect(refused).to_have_count(0)
    assert texts_in_history(api, ann, channel["id"]) == []


def test_server_restart_mid_conversation(
    open_page: Callable[..., Page], api: Api, node: Node
) -> None:
    pair = two_in_a_group(open_page, api, "Restart")
    ann, bob = pair.ann, pair.bob
    send(ann, "before the restart")
    expect(message(bob, "before the restart")).to_have_count(1)

    node.stop()
    for page in (ann, bob):
        expect(page.get_by_text("Offline — reconnecting…")).to_be_visible()
    node.start()
    api.send(pair.ann_user, pair.chat_id, "while they reconnect")  # replayed on resume, or live
    for page in (ann, bob):
        # The connection notice ("Offline", then "Connecting…") is gone once it is live.
        expect(page.locator(".connection")).to_be_empty(timeout=RECONNECT_TIMEOUT_MS)
        expect(message(page, "while they reconnect")).to_have_count(1)
    send(ann, "after the restart")
    expect(message(bob, "after the restart")).to_have_count(1)
    for page in (ann, bob):
        for text in ("before the restart", "while they reconnect", "after the restart"):
            expect(message(page, text)).to_have_count(1)
        assert page.locator("article.message").count() == 3
