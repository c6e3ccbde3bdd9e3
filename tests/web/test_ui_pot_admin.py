"""A pot after it opens, in two browsers: the organiser edits it (a refused edit says why,
and its statement of reasons reaches the organiser's inbox live), a member proposes spending
with a receipt every member sees, the organiser stops collecting, finishing waits for the
vote, and refunding everyone asks first; the operator freezes a pot and its organiser reads
why, live. Nothing waits on a timer: each step waits for what the user would see."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.e2e.nodes import Node
from tests.web.conftest import (
    Api,
    User,
    axe_violations,
    cli,
    open_chat,
    screenshots,
    sign_in,
    two_in_a_group,
)

DAY_MS = 86_400_000


def card(page: Page) -> Locator:
    return page.locator("article.pot-card")


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name)


def make_pot(api: Api, user: User, chat_id: str, title: str, **extra: Any) -> dict[str, Any]:
    body = {
        "title": title,
        "currency": "EUR",
        "goal_minor": 10_000,
        "deadline_at_ms": int(time.time() * 1000) + 10 * DAY_MS,
        **extra,
    }
    pot: dict[str, Any] = api.call(user, "POST", f"/api/v1/chats/{chat_id}/pots", json=body)
    return pot


def pay(api: Api, user: User, pot_id: str, amount_minor: int) -> None:
    """A contribution confirmed on the sandbox's checkout page, as a payer's browser would."""
    started = api.call(
        user,
        "POST",
        f"/api/v1/pots/{pot_id}/contributions",
        json={
            "client_id": f"{user.username}-{amount_minor}",
            "amount_minor": amount_minor,
            "currency": "EUR",
        },
    )
    done = api.http.post(started["checkout_url"], data={"decision": "confirm"})
    assert done.status_code == 200
    assert "Payment confirmed" in done.text


def open_pot(page: Page, title: str) -> None:
    card(page).get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def confirm(page: Page, action: str) -> None:
    """Click an action of the Manage section and confirm it in its dialog."""
    region(page, "Manage this pot").get_by_role("button", name=action).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=action).click()
    expect(dialog).to_be_hidden()


def receipt_png(tmp_path: Path) -> Path:
    path = tmp_path / "quote.png"
    image = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 60, 20)).save(image, "PNG")
    path.write_bytes(image.getvalue())
    return path


def test_the_organiser_edits_closes_and_refunds_with_a_receipt_on_spending(
    open_page: Callable[..., Page], api: Api, tmp_path: Path
) -> None:
    pair = two_in_a_group(open_page, api, "Camping trip")
    ann, bob = pair.ann, pair.bob
    pot = make_pot(
        api,
        pair.ann_user,
        pair.chat_id,
        "Summer camp",
        items=[{"what": "Tent", "quantity": 1, "price_minor": 10_000}],
        options=["Green tent"],
    )
    pay(api, pair.bob_user, pot["id"], 3_000)
    for page in (ann, bob):
        expect(card(page)).to_contain_text("€30.00 of €100.00")
        open_pot(page, "Summer camp")
    expect(region(bob, "Manage this pot")).to_have_count(0)  # a member does not manage it
    manage = region(ann, "Manage this pot")
    expect(manage).to_be_visible()

    # An edit screening refuses says why; its statement of reasons reaches the inbox live.
    expect(ann.get_by_role("link", name="Inbox")).to_have_text("Inbox")
    manage.get_by_role("link", name="Edit").click()
    expect(ann.get_by_role("heading", name="Edit Summer camp")).to_be_visible()
    expect(ann.get_by_label("Price each, item 1")).to_have_value("100.00")
    ann.get_by_label("Title").fill("Rifles and ammo for the brigade")
    ann.get_by_role("button", name="Save changes").click()
    expect(ann.get_by_role("alert")).to_contain_text("Refused by screening:")
    expect(ann.get_by_role("link", name="Inbox 1 new notice")).to_be_visible()
    ann.get_by_label("Title").fill("Summer camp 2027")
    ann.get_by_role("button", name="Add option").click()
    ann.get_by_label("Option 2", exact=True).fill("Blue tent")
    ann.get_by_label("Price each, item 1").fill("90")
    assert axe_violations(ann) == []
    screenshots(ann, "pot-edit")
    ann.get_by_role("button", name="Save changes").click()
    for page in (ann, bob):  # Bob's screen follows live
        expect(page.get_by_role("heading", name="Summer camp 2027", level=1)).to_be_visible()
        expect(region(page, "Options to vote on")).to_contain_text("Blue tent")
        expect(region(page, "Items")).to_contain_text("€90.00")

    # Bob proposes spending with a receipt; both see it on the proposal.
    spending = region(bob, "Spending")
    spending.get_by_label("Title").fill("Green tent")
    spending.get_by_label("Amount").fill("25")
    spending.get_by_label("Payee").fill("Camping shop")
    spending.get_by_label("Receipt (optional").set_input_files(str(receipt_png(tmp_path)))
    expect(spending.get_by_role("progressbar", name="Upload of quote.png")).to_have_attribute(
        "value", "1"
    )
    spending.get_by_role("button", name="Propose spending").click()
    for page in (bob, ann):
        proposal = region(page, "Spending").locator("li.proposal", has_text="Green tent")
        link = proposal.get_by_role("link", name="Receipt for Green tent")
        expect(link).to_be_visible()
        expect(link.locator("img")).to_be_visible()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.receipt img')].every(i => i.naturalWidth > 0)"
        )
        href = link.get_attribute("href")
        assert href is not None
        got = page.evaluate(
            "href => fetch(href).then(r => [r.status, r.headers.get('content-type')])", href
        )
        assert got == [200, "image/png"]

    # Stopping the collection asks first; cancelling changes nothing.
    manage.get_by_role("button", name="Stop collecting").click()
    dialog = ann.get_by_role("dialog")
    expect(dialog).to_contain_text("Nobody can contribute after this")
    assert axe_violations(ann) == []
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(card(ann)).not_to_contain_text("Closed")
    confirm(ann, "Stop collecting")
    for page in (ann, bob):
        expect(card(page).locator(".badge-pot")).to_have_text("Closed")
    # Finishing waits for the vote in progress, and says so.
    confirm(ann, "Finish")
    expect(manage.get_by_role("alert")).to_contain_text("spending vote or payout is in progress")

    # Refunding everyone asks first, then both screens follow.
    manage.get_by_role("button", name="Refund everyone").click()
    expect(ann.get_by_role("dialog")).to_contain_text("cannot be undone")
    screenshots(ann, "pot-refund-confirm")
    ann.get_by_role("dialog").get_by_role("button", name="Refund everyone").click()
    for page in (ann, bob):
        expect(card(page).locator(".badge-pot").first).to_have_text(re.compile("Refunding|Settled"))
    expect(region(ann, "Manage this pot").get_by_role("button")).to_have_count(0)

    # The inbox: the statement of the refused edit, readable; opening it clears the badge.
    ann.get_by_role("link", name="Inbox").click()
    notice = ann.locator("li.notice").first
    expect(notice).to_contain_text("Statement of reasons: Payments ended")
    expect(notice).to_contain_text("Against the terms of service")
    expect(notice).to_contain_text("An edit of the pot “Summer camp”")  # the facts
    expect(notice.locator(".rule-ids code").first).to_be_visible()
    expect(notice).to_contain_text("By automated checks")
    expect(notice).to_contain_text("Fully automated")
    expect(notice).to_contain_text("No end date")
    expect(notice).to_contain_text("You can complain against this decision")
    expect(ann.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    assert axe_violations(ann) == []
    screenshots(ann, "inbox")
    ann.get_by_role("link", name="Statements of reasons").click()
    statement = ann.locator("li.notice").first
    expect(statement).to_contain_text("Payments ended (pot refused or refunded)")
    ann.reload()  # what was seen stays seen on this device
    expect(ann.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(ann.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    open_chat(ann, "Camping trip")
    expect(ann.get_by_role("link", name="Inbox", exact=True)).to_be_visible()


def test_the_operator_freezes_a_pot_and_its_organiser_reads_why(
    open_page: Callable[..., Page], api: Api, node: Node
) -> None:
    ann_user = api.user("ann", "Ann")
    cli(node, "admin", "create-operator", "root")
    root = api.login("root")
    chat_id = api.group(ann_user, "Marksmen", root)
    # Screening sends this pot for review: it collects, its payouts are held.
    make_pot(api, ann_user, chat_id, "Shooting club range repairs")
    ann, op = open_page(), open_page()
    sign_in(ann, "ann")
    sign_in(op, "root")
    # The statement arrived while Ann was away: the inbox catches up on sign-in.
    expect(ann.get_by_role("link", name="Inbox 1 new notice")).to_be_visible()
    for page in (ann, op):
        open_chat(page, "Marksmen")
        open_pot(page, "Shooting club range repairs")
    manage = region(ann, "Manage this pot")
    expect(manage).to_contain_text("Payouts are held while a moderator reviews this pot")
    expect(card(ann)).to_contain_text("Payouts held")
    expect(manage.get_by_role("button", name="Freeze")).to_have_count(0)  # the operator's

    # The operator freezes it, giving a reason; the organiser reads it live.
    region(op, "Manage this pot").get_by_role("button", name="Freeze").click()
    dialog = op.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("Checking who the payee is")
    assert axe_violations(op) == []
    dialog.get_by_role("button", name="Freeze").click()
    expect(manage).to_contain_text("This pot is frozen: Checking who the payee is.")
    expect(card(ann)).to_contain_text("Frozen")
    # Frozen, the organiser can neither stop collecting nor refund: the operator decides.
    expect(manage.get_by_role("button", name="Stop collecting")).to_have_count(0)
    expect(manage.get_by_role("button", name="Refund everyone")).to_have_count(0)
    assert axe_violations(ann) == []
    screenshots(ann, "pot-frozen")

    region(op, "Manage this pot").get_by_role("button", name="Unfreeze").click()
    op.get_by_role("dialog").get_by_role("button", name="Unfreeze").click()
    expect(manage).not_to_contain_text("This pot is frozen")
    expect(manage.get_by_role("button", name="Stop collecting")).to_be_visible()
