"""Trust & safety in the browser: a member reports a message, a moderator (granted as the CLI
does) finds it in the console, removes it, and the reporter's inbox shows the decision; the
author complains from their inbox; the console is not there for anyone else; the operator
registers a removal order and reads how long it took."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.nodes import BIN, Node
from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Api,
    User,
    axe_violations,
    message,
    open_chat,
    screenshot,
    sign_in,
)

RISK = "Risk for public security"


def cli(node: Node, *args: str) -> None:
    """`colletta …` against the node's data directory, as its operator would run it."""
    env = {
        **os.environ,
        "COLLETTA_DATA_DIR": str(node.data_dir),
        "COLLETTA_NEW_PASSWORD": PASSWORD,
        "COLLETTA_ARGON2_TIME_COST": "1",
        "COLLETTA_ARGON2_MEMORY_KIB": "64",
    }
    subprocess.run([str(BIN), *args], env=env, check=True, capture_output=True)


def login(api: Api, username: str) -> User:
    body = {"username": username, "password": PASSWORD}
    found = api.http.post("/api/v1/auth/login", json=body).json()
    api.users[username] = User(username, found["token"], found["user"]["id"])
    return api.users[username]


def screenshots(page: Page, name: str) -> None:
    """The page at phone and desktop widths, back at desktop after."""
    for width, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        screenshot(page, f"{name}-{width}")


def report_message(page: Page, text: str, category: str, why: str) -> None:
    """Open the message's menu, report it, and read the acknowledgement."""
    item = message(page, text)
    item.get_by_role("button", name="Actions for message").click()
    item.get_by_role("button", name="Report").click()
    expect(page.get_by_role("dialog", name="Report a message")).to_be_visible()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("What kind of problem").select_option(label=category)
    dialog.get_by_label("What is wrong (optional)").fill(why)
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("heading", name="Report received")).to_be_visible()


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
