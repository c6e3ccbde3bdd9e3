"""ASGI middleware: security headers on every response, and the request body limit."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from colletta.api.errors import problem

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]
# API answers and media downloads are data, never a page: nothing in them may load or run,
# and a downloaded file opened in the browser runs sandboxed.
API_CSP = (
    b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
)
# The docs page runs Swagger UI from this server's own files (api/docs.py), no inline code;
# it fetches the OpenAPI document and, on "Try it out", the API itself.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The sandbox's checkout page (api/checkout.py): its own stylesheet, and its form posting back
# here (then maybe redirected to a page of this server); no script at all.
PAY_CSP = (
    b"default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    b"base-uri 'none'"
)
# The web client (api/web.py): its own scripts and styles only, no inline code, no other
# origin; it talks to this server by fetch and WebSocket ('self' covers ws: and wss: to the
# same host in CSP Level 3) and shows images it fetched or the user picked (blob:).
_WEB_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'none'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' blob: data:"),
    ("media-src", "'self' blob:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("manifest-src", "'self'"),
    ("frame-src", ""),
    ("frame-ancestors", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
)
# What Stripe.js and its card fields need (Stripe's security guide, "Content Security
# Policy"): its script, its iframes (card fields, 3-D Secure), and its API.
STRIPE_ORIGIN = "https://js.stripe.com"
STRIPE_SOURCES = {
    "script-src": "https://js.stripe.com https://*.js.stripe.com",
    "frame-src": "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com",
    "connect-src": "https://api.stripe.com",
}


def web_csp(stripe_js_url: str | None = None) -> bytes:
    """The web client's policy. With `stripe_js_url` (the server takes cards through
    Stripe.js), Stripe's origins are let in; for a stand-in such as localstripe's fake, which
    serves the script and answers its calls itself, the stand-in's origin."""
    extra: dict[str, str] = {}
    if stripe_js_url is not None:
        scheme, _, rest = stripe_js_url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}"
        extra = STRIPE_SOURCES if origin == STRIPE_ORIGIN else dict.fromkeys(STRIPE_SOURCES, origin)
    parts = []
    for name, sources in _WEB_DIRECTIVES:
        joined = " ".join(filter(None, (sources, extra.get(name, ""))))
        if joined:  # no frame-src without Stripe: default-src 'none' forbids every frame
            parts.append(f"{name} {joined}")
    return "; ".join(parts).encode()


WEB_CSP = web_csp()
# Content-Security-Policy per path prefix, first match wins: the one place it is decided.
# Everything outside /api and /pay is the web client's (None: the `web_policy` in force).
CSP_BY_PREFIX: tuple[tuple[str, bytes | None], ...] = (
    ("/api/docs", DOCS_CSP),
    ("/api", API_CSP),
    ("/pay", PAY_CSP),
    ("", None),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")


def csp_for(path: str, web_policy: bytes = WEB_CSP) -> bytes:
    """The policy of the answer at `path`; `web_policy` is the web client's (`web_csp`)."""
    for prefix, policy in CSP_BY_PREFIX:
        if path == prefix or path.startswith(prefix + "/"):
            return web_policy if policy is None else policy
    return API_CSP


class SecurityHeaders:
    """The outermost layer: every answer, the send fast path's and Starlette's 500 included,
    gets the headers here and nowhere else. `behind_tls` adds HSTS (settings.behind_tls);
    `web_policy` is the web client's Content-Security-Policy (`web_csp`)."""

    def __init__(self, app: ASGIApp, behind_tls: bool = False, web_policy: bytes = WEB_CSP) -> None:
        self.app = app
        self.web_policy = web_policy
        common = [*SECURITY_HEADERS, HSTS] if behind_tls else SECURITY_HEADERS
        # Built once: this runs on every request, the send fast path's included.
        self.by_policy = {
            policy: [*common, (b"content-security-policy", policy)]
            for policy in {API_CSP, web_policy, *(p for _, p in CSP_BY_PREFIX if p is not None)}
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.by_policy[csp_for(scope["path"], self.web_policy)]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                if any(name == b"cache-control" for name, _ in own):
                    # The web client's hashed files may be cached (api/web.py); only there.
                    message["headers"] = own + [h for h in headers if h[0] != b"cache-control"]
                else:
                    message["headers"] = own + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """HEAD is GET without the body (RFC 9110, 9.3.2): load balancers probe /api/v1/health
    with it, and FastAPI's routes take GET alone. The headers, Content-Length included, are
    the GET's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


class BodyLimit:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming.

    Uploads (paths matching `upload_path`) may be up to `max_upload_bytes`; their route streams
    them to disk and enforces the same limit itself.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        upload_path: re.Pattern[str] | None = None,
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_path = upload_path
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        if self.upload_path is not None and self.upload_path.fullmatch(scope["path"]):
            limit = self.max_upload_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(scope, receive, send, limit)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            "too_large", "Payload too large", 413, f"request bodies are limited to {limit} bytes"
        )
        await response(scope, receive, send)


class _TooLarge(HTTPException):
    """An HTTPException, so that FastAPI's body parsing passes it on (to the 413 handler)
    instead of turning it into a 400 "error parsing the body"."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")
