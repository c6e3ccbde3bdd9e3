"""A pot from creation to contribution, vote and payout, in two browsers: the admin opens it
in a group, both pay through the sandbox's real checkout page, a member votes on an option,
proposes spending, both approve, the server's pot worker pays it out, and the ledger shows
every transfer and downloads as CSV. Nothing waits on a timer: each step waits for what the
user would see."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD
from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Api,
    axe_violations,
    open_chat,
    screenshot,
    two_in_a_group,
)

POT = "Summer camp"


def card(page: Page) -> Locator:
    """The pot's card: in the chat's strip, or at the top of the pot's screen."""
    return page.locator("article.pot-card")


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name)


def contribute(page: Page, amount: str) -> None:
    """Give `amount` on the pot's screen, confirming on the sandbox's checkout page, which
    opens in a tab of its own."""
    section = region(page, "Contributions")
    section.get_by_label("Amount").fill(amount)
    section.get_by_role("button", name="Contribute").click()
    with page.context.expect_page() as opened:
        section.get_by_role("link", name="Continue to payment").click()
    checkout = opened.value
    expect(checkout.get_by_role("heading", name="Sandbox payment")).to_be_visible()
    checkout.get_by_role("button", name="Confirm payment").click()
    expect(checkout.get_by_role("heading", name="Payment confirmed")).to_be_visible()
    checkout.close()


def no_serious_violation(page: Page) -> None:
    assert axe_violations(page) == []


def test_pot_from_creation_to_contribution_vote_and_payout(
    open_page: Callable[..., Page], api: Api, tmp_path: Path
) -> None:
    pair = two_in_a_group(open_page, api, "Camping trip")
    ann, bob = pair.ann, pair.bob

    # Ann, an admin, opens a pot; the form refuses more decimals than the currency has.
    ann.get_by_role("link", name="New pot").click()
    ann.get_by_label("Title").fill(POT)
    ann.get_by_label("Description").fill("Two weeks in the hills")
    ann.get_by_label("Currency").select_option("JPY")
    ann.get_by_label("Goal").fill("12.5")
    ann.get_by_role("button", name="Create").click()
    expect(ann.get_by_role("alert")).to_have_text("JPY has no decimals: write a whole number.")
    ann.get_by_label("Currency").select_option("EUR")
    ann.get_by_label("Goal").fill("100.00")
    ann.get_by_role("button", name="Add item").click()
    ann.get_by_label("What, item 1").fill("Tent")
    ann.get_by_label("Price each, item 1").fill("100")
    for n, option in enumerate(("Green tent", "Blue tent"), start=1):
        ann.get_by_role("button", name="Add option").click()
        ann.get_by_label(f"Option {n}", exact=True).fill(option)
    no_serious_violation(ann)
    ann.get_by_role("button", name="Create").click()
    expect(ann.get_by_role("heading", name=POT, level=1)).to_be_visible()
    expect(card(ann)).to_contain_text("€0.00 of €100.00")
    expect(card(ann)).to_contain_text("Screening: allowed")  # the organiser sees the verdict

    # Bob sees it arrive in the chat, without the verdict, and opens it.
    expect(card(bob)).to_contain_text("€0.00 of €100.00")
    expect(card(bob)).to_contain_text("0 contributors")
    expect(card(bob)).not_to_contain_text("Screening")
    card(bob).get_by_role("link", name=POT).click()
    expect(bob.get_by_role("heading", name=POT, level=1)).to_be_visible()

    # Bob pays through the checkout; both screens follow live.
    contribute(bob, "30")
    for page in (ann, bob):
        expect(card(page)).to_contain_text("€30.00 of €100.00")
        expect(card(page)).to_contain_text("1 contributor")
    expect(region(bob, "Contributions").locator("ul.contributions")).to_contain_text("You")
    expect(region(ann, "Contributions").locator("ul.contributions")).to_contain_text("Bob")

    # One vote per member on what to buy.
    options = region(bob, "Options to vote on")
    options.get_by_role("button", name="Vote for Green tent").click()
    expect(options.locator("li", has_text="Green tent")).to_contain_text("1 vote")
    expect(options.get_by_role("button")).to_have_count(0)
    expect(region(ann, "Options to vote on").locator("li", has_text="Green tent")).to_contain_text(
        "1 vote"
    )

    contribute(ann, "20")
    for page in (ann, bob):
        expect(card(page)).to_contain_text("€50.00 of €100.00")

    # Bob proposes spending; both contributors approve; the worker pays it out.
    spending = region(bob, "Spending")
    spending.get_by_label("Title").fill("Green tent")
    spending.get_by_label("Amount").fill("45")
    spending.get_by_label("Payee").fill("Camping shop")
    spending.get_by_role("button", name="Propose spending").click()
    for page in (bob, ann):
        proposal = region(page, "Spending").locator("li.proposal", has_text="Green tent")
        expect(proposal.locator(".status")).to_have_text("voting")
        proposal.get_by_role("button", name="Approve").click()
        expect(proposal).to_contain_text("You approved")
    for page in (ann, bob):
        proposal = region(page, "Spending").locator("li.proposal", has_text="Green tent")
        expect(proposal.locator(".status")).to_have_text("paid")
    share = region(bob, "Where your money went")
    expect(share).to_contain_text("€27.00")  # 45.00 × 30/50
    no_serious_violation(bob)
    bob.locator("main").evaluate("main => main.scrollTo(0, 0)")
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        bob.set_viewport_size(size)
        screenshot(bob, f"pot-{width}")
    bob.set_viewport_size(DESKTOP)

    # The ledger: every transfer, the totals, and the CSV.
    ann.get_by_role("link", name="Open the ledger").click()
    table = ann.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(3)
    payout = table.locator("tr", has_text="payout")
    expect(payout).to_contain_text("Camping shop")
    expect(payout).to_contain_text("Green tent")
    expect(payout).to_contain_text("-€45.00")
    expect(payout).to_contain_text("done")
    expect(table.locator("tr", has_text="Bob")).to_contain_text("€30.00")
    totals = ann.locator("dl.totals")
    expect(totals.locator("div", has_text="Spent")).to_contain_text("€45.00")
    expect(totals.locator("div", has_text="Balance")).to_contain_text("€5.00")
    no_serious_violation(ann)
    with ann.expect_download() as download:
        ann.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith("-ledger.csv")
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("transfer,at_ms,code,amount")
    assert len(lines) == 4
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        ann.set_viewport_size(size)
        screenshot(ann, f"pot-ledger-{width}")

    # Back in the chat, the card sits above the history.
    ann.set_viewport_size(DESKTOP)
    open_chat(ann, "Camping trip")
    expect(card(ann)).to_contain_text("€50.00 of €100.00")
    no_serious_violation(ann)
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        ann.set_viewport_size(size)
        screenshot(ann, f"pot-chat-{width}")


def test_an_italian_browser_types_and_reads_amounts_its_way(
    open_page: Callable[..., Page], api: Api
) -> None:
    api.group(api.user("ann", "Ann"), "Gita")
    page = open_page(locale="it-IT")
    page.get_by_label("Nome utente").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.locator("a.chat-row", has_text="Gita").click()
    page.get_by_role("link", name="Nuova colletta").click()
    page.get_by_label("Titolo").fill("Pullman")
    page.get_by_label("Obiettivo").fill("100,505")
    page.get_by_role("button", name="Crea").click()
    expect(page.get_by_role("alert")).to_have_text("EUR ha al massimo 2 decimali.")
    page.get_by_label("Obiettivo").fill("100,5")
    page.get_by_role("button", name="Crea").click()
    expect(page.get_by_role("heading", name="Pullman", level=1)).to_be_visible()
    expect(card(page)).to_contain_text("0,00\u00a0€ su 100,50\u00a0€")
    expect(card(page)).to_contain_text("Verifica: approvata")
