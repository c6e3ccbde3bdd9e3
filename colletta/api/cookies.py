"""The browser's session: an HttpOnly cookie, and CSRF protection for it.

The web client never sees its session token: `POST /api/v1/auth/web-login` puts it in an
HttpOnly, SameSite=Strict cookie (Secure when `behind_tls`). A request authenticated by that
cookie that changes state must carry `X-CSRF-Token`, whose value is derived from the session
token (an HMAC of it, so a page of another origin can neither read nor compute it) and given
to the client in the login answer and in a second cookie that scripts may read. The bearer
token (`Authorization: Bearer …`) of the SDK and bots works as before and needs no CSRF
header: a browser never adds it by itself. A request with both uses the bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.responses import Response

from colletta import errors
from colletta.config import Settings

SESSION_COOKIE = "colletta_session"
CSRF_COOKIE = "colletta_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"colletta-csrf", hashlib.sha256).hexdigest()


def check_csrf(method: str, session_token: str, header: str | None) -> None:
    """Forbidden unless a state-changing request carries the session's CSRF token."""
    if method in SAFE_METHODS:
        return
    if header is None or not hmac.compare_digest(header, csrf_token_for(session_token)):
        raise errors.Forbidden(f"a request authenticated by cookie needs the {CSRF_HEADER} header")


def cookie_token(cookies: Mapping[str, str]) -> str | None:
    return cookies.get(SESSION_COOKIE) or None


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a browser's `Origin` names the host it connected to (WebSocket handshakes
    carry cookies but no CSRF header)."""
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def set_session_cookies(response: Response, settings: Settings, session_token: str) -> None:
    """Put the session (HttpOnly) and its CSRF token (readable by scripts) in cookies."""
    for name, value in (
        (SESSION_COOKIE, session_token),
        (CSRF_COOKIE, csrf_token_for(session_token)),
    ):
        response.set_cookie(
            name,
            value,
            max_age=settings.session_idle_expiry_s,
            path="/",
            secure=settings.behind_tls,
            httponly=name == SESSION_COOKIE,
            samesite="strict",
        )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(
            name,
            path="/",
            secure=settings.behind_tls,
            httponly=name == SESSION_COOKIE,
            samesite="strict",
        )
