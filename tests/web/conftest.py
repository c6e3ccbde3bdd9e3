"""The web client in a real browser: Playwright for Python driving Debian's `chromium`
against a real `colletta serve` process.

In CI (CI=true) these tests always run: a missing chromium or build is a failure. Elsewhere
they skip, saying what to install (`apt-get install -y chromium`) or build (`make web`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from colletta.api.web import WEB_DIST
from tests.conftest import IN_CI, PASSWORD
from tests.e2e.nodes import BIN, Node

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Chromium here: no sandbox as root, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
expect.set_options(timeout=20_000)


def _require(ok: bool, reason: str) -> None:
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI runs the web tests, never skips them)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    _require(CHROMIUM.exists(), "Debian's chromium is missing: apt-get install -y chromium")
    _require(AXE.exists(), "web/node_modules is missing: make web")
    _require((WEB_DIST / "index.html").exists(), "the web client is not built: make web")
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": DESKTOP, "locale": "en-US"}


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory migrated once (`colletta migrate`, as `make run` does), which each
    test's server starts from a copy of: a migration is seconds of a process importing."""
    data = tmp_path_factory.mktemp("migrated")
    subprocess.run([str(BIN), "migrate", "--data-dir", str(data)], check=True, capture_output=True)
    return data


def data_dir(migrated: Path, tmp_path: Path) -> Path:
    """A test's own data directory, migrated."""
    return Path(shutil.copytree(migrated, tmp_path / "data"))


@pytest.fixture
def node(migrated: Path, tmp_path: Path) -> Iterator[Node]:
    """A real server on SQLite in its own data directory."""
    server = Node(data_dir(migrated, tmp_path))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class User:
    username: str
    token: str
    id: str


class Api:
    """The HTTP API by bearer token, to set the scene faster than a browser would."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.count = 0
        self.users: dict[str, User] = {}

    def user(self, username: str, display_name: str) -> User:
        body = {"username": username, "password": PASSWORD, "display_name": display_name}
        assert self.http.post("/api/v1/auth/register", json=body).status_code == 201
        login = self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        ).json()
        self.users[username] = User(username, login["token"], login["user"]["id"])
        return self.users[username]

    def login(self, username: str) -> User:
        """A token for a user made elsewhere (the CLI's operator, say)."""
        body = {"username": username, "password": PASSWORD}
        found = self.http.post("/api/v1/auth/login", json=body).json()
        self.users[username] = User(username, found["token"], found["user"]["id"])
        return self.users[username]

    def call(self, user: User, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method, path, headers={"Authorization": f"Bearer {user.token}"}, **kwargs
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def group(self, owner: User, title: str, *members: User) -> str:
        chat = self.call(owner, "POST", "/api/v1/chats", json={"kind": "group", "title": title})
        for member in members:
            self.call(
                owner, "POST", f"/api/v1/chats/{chat['id']}/members", json={"user_id": member.id}
            )
        return str(chat["id"])

    def send(self, user: User, chat_id: str, text: str) -> dict[str, Any]:
        self.count += 1
        body = {"text": text, "client_txn_id": f"api-{self.count}"}
        result: dict[str, Any] = self.call(
            user, "POST", f"/api/v1/chats/{chat_id}/messages", json=body
        )
        return result


@pytest.fixture
def api(node: Node) -> Iterator[Api]:
    client = Api(node.url)
    yield client
    client.http.close()


@pytest.fixture
def open_page(browser: Browser, node: Node) -> Iterator[Callable[..., Page]]:
    """A new browser context (one user's browser) on the server; axe-core ready in it; any
    Content-Security-Policy violation or page error fails the test."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make(viewport: dict[str, int] | None = None, locale: str = "en-US") -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, locale=locale)
        context.add_init_script(path=str(AXE))  # not an inline script: the CSP stays strict
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda msg: (
                problems.append(msg.text)
                if "Content Security Policy" in msg.text or "Refused to" in msg.text
                else None
            ),
        )
        page.goto(node.url + "/")
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], problems


def sign_in(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Chats")).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now."""
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def screenshots(page: Page, name: str, showing: Locator | None = None) -> None:
    """The page at phone and desktop widths (scrolled to `showing`), back at desktop after."""
    for width, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        if showing is not None:
            showing.scroll_into_view_if_needed()
        screenshot(page, f"{name}-{width}")


def cli(node: Node, *args: str) -> None:
    """`colletta …` on the node's data directory, as its operator runs it (a new password,
    for `admin create-operator`, comes from the environment)."""
    env = {
        **os.environ,
        "COLLETTA_DATA_DIR": str(node.data_dir),
        "COLLETTA_NEW_PASSWORD": PASSWORD,
        "COLLETTA_ARGON2_TIME_COST": "1",
        "COLLETTA_ARGON2_MEMORY_KIB": "64",
    }
    subprocess.run([str(BIN), *args], env=env, check=True, capture_output=True)


def message(page: Page, text: str) -> Locator:
    """The messages on screen that contain `text`."""
    return page.locator("article.message", has_text=text)


def open_chat(page: Page, title: str) -> None:
    page.locator("a.chat-row", has_text=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def send(page: Page, text: str) -> None:
    composer = page.get_by_label("Message", exact=True)
    composer.fill(text)
    composer.press("Enter")


@dataclass
class Pair:
    """Ann (owner) and Bob in one group, each in a browser of their own with it open."""

    ann_user: User
    bob_user: User
    chat_id: str
    ann: Page
    bob: Page


def two_signed_in(open_page: Callable[..., Page], api: Api) -> tuple[Page, Page]:
    """Ann and Bob, each signed in in a browser of their own."""
    ann, bob = open_page(), open_page()
    for page, name in ((ann, "ann"), (bob, "bob")):
        if not api.users.get(name):
            api.user(name, name.capitalize())
        sign_in(page, name)
    return ann, bob


def two_in_a_group(open_page: Callable[..., Page], api: Api, title: str) -> Pair:
    ann_user, bob_user = api.user("ann", "Ann"), api.user("bob", "Bob")
    chat_id = api.group(ann_user, title, bob_user)
    ann, bob = two_signed_in(open_page, api)
    for page in (ann, bob):
        open_chat(page, title)
    return Pair(ann_user, bob_user, chat_id, ann, bob)


def new_chat(page: Page, kind: str, fields: dict[str, str], *checks: str) -> None:
    """Create a chat in the browser: `kind` is the label of its kind; `fields` fill the
    inputs so labelled, `checks` tick the boxes so labelled."""
    page.get_by_role("link", name="New chat").click()
    page.get_by_role("radio", name=kind).check()
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    for label in checks:
        page.get_by_label(label).check()
    page.get_by_role("button", name="Create").click()
