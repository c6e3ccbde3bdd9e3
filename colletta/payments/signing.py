"""Webhook signatures the way Stripe makes them, for the sandbox (and its tests).

    Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>[,v1=…]

A header may carry several `v1` (the sender signs with an old and a new secret while they are
rotated), and the receiver may accept several secrets; one match is enough. The timestamp must
be within TOLERANCE_S of the receiver's clock, either way, so a captured webhook cannot be
replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from colletta.payments.provider import BadWebhook

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_S = 300
_SCHEME = "v1"


def signature(secret: str, body: bytes, timestamp_s: int) -> str:
    signed = f"{timestamp_s}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], body: bytes, timestamp_s: int) -> str:
    """The header value signing `body` at `timestamp_s` with each of `secrets`."""
    signatures = ",".join(f"{_SCHEME}={signature(s, body, timestamp_s)}" for s in secrets)
    return f"t={timestamp_s},{signatures}"


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (a plain dict or the request's headers)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of a signature header; BadWebhook if it has neither."""
    if not header:
        raise BadWebhook(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == _SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadWebhook(f"{SIGNATURE_HEADER} header without a timestamp or a v1 signature")
    return timestamp, signatures


def check_fresh(timestamp_s: int, now_s: int, tolerance_s: int = TOLERANCE_S) -> None:
    if abs(now_s - timestamp_s) > tolerance_s:
        raise BadWebhook(f"signature timestamp more than {tolerance_s} s away from now")


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    now_s: int,
    tolerance_s: int = TOLERANCE_S,
) -> None:
    """Raise BadWebhook unless `header` signs `body` with one of `secrets`, recently."""
    timestamp, signatures = parse_header(header)
    expected = [signature(secret, body, timestamp) for secret in secrets if secret]
    # Every pair compared, in constant time each: no early exit tells which one matched.
    matched = False
    for candidate in signatures:
        for wanted in expected:
            matched |= hmac.compare_digest(candidate.encode(), wanted.encode())
    if not matched:
        raise BadWebhook("no signature matches")
    check_fresh(timestamp, now_s, tolerance_s)
