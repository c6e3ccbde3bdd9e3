"""What the web client learns of the payment provider (`GET /api/v1/payments/config`), and the
web client's Content-Security-Policy: Stripe's origins are let in only on a server that takes
cards with Stripe, never on the sandbox's."""

from __future__ import annotations

import httpx
import pytest

from colletta.api.middleware import API_CSP, PAY_CSP, WEB_CSP

STRIPE = {
    "payments_provider": "stripe",
    "stripe_secret_key": "sk_test_x",
    "stripe_webhook_secret": "whsec_x",
    "stripe_publishable_key": "pk_test_abc",
}


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    parsed = (part.split() for part in policy.split(";"))
    return {words[0]: words[1:] for words in parsed if words}


async def test_a_sandbox_server_names_no_stripe_and_lets_in_no_other_origin(
    http: httpx.AsyncClient,
) -> None:
    config = await http.get("/api/v1/payments/config")
    assert config.status_code == 200
    assert config.json() == {"provider": "sandbox", "stripe": None}
    for path in ("/", "/chat/1/pot/2"):
        page = await http.get(path)
        assert page.headers["content-security-policy"] == WEB_CSP.decode()
        assert "stripe" not in page.headers["content-security-policy"]
        assert "frame-src" not in directives(page)  # default-src 'none': no frame at all


@pytest.mark.settings(**STRIPE)
async def test_a_stripe_server_hands_out_its_publishable_key_and_lets_stripe_js_in(
    http: httpx.AsyncClient,
) -> None:
    config = await http.get("/api/v1/payments/config")
    assert config.json() == {
        "provider": "stripe",
        "stripe": {"publishable_key": "pk_test_abc", "js_url": "https://js.stripe.com/v3/"},
    }
    assert "sk_test_x" not in config.text
    assert "whsec_x" not in config.text
    web = directives(await http.get("/chat/1"))
    assert web["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert web["frame-src"] == [
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert web["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert web["default-src"] == ["'none'"]
    assert web["frame-ancestors"] == ["'none'"]
    # Only the web client's pages: the API and the sandbox's pages keep their own policies.
    api = await http.get("/api/v1/health")
    assert api.headers["content-security-policy"] == API_CSP.decode()
    pay = await http.get("/pay/sandbox/x")
    assert pay.headers["content-security-policy"] == PAY_CSP.decode()


@pytest.mark.settings(**STRIPE, stripe_js_url="http://127.0.0.1:8420/js.stripe.com/v3/")
async def test_a_stand_in_for_stripe_js_is_let_in_by_its_own_origin(
    http: httpx.AsyncClient,
) -> None:
    web = directives(await http.get("/"))
    stand_in = "http://127.0.0.1:8420"
    assert web["script-src"] == ["'self'", stand_in]
    assert web["frame-src"] == [stand_in]
    assert web["connect-src"] == ["'self'", stand_in]
    assert "https://js.stripe.com" not in str(web)


@pytest.mark.settings(**{**STRIPE, "payments_provider": "sandbox"})
async def test_stripe_keys_on_a_sandbox_server_change_nothing_for_the_browser(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/api/v1/payments/config")).json()["stripe"] is None
    assert (await http.get("/")).headers["content-security-policy"] == WEB_CSP.decode()
