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
