"""A deterministic in-memory payment provider for the pot worker's tests.

It keeps to the Provider protocol (colletta/payments/provider.py) the way a real provider
does: the same idempotency key always names the same payment, refund or payout (a repeat
returns what the first call decided, and moves no money again); outcomes are scripted per
call (`script`), succeeded by default; every call is recorded; and the money it moved is
counted, so a test can say "refunded exactly once". Webhooks are JSON bodies with an HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

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

# What a scripted call does: an outcome, or one of the provider's exceptions raised.
Step = Outcome | type[ProviderError] | type[ProviderDeclined]
SECRET = b"worker-double-secret"
SIGNATURE_HEADER = "x-double-signature"


@dataclass
class Move:
    """A refund or payout the provider accepted, under its key."""

    id: str
    key: str
    amount_minor: int
    currency: str
    outcome: Outcome
    metadata: dict[str, str]
    payment_id: str | None = None
    payee: str | None = None


@dataclass
class Payment:
    id: str
    request: PaymentRequest


@dataclass
class DoubleProvider:
    name: str = "double"
    # Per method ("start_payment", "refund", "payout"): the next calls' steps, in order;
    # once empty, calls succeed.
    script: dict[str, deque[Step]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, key)
    payments: dict[str, Payment] = field(default_factory=dict)  # by key
    refunds: dict[str, Move] = field(default_factory=dict)  # by key
    payouts: dict[str, Move] = field(default_factory=dict)  # by key
    _events: int = 0

    def will(self, method: str, *steps: Step) -> None:
        self.script.setdefault(method, deque()).extend(steps)

    def _next(self, method: str) -> Outcome:
        queue = self.script.get(method)
        step = queue.popleft() if queue else Outcome.SUCCEEDED
        if isinstance(step, Outcome):
            return step
        raise step(f"{self.name}: scripted {step.__name__} on {method}")

    @staticmethod
    def _id(prefix: str, key: str) -> str:
        return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"

    # --- the protocol

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        self.calls.append(("start_payment", request.key))
        if request.key not in self.payments:
            self._next("start_payment")
            self.payments[request.key] = Payment(self._id("pay", request.key), request)
        payment = self.payments[request.key]
        return StartedPayment(self.name, payment.id, f"https://double.test/{payment.id}", None)

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        self.calls.append(("refund", key))
        if key not in self.refunds:
            outcome = self._next("refund")
            self.refunds[key] = Move(
                self._id("re", key), key, amount_minor, currency, outcome, metadata, payment_id
            )
        move = self.refunds[key]
        assert (move.payment_id, move.amount_minor) == (payment_id, amount_minor), (
            "the same refund key was used for another refund"
        )
        return MoneyMove(move.id, move.outcome)

    async def payout(
        self, amount_minor: int, currency: str, payee: str, *, key: str, metadata: dict[str, str]
    ) -> MoneyMove:
        self.calls.append(("payout", key))
        if key not in self.payouts:
            outcome = self._next("payout")
            self.payouts[key] = Move(
                self._id("po", key), key, amount_minor, currency, outcome, metadata, payee=payee
            )
        move = self.payouts[key]
        return MoneyMove(move.id, move.outcome)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None:
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), expected):
            raise BadWebhook("bad signature")
        data = orjson.loads(body)
        return ProviderEvent(
            provider=self.name,
            event_id=data["event_id"],
            kind=ProviderEventKind(data["kind"]),
            object_id=data["object_id"],
            payment_id=data["payment_id"],
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            metadata=data["metadata"],
        )

    # --- what a test does with it

    def _event(
        self,
        kind: ProviderEventKind,
        object_id: str,
        payment_id: str | None,
        amount_minor: int,
        currency: str,
        metadata: dict[str, str],
    ) -> ProviderEvent:
        self._events += 1
        return ProviderEvent(
            self.name,
            f"evt_{self._events}",
            kind,
            object_id,
            payment_id,
            amount_minor,
            currency,
            dict(metadata),
        )

    def payment_for(self, contribution_id: int | str) -> Payment:
        return self.payments[f"contribution:{contribution_id}"]

    def pay(self, contribution_id: int | str, *, succeeded: bool = True) -> ProviderEvent:
        """The contributor paid (or the payment failed): the webhook's event."""
        payment = self.payment_for(contribution_id)
        kind = (
            ProviderEventKind.PAYMENT_SUCCEEDED if succeeded else ProviderEventKind.PAYMENT_FAILED
        )
        r = payment.request
        return self._event(kind, payment.id, payment.id, r.amount_minor, r.currency, r.metadata)

    def settle_refund(self, key: str, outcome: Outcome) -> ProviderEvent:
        """A pending refund ends: the webhook's event (a failed one moved no money)."""
        move = self.refunds[key]
        move.outcome = outcome
        kind = (
            ProviderEventKind.REFUND_SUCCEEDED
            if outcome is Outcome.SUCCEEDED
            else ProviderEventKind.REFUND_FAILED
        )
        return self._event(
            kind, move.id, move.payment_id, move.amount_minor, move.currency, move.metadata
        )

    def signed(self, event: ProviderEvent) -> tuple[bytes, dict[str, str]]:
        """The webhook request that carries `event`."""
        body = orjson.dumps(
            {
                "event_id": event.event_id,
                "kind": event.kind.value,
                "object_id": event.object_id,
                "payment_id": event.payment_id,
                "amount_minor": event.amount_minor,
                "currency": event.currency,
                "metadata": event.metadata,
            }
        )
        return body, {SIGNATURE_HEADER: hmac.new(SECRET, body, hashlib.sha256).hexdigest()}

    def refunded_by_payment(self) -> Counter[str]:
        """Money given back per payment id: succeeded refunds only."""
        out: Counter[str] = Counter()
        for move in self.refunds.values():
            if move.outcome is Outcome.SUCCEEDED and move.payment_id is not None:
                out[move.payment_id] += move.amount_minor
        return out

    def refund_calls(self) -> Counter[str]:
        return Counter(key for method, key in self.calls if method == "refund")
