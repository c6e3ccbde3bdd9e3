"""Stripe, through the official library: its async methods, on httpx.

- A payment is a PaymentIntent (cards); the client pays with its `client_secret` (Stripe.js),
  so there is no checkout URL. Its description stays with Colletta: PaymentIntents get the
  amount, the currency and our metadata only.
- Every call that creates something carries our key as Stripe's idempotency key, prefixed by
  what it creates (one key never names two kinds of object). Stripe keeps idempotency keys for
  24 hours; a refund also carries the key in its metadata and is looked up by it first, so a
  refund retried days later is still the same refund.
- A payout goes to the platform's own bank account (Stripe pays out the balance); the payee
  is named in its description for the operator's books.
- Webhooks are verified with the library's `Webhook.construct_event`, and also against
  Colletta's clock (a timestamp from the future is refused too).

Stripe events used (subscribe the endpoint to these): payment_intent.succeeded,
payment_intent.payment_failed, refund.created, refund.updated, refund.failed, payout.paid,
payout.failed. One refund may be reported by several of them; they share its `object_id`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import stripe

from colletta.payments import signing
from colletta.payments.provider import (
    BadWebhook,
    MoneyMove,
    Outcome,
    PaymentRequest,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
    StartedPayment,
)

NAME = "stripe"
# Our key, in the metadata of refunds: found again after Stripe forgot the idempotency key.
KEY_FIELD = "colletta_key"
TIMEOUT_S = 30.0
_PAYMENT_EVENTS = {
    "payment_intent.succeeded": ProviderEventKind.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": ProviderEventKind.PAYMENT_FAILED,
}
_PAYOUT_EVENTS = {
    "payout.paid": ProviderEventKind.PAYOUT_PAID,
    "payout.failed": ProviderEventKind.PAYOUT_FAILED,
}
_REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed"}
_ENDED = {
    "succeeded": Outcome.SUCCEEDED,
    "paid": Outcome.SUCCEEDED,
    "failed": Outcome.FAILED,
    "canceled": Outcome.FAILED,
}


class StripeProvider:
    name = NAME

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 2,
    ) -> None:
        self._webhook_secret = webhook_secret
        self._http = stripe.HTTPXClient(timeout=TIMEOUT_S)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            # The library retries with the same idempotency key.
            max_network_retries=max_network_retries,
        )

    @property
    def client(self) -> stripe.StripeClient:
        return self._client

    async def start(self) -> None:
        pass

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        params: Any = {
            "amount": request.amount_minor,
            "currency": request.currency.lower(),
            "metadata": dict(request.metadata),
            "payment_method_types": ["card"],
        }
        with _translated_errors():
            intent = await self._client.v1.payment_intents.create_async(
                params, {"idempotency_key": f"colletta:payment:{request.key}"}
            )
        return StartedPayment(NAME, intent.id, None, intent.client_secret)

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        params: Any = {
            "payment_intent": payment_id,
            "amount": amount_minor,
            "metadata": {**metadata, KEY_FIELD: key},
        }
        with _translated_errors():
            earlier = await self._client.v1.refunds.list_async(
                {"payment_intent": payment_id, "limit": 100}
            )
            for refund in earlier.data:
                if (refund.to_dict().get("metadata") or {}).get(KEY_FIELD) == key:
                    return MoneyMove(refund.id, _outcome(refund.status))
            refund = await self._client.v1.refunds.create_async(
                params, {"idempotency_key": f"colletta:refund:{key}"}
            )
        return MoneyMove(refund.id, _outcome(refund.status))

    async def payout(
        self,
        amount_minor: int,
        currency: str,
        payee: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        params: Any = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "description": f"Colletta payout to {payee}",
            "metadata": dict(metadata),
        }
        with _translated_errors():
            payout = await self._client.v1.payouts.create_async(
                params, {"idempotency_key": f"colletta:payout:{key}"}
            )
        return MoneyMove(payout.id, _outcome(payout.status))

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None:
        header = signing.header_value(headers, signing.SIGNATURE_HEADER)
        try:
            event = stripe.Webhook.construct_event(
                body, header, self._webhook_secret, tolerance=signing.TOLERANCE_S
            )
        except stripe.SignatureVerificationError as exc:
            raise BadWebhook("Stripe signature does not verify") from exc
        except ValueError as exc:  # not UTF-8, not JSON
            raise BadWebhook("unreadable Stripe event") from exc
        timestamp, _ = signing.parse_header(header)
        signing.check_fresh(timestamp, now_s)
        try:
            return _event(event)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise BadWebhook("unreadable Stripe event") from exc


def _event(event: stripe.Event) -> ProviderEvent | None:
    obj = event.data.object.to_dict()
    kind: ProviderEventKind | None
    payment_id: str | None = None
    if event.type in _PAYMENT_EVENTS:
        kind = _PAYMENT_EVENTS[event.type]
        payment_id = obj["id"]
    elif event.type in _PAYOUT_EVENTS:
        kind = _PAYOUT_EVENTS[event.type]
    elif event.type in _REFUND_EVENTS:
        outcome = Outcome.FAILED if event.type == "refund.failed" else _outcome(obj["status"])
        kind = {
            Outcome.SUCCEEDED: ProviderEventKind.REFUND_SUCCEEDED,
            Outcome.FAILED: ProviderEventKind.REFUND_FAILED,
        }.get(outcome)
        refunded = obj["payment_intent"]
        payment_id = refunded if isinstance(refunded, str | None) else refunded["id"]
    else:
        return None
    if kind is None:
        return None  # a refund still pending: its end comes in a later event
    metadata = {str(k): str(v) for k, v in (obj.get("metadata") or {}).items() if k != KEY_FIELD}
    amount = obj["amount"]
    if type(amount) is not int:
        raise TypeError("amount")
    return ProviderEvent(
        provider=NAME,
        event_id=event.id,
        kind=kind,
        object_id=obj["id"],
        payment_id=payment_id,
        amount_minor=amount,
        currency=str(obj["currency"]).upper(),
        metadata=metadata,
    )


def _outcome(status: str | None) -> Outcome:
    return _ENDED.get(status or "", Outcome.PENDING)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Stripe's refusals of the request itself are permanent (ProviderDeclined); the rest
    (network, 5xx, rate limits, a concurrent request with the same key, bad API keys) may
    pass: ProviderError, try again."""
    try:
        yield
    except stripe.StripeError as exc:
        status = exc.http_status
        name = type(exc).__name__
        if status is None or status >= 500 or status in (401, 403, 409, 429):
            raise ProviderError(f"stripe: {name} (HTTP {status})") from exc
        raise ProviderDeclined(f"stripe: {name} {exc.code or ''} (HTTP {status})") from exc
