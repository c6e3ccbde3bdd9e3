"""First load: at most 150 KB of JavaScript gzipped, whatever the browser fetched for it."""

from __future__ import annotations

import gzip
from collections.abc import Callable

from playwright.sync_api import Page, Response, expect

from tests.web.conftest import Api, sign_in

BUDGET_BYTES = 150 * 1024


def test_first_load_javascript_fits_the_budget(open_page: Callable[..., Page], api: Api) -> None:
    api.user("ann", "Ann")
    scripts: dict[str, int] = {}

    def record(response: Response) -> None:
        if response.request.resource_type == "script":
            scripts[response.url] = len(gzip.compress(response.body(), 9))

    page = open_page()
    page.on("response", record)
    page.reload()
    sign_in(page, "ann")
    expect(page.get_by_text("No chats yet")).to_be_visible()
    total = sum(scripts.values())
    kb = total / 1024
    print(f"\nweb client first load: {kb:.1f} KB of JavaScript gzipped, {len(scripts)} files")
    assert scripts, "no script was loaded"
    assert total <= BUDGET_BYTES
