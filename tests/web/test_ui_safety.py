"""Trust & safety in the browser: a member reports a message, a moderator (granted as the CLI
does) finds it in the console, removes it, and the reporter's inbox shows the decision; the
author complains from their inbox; the console is not there for anyone else; the operator
registers a removal order and reads how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.nodes import Node
from tests.web.conftest import (
    Api,
    axe_violations,
    cli,
    message,
    open_chat,
    screenshots,
    sign_in,
)

RISK = "Risk for public security"


def report_in_dialog(page: Page, category: str, why: str) -> None:
    """Fill the open report dialog, send it, read the acknowledgement and close it."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("What kind of problem").select_option(label=category)
    dialog.get_by_label("What is wrong (optional)").fill(why)
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("heading", name="Report received")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def sign_in_it(page: Page, username: str) -> None:
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("navigation", name="Chat")).to_be_visible()


def test_a_report_reaches_the_moderator_who_removes_the_message(
    open_page: Callable[..., Page], api: Api, node: Node
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    api.user("mia", "Mia")
    chat_id = api.group(ann_user, "Book club", bob_user)
    api.send(bob_user, chat_id, "send money for the rifles, brothers")
    cli(node, "admin", "grant", "mia", "moderator")  # as `colletta admin grant` does

    ann = open_page()
    sign_in(ann, "ann")
    open_chat(ann, "Book club")
    # The report dialog: by keyboard, labelled, with the acknowledgement.
    item = message(ann, "rifles")
    item.get_by_role("button", name="Actions for message").click()
    item.get_by_role("button", name="Report").click()
    expect(ann.get_by_role("dialog", name="Report a message")).to_be_visible()
    dialog = ann.get_by_role("dialog")  # named after what it says: the form, then the answer
    expect(dialog.get_by_label("What kind of problem")).to_be_focused()
    dialog.get_by_role("button", name="Send report").click()  # no category: the browser asks
    expect(dialog.get_by_role("heading", name="Report a message")).to_be_visible()
    dialog.get_by_label("What kind of problem").select_option(label=RISK)
    dialog.get_by_label("What is wrong (optional)").fill("Asks us to fund weapons")
    assert axe_violations(ann) == []
    screenshots(ann, "report-dialog")
    dialog.get_by_label("What is wrong (optional)").press("Tab")
    ann.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Send report")).to_be_focused()
    ann.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Report received")).to_be_visible()
    expect(dialog).to_contain_text("you will find the decision in your inbox")
    ann.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(ann.get_by_role("link", name="Inbox 1 new notice")).to_be_visible()
    expect(ann.get_by_role("link", name="Moderation")).to_have_count(0)  # Ann moderates nothing

    # The moderator finds it first in the queue, reads the case and removes the message.
    bob, mia = open_page(), open_page()
    sign_in(bob, "bob")
    open_chat(bob, "Book club")
    sign_in(mia, "mia")
    mia.get_by_role("link", name="Moderation").click()
    queue = mia.get_by_role("list", name="Queue")
    row = queue.get_by_role("listitem").first
    expect(row).to_contain_text("Report: a message")
    expect(row).to_contain_text(RISK)
    expect(row).to_contain_text("1 report")
    assert axe_violations(mia) == []
    screenshots(mia, "mod-queue")
    row.get_by_role("link", name="Report: a message").click()
    case = mia.get_by_role("article", name="Report: a message")
    subject = case.get_by_role("region", name="The subject as it is now")
    expect(subject).to_contain_text("send money for the rifles, brothers")
    reports = case.get_by_role("region", name="Reports")
    expect(reports).to_contain_text("Asks us to fund weapons")  # the reporter's text
    expect(reports).to_contain_text(RISK)
    decide = case.get_by_role("form", name="Decide")
    for action in ("Dismiss (nothing wrong)", "Remove the message", "Warn the user"):
        expect(decide.get_by_role("radio", name=action)).to_be_visible()
    expect(decide.get_by_role("radio", name="Freeze the pot")).to_have_count(0)  # not a pot
    decide.get_by_role("radio", name="Remove the message").check()
    decide.get_by_label("Explanation").fill("Fundraising for weapons is not allowed here.")
    assert axe_violations(mia) == []
    screenshots(mia, "mod-case")
    decide.get_by_role("button", name="Decide").click()
    expect(case).to_contain_text("Decided — Remove the message")
    statements = case.get_by_role("region", name="Statements of reasons issued")
    expect(statements).to_contain_text("Content removed")
    expect(statements).to_contain_text("Fundraising for weapons is not allowed here.")
    expect(case.get_by_role("form", name="Decide")).to_have_count(0)
    screenshots(mia, "mod-case-decided")

    # Gone for everyone, live; the reporter reads the decision in the inbox.
    for page in (ann, bob):
        expect(message(page, "rifles")).to_have_count(0)
    expect(message(bob, "Message deleted")).to_have_count(1)
    expect(ann.get_by_role("link", name="Inbox 2 new notices")).to_be_visible()
    ann.get_by_role("link", name="Inbox").click()
    decided = ann.locator("li.notice", has_text="Your report was decided")
    expect(decided).to_contain_text("We acted on it.")

    # The author complains from the statement in the inbox; it reaches the queue.
    bob.get_by_role("link", name="Inbox").click()
    notice = bob.locator("li.notice", has_text="Statement of reasons: Content removed")
    expect(notice).to_contain_text("Fundraising for weapons is not allowed here.")
    notice.get_by_role("button", name="Complain").click()
    notice.get_by_label("Why the decision is wrong").fill("It was a quote from a film.")
    assert axe_violations(bob) == []
    screenshots(bob, "complaint-form")
    notice.get_by_role("button", name="Send complaint").click()
    expect(notice).to_contain_text("Your complaint is being reviewed.")
    expect(notice.get_by_role("button", name="Complain")).to_have_count(0)
    bob.get_by_role("link", name="Statements of reasons").click()
    expect(bob.locator("li.notice").first).to_contain_text("Your complaint is being reviewed.")
    mia.get_by_role("link", name="← Queue").click()
    complaint = mia.get_by_role("list", name="Queue").get_by_role("listitem").first
    expect(complaint).to_contain_text("Complaint: a statement of reasons")
    complaint.get_by_role("link").click()
    case = mia.get_by_role("article", name="Complaint: a statement of reasons")
    expect(case).to_contain_text("It was a quote from a film.")
    decide = case.get_by_role("form", name="Decide")
    expect(decide.get_by_role("radio")).to_have_count(2)  # uphold or reverse, nothing else


def test_users_chats_and_pots_are_reported_too_in_italian_as_well(
    open_page: Callable[..., Page], api: Api, node: Node
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    api.user("mia", "Mia")
    cli(node, "admin", "grant", "mia", "moderator")
    chat_id = api.group(bob_user, "Range day", ann_user)
    body = {"title": "Club trip", "currency": "EUR", "goal_minor": 10_000}
    deadline_ms = int(time.time() * 1000) + 10 * 86_400_000
    api.call(
        bob_user,
        "POST",
        f"/api/v1/chats/{chat_id}/pots",
        json={**body, "deadline_at_ms": deadline_ms},
    )
    ann = open_page()
    sign_in(ann, "ann")
    open_chat(ann, "Range day")
    ann.get_by_role("button", name="Range day").click()
    panel = ann.get_by_role("region", name="Range day")
    panel.get_by_role("button", name="Report Bob").click()
    expect(ann.get_by_role("dialog", name="Report Bob")).to_be_visible()
    report_in_dialog(ann, "Scams and fraud", "Asks everyone for money")
    panel.get_by_role("button", name="Report this chat").click()
    expect(ann.get_by_role("dialog", name="Report the chat Range day")).to_be_visible()
    report_in_dialog(ann, "Violence", "")
    ann.locator("article.pot-card").get_by_role("link", name="Club trip").click()
    ann.get_by_role("button", name="Report this pot").click()
    expect(ann.get_by_role("dialog", name="Report the pot Club trip")).to_be_visible()
    report_in_dialog(ann, "Scams and fraud", "Nobody is going on a trip")
    subjects = {
        (c["subject"], c["subject_id"])
        for c in api.call(api.login("mia"), "GET", "/api/v1/mod/queue")["cases"]
    }
    assert ("user", bob_user.id) in subjects
    assert ("chat", chat_id) in subjects
    assert any(subject == "pot" for subject, _ in subjects)

    # In a direct chat, its panel reports the other person.
    api.call(ann_user, "POST", "/api/v1/chats/direct", json={"user_id": bob_user.id})
    open_chat(ann, "Bob")
    ann.get_by_role("button", name="Bob").click()
    expect(
        ann.get_by_role("region", name="Bob").get_by_role("button", name="Report Bob")
    ).to_be_visible()

    # An Italian browser gets the dialog in Italian.
    it = open_page(locale="it-IT")
    sign_in_it(it, "ann")
    open_chat(it, "Range day")
    it.get_by_role("button", name="Range day").click()
    it.get_by_role("button", name="Segnala questa chat").click()
    dialog = it.get_by_role("dialog", name="Segnala la chat Range day")
    expect(dialog.get_by_label("Che tipo di problema")).to_be_visible()
    expect(dialog.get_by_role("button", name="Invia la segnalazione")).to_be_visible()
    assert axe_violations(it) == []


def test_the_console_is_not_there_for_a_member(open_page: Callable[..., Page], api: Api) -> None:
    api.user("ann", "Ann")
    ann = open_page()
    sign_in(ann, "ann")
    expect(ann.get_by_role("link", name="Inbox")).to_be_visible()
    expect(ann.get_by_role("link", name="Moderation")).to_have_count(0)
    ann.goto(ann.url.rstrip("/") + "/mod")
    expect(ann.get_by_role("navigation", name="Chats")).to_be_visible()
    expect(ann.get_by_role("heading", name="Moderation")).to_have_count(0)
    expect(ann.get_by_role("list", name="Queue")).to_have_count(0)


def test_the_operator_registers_a_removal_order_and_reads_the_time_taken(
    open_page: Callable[..., Page], api: Api, node: Node
) -> None:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    api.user("mia", "Mia")
    cli(node, "admin", "create-operator", "root")
    cli(node, "admin", "grant", "mia", "moderator")
    chat_id = api.group(ann_user, "News", bob_user)
    posted = api.send(bob_user, chat_id, "join the fighters, here is the video")
    ann, root = open_page(), open_page()
    sign_in(ann, "ann")
    open_chat(ann, "News")
    expect(message(ann, "join the fighters")).to_have_count(1)

    sign_in(root, "root")
    root.get_by_role("link", name="Moderation").click()
    root.get_by_role("link", name="Removal orders").click()
    form = root.get_by_role("form", name="Register a removal order")
    form.get_by_label("Authority").fill("Bundeskriminalamt")
    form.get_by_label("Reference").fill("TCO-2026-0042")
    form.get_by_label("Reasons given in the order").fill("Terrorist content (Art. 2(7)(a))")
    form.get_by_label("Items, one a line").fill(f"message:{posted['id']}")
    expect(form.get_by_label("Received at")).not_to_have_value("")  # now, to the second
    expect(form.get_by_label("Tell the uploader")).to_be_checked()
    assert axe_violations(root) == []
    screenshots(root, "order-form")
    form.get_by_role("button", name="Register and remove").click()
    expect(form.get_by_role("status")).to_contain_text("Order registered: the items were removed")
    expect(message(ann, "join the fighters")).to_have_count(0)  # gone for everyone, live
    order = root.get_by_role("list", name="Removal orders").get_by_role("listitem").first
    expect(order).to_contain_text("Bundeskriminalamt · TCO-2026-0042")
    expect(order).to_contain_text("after receipt, within the one-hour limit")
    expect(order).to_contain_text(f"message:{posted['id']} — removed")
    assert axe_violations(root) == []
    screenshots(root, "orders", showing=order)

    # A moderator reads the orders; only the operator registers them.
    mia = open_page()
    sign_in(mia, "mia")
    mia.get_by_role("link", name="Moderation").click()
    mia.get_by_role("link", name="Removal orders").click()
    orders = mia.get_by_role("list", name="Removal orders")
    expect(orders).to_contain_text("TCO-2026-0042")
    expect(mia.get_by_role("form", name="Register a removal order")).to_have_count(0)
