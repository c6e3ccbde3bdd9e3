"""`/pay/sandbox/{token}`: the sandbox provider's checkout page, for the payer's browser.

A page, not part of the API (so not in the OpenAPI document): the token is the capability,
no login needed, as on a real provider's checkout. No script and no inline style: its
Content-Security-Policy (`middleware.csp_for`) allows this server's stylesheet and forms
posting back here, nothing else. The token travels in the path only; `Referrer-Policy:
no-referrer` and `Cache-Control: no-store` (middleware) keep it out of other sites and caches.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from colletta.actions.checkout import access_sandbox_checkout, do_decide_sandbox_checkout
from colletta.api.deps import Ctx
from colletta.api.errors import status_of
from colletta.domain.money import format_amount
from colletta.errors import Gone, NotFound
from colletta.payments.provider import Outcome
from colletta.payments.sandbox import Checkout

router = APIRouter(prefix="/pay", include_in_schema=False)
STYLESHEET = "/pay/assets/checkout.css"
_CSS = Path(__file__).parent / "static" / "checkout.css"
_MAX_FORM_BYTES = 1024


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Colletta sandbox</title>
<link rel="stylesheet" href="{STYLESHEET}">
</head>
<body>
<main>
<h1>{escape(title)}</h1>
{body}
</main>
</body>
</html>
""",
        status_code=status,
    )


def _problem_page(exc: NotFound | Gone) -> HTMLResponse:
    title = "Payment link expired" if isinstance(exc, Gone) else "No such payment"
    return _page(title, f"<p>{escape(exc.detail)}</p>", status_of(exc))


def _details(checkout: Checkout) -> str:
    amount = f"{format_amount(checkout.amount_minor, checkout.currency)} {checkout.currency}"
    return (
        "<dl>"
        f'<dt>Amount</dt><dd class="amount">{escape(amount)}</dd>'
        f"<dt>For</dt><dd>{escape(checkout.description) or 'No description'}</dd>"
        "</dl>"
    )


@router.get("/assets/checkout.css")
async def stylesheet() -> Response:
    return FileResponse(_CSS, media_type="text/css")


@router.get("/sandbox/{token}")
async def checkout_page(token: str, ctx: Ctx) -> Response:
    try:
        checkout = access_sandbox_checkout(ctx, token)
    except (NotFound, Gone) as exc:
        return _problem_page(exc)
    action = "/pay/sandbox/" + escape(token)
    return _page(
        "Sandbox payment",
        '<p class="note">This is Colletta\'s sandbox: confirming moves no money.</p>'
        + _details(checkout)
        + f'<form method="post" action="{action}">'
        '<button type="submit" name="decision" value="confirm" class="confirm">'
        "Confirm payment</button>"
        '<button type="submit" name="decision" value="decline" class="decline">'
        "Decline</button>"
        "</form>",
    )


@router.post("/sandbox/{token}")
async def checkout_decide(token: str, request: Request, ctx: Ctx) -> Response:
    body = await request.body()
    decision = parse_qs(body[:_MAX_FORM_BYTES].decode("latin-1")).get("decision", [""])[0]
    if decision not in ("confirm", "decline"):
        return _page("Choose an answer", "<p>Confirm or decline the payment.</p>", 400)
    try:
        decided = do_decide_sandbox_checkout(ctx, token, confirm=decision == "confirm")
    except (NotFound, Gone) as exc:
        return _problem_page(exc)
    return_url = decided.checkout.return_url
    if not decided.already and return_url and _same_origin(return_url, request):
        return RedirectResponse(return_url, status_code=303)
    paid = decided.outcome is Outcome.SUCCEEDED
    if decided.already:
        title = "Payment already confirmed" if paid else "Payment already declined"
    elif paid:
        title = "Payment confirmed"
    else:
        title = "Payment declined" if decision == "decline" else "Payment failed"
    return _page(title, _details(decided.checkout) + "<p>You can close this page.</p>")


def _same_origin(url: str, request: Request) -> bool:
    """A path on this server, or an absolute URL of this server's own origin."""
    if "\\" in url or any(ord(c) < 0x21 for c in url):
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return url.startswith("/") and not url.startswith("//")
    here = request.base_url
    return (parts.scheme, parts.netloc) == (here.scheme, here.netloc)
