"""Stripe-style webhook signatures: what passes and what is refused."""

from __future__ import annotations

import pytest
import stripe

from colletta.payments import signing
from colletta.payments.provider import BadWebhook

SECRET = "whsec_test_one"
BODY = b'{"id":"evt_1","type":"payment.succeeded"}'
NOW_S = 1_800_000_000


def test_a_fresh_signature_verifies() -> None:
    header = signing.signature_header([SECRET], BODY, NOW_S)
    signing.verify(BODY, header, [SECRET], NOW_S)
    signing.verify(BODY, header, [SECRET], NOW_S + signing.TOLERANCE_S)


def test_stripes_own_library_accepts_our_signatures() -> None:
    """The sandbox signs exactly as Stripe does: Stripe's verifier agrees."""
    header = signing.signature_header([SECRET], BODY, NOW_S)
    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=None)
    theirs = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, NOW_S)
    signing.verify(BODY, theirs, [SECRET], NOW_S)


def test_a_tampered_body_is_refused() -> None:
    header = signing.signature_header([SECRET], BODY, NOW_S)
    with pytest.raises(BadWebhook, match="no signature matches"):
        signing.verify(BODY.replace(b"evt_1", b"evt_2"), header, [SECRET], NOW_S)


def test_another_secret_is_refused() -> None:
    header = signing.signature_header(["whsec_someone_else"], BODY, NOW_S)
    with pytest.raises(BadWebhook, match="no signature matches"):
        signing.verify(BODY, header, [SECRET], NOW_S)


@pytest.mark.parametrize("offset_s", [-signing.TOLERANCE_S - 1, signing.TOLERANCE_S + 1])
def test_a_stale_or_future_timestamp_is_refused(offset_s: int) -> None:
    """A captured webhook cannot be replayed later, nor one signed ahead be used later."""
    header = signing.signature_header([SECRET], BODY, NOW_S + offset_s)
    with pytest.raises(BadWebhook, match="timestamp"):
        signing.verify(BODY, header, [SECRET], NOW_S)


def test_a_timestamp_changed_after_signing_is_refused() -> None:
    header = signing.signature_header([SECRET], BODY, NOW_S - 3600)
    moved = header.replace(f"t={NOW_S - 3600}", f"t={NOW_S}")
    with pytest.raises(BadWebhook, match="no signature matches"):
        signing.verify(BODY, moved, [SECRET], NOW_S)


def test_rotation_either_side_may_hold_two_secrets() -> None:
    """While a secret is rotated the sender signs with old and new, and the receiver may
    accept old and new: one match is enough."""
    both = signing.signature_header(["whsec_old", "whsec_new"], BODY, NOW_S)
    assert both.count("v1=") == 2
    signing.verify(BODY, both, ["whsec_new"], NOW_S)
    signing.verify(BODY, both, ["whsec_old"], NOW_S)
    old_only = signing.signature_header(["whsec_old"], BODY, NOW_S)
    signing.verify(BODY, old_only, ["whsec_new", "whsec_old"], NOW_S)
    with pytest.raises(BadWebhook):
        signing.verify(BODY, old_only, ["whsec_new"], NOW_S)


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=abc,v1=00", f"t={NOW_S}", "v1=00", f"t={NOW_S},v0=00", "t=,v1="],
)
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(BadWebhook):
        signing.verify(BODY, header, [SECRET], NOW_S)


def test_an_empty_secret_verifies_nothing() -> None:
    header = signing.signature_header([""], BODY, NOW_S)
    with pytest.raises(BadWebhook):
        signing.verify(BODY, header, [""], NOW_S)


def test_headers_are_found_whatever_their_case() -> None:
    assert signing.header_value({"stripe-signature": "x"}, "Stripe-Signature") == "x"
    assert signing.header_value({"STRIPE-SIGNATURE": "y"}, "Stripe-Signature") == "y"
    assert signing.header_value({}, "Stripe-Signature") is None
