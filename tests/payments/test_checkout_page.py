"""The sandbox's checkout page, as the payer's browser sees it."""

from __future__ import annotations

import httpx
import pytest

from colletta.payments.provider import ProviderEvent, ProviderEventKind
from colletta.payments.sandbox import SandboxProvider
from tests.payments.conftest import start_payment
from tests.test_openapi import _PageRefs


def policy_of(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())


@pytest.mark.parametrize(
    ("amount_minor", "currency", "shown"),
    [(1250, "EUR", "12.50 EUR"), (500, "JPY", "500 JPY"), (1500, "KWD", "1.500 KWD")],
)
async def test_the_page_shows_the_amount_in_the_currencys_own_digits(
    http: httpx.AsyncClient,
    sandbox: SandboxProvider,
    amount_minor: int,
    currency: str,
    shown: str,
) -> None:
    page = await http.get(await start_payment(sandbox, amount_minor, currency))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert shown in page.text
    # The description is text, never markup.
    assert "Mosque roof &lt;repairs&gt; &amp; iftar" in page.text
    assert '<html lang="en">' in page.text
    assert 'value="confirm"' in page.text
    assert 'value="decline"' in page.text


async def test_the_page_runs_nothing_and_loads_only_its_stylesheet(
    http: httpx.AsyncClient, sandbox: SandboxProvider
) -> None:
    path = await start_payment(sandbox)
    page = await http.get(path)
    refs = _PageRefs()
    refs.feed(page.text)
    assert refs.inline == []
    assert refs.urls == ["/pay/assets/checkout.css"]
    css = await http.get(refs.urls[0])
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert f'<form method="post" action="{path}">' in page.text
    policy = policy_of(page)
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert "script-src" not in policy
    assert page.headers["referrer-policy"] == "no-referrer"  # the token stays here
    assert page.headers["cache-control"] == "no-store"


async def test_confirming_tells_the_payer_and_the_webhook_follows(
    http: httpx.AsyncClient, sandbox: SandboxProvider, handed_on: list[ProviderEvent]
) -> None:
    path = await start_payment(sandbox)
    done = await http.post(path, data={"decision": "confirm"})
    assert done.status_code == 200
    assert "Payment confirmed" in done.text
    assert "You can close this page" in done.text
    await sandbox.flush()
    assert [event.kind for event in handed_on] == [ProviderEventKind.PAYMENT_SUCCEEDED]
    assert handed_on[0].metadata == {"pot_id": "7"}
    again = await http.post(path, data={"decision": "confirm"})
    assert "already confirmed" in again.text
    await sandbox.flush()
    assert len(handed_on) == 1


async def test_declining_tells_the_payer_and_the_failure_follows(
    http: httpx.AsyncClient, sandbox: SandboxProvider, handed_on: list[ProviderEvent]
) -> None:
    done = await http.post(await start_payment(sandbox), data={"decision": "decline"})
    assert "Payment declined" in done.text
    await sandbox.flush()
    assert [event.kind for event in handed_on] == [ProviderEventKind.PAYMENT_FAILED]


async def test_the_payer_goes_back_only_to_this_server(
    http: httpx.AsyncClient, sandbox: SandboxProvider
) -> None:
    here = await start_payment(sandbox, return_url="/pots/7?paid=1", key="k1")
    done = await http.post(here, data={"decision": "confirm"})
    assert done.status_code == 303
    assert done.headers["location"] == "/pots/7?paid=1"
    absolute = await start_payment(sandbox, return_url="http://colletta.test/pots/7", key="k2")
    done = await http.post(absolute, data={"decision": "confirm"})
    assert done.headers["location"] == "http://colletta.test/pots/7"
    for n, elsewhere in enumerate(
        ["https://evil.example/pots", "//evil.example/pots", "/\\evil.example", "javascript:x"]
    ):
        path = await start_payment(sandbox, return_url=elsewhere, key=f"e{n}")
        done = await http.post(path, data={"decision": "confirm"})
        assert done.status_code == 200, elsewhere
        assert "Payment confirmed" in done.text


async def test_a_tampered_token_is_a_not_found_page(
    http: httpx.AsyncClient, sandbox: SandboxProvider, handed_on: list[ProviderEvent]
) -> None:
    path = await start_payment(sandbox)
    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    for bad in (tampered, "/pay/sandbox/nonsense", "/pay/sandbox/" + "x" * 20_000):
        page = await http.get(bad)
        assert page.status_code == 404, bad[:40]
        assert page.headers["content-type"].startswith("text/html")
        assert "No such payment" in page.text
        posted = await http.post(bad, data={"decision": "confirm"})
        assert posted.status_code == 404
    await sandbox.flush(everything=True)
    assert handed_on == []


async def test_an_answer_that_is_neither_is_asked_again(
    http: httpx.AsyncClient, sandbox: SandboxProvider
) -> None:
    path = await start_payment(sandbox)
    for form in ({"decision": "maybe"}, {}):
        page = await http.post(path, data=form)
        assert page.status_code == 400
        assert "Confirm or decline" in page.text
    assert sandbox.waiting == 0


@pytest.mark.settings(
    payments_provider="stripe",
    stripe_secret_key="sk_test_x",
    stripe_webhook_secret="whsec_x",
    stripe_publishable_key="pk_test_x",
)
async def test_a_server_taking_real_money_serves_no_sandbox_page(http: httpx.AsyncClient) -> None:
    page = await http.get("/pay/sandbox/anything")
    assert page.status_code == 404
    assert "No such payment" in page.text
