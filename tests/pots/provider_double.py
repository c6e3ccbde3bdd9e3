"""A deterministic, in-memory payment provider for tests (the `Provider` protocol whole):
payments, refunds and payouts, idempotent by key, outcomes chosen by the test, every call
recorded. Stands in until the sandbox provider lands; the tests that use it say so by taking
the `double` fixture (tests/pots/conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import orjson

from colletta.payments.provider import (
    MoneyMove,
    Outcome,
    PaymentRequest,
    ProviderDeclined,
    ProviderError,
    ProviderEvent,
    ProviderEventKind,
    StartedPayment,
)


class Crash(Exception):
    """The node died right after the provider acted and before we wrote anything down."""


class KeyReused(AssertionError):
    """The same idempotency key with other parameters: a bug in the caller."""


@dataclass(frozen=True)
class Call:
    op: str  # start_payment | refund | payout
    key: str
    amount_minor: int
    currency: str
    target: str  # the description, the payment refunded, or the payee
    metadata: dict[str, str]


@dataclass
class Record:
    """One object at the provider: a payment, refund or payout, found again by its key."""

    id: str
    call: Call
    outcome: Outcome


@dataclass
class ProviderDouble:
    name: str = "double"
    # What new refunds and payouts come out as (payments wait for `payment_event`).
    refund_outcome: Outcome = Outcome.SUCCEEDED
    payout_outcome: Outcome = Outcome.SUCCEEDED
    # The next call of these operations fails before anything happens at the provider.
    unreachable: set[str] = field(default_factory=set)
    declines: set[str] = field(default_factory=set)
    # The next call of these operations happens at the provider, then the caller "dies".
    crash_after: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    records: dict[tuple[str, str], Record] = field(default_factory=dict)
    _ids: int = 0

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"dbl_{prefix}_{self._ids}"

    def _do(self, call: Call, outcome: Outcome) -> Record:
        self.calls.append(call)
        if call.op in self.unreachable:
            self.unreachable.discard(call.op)
            raise ProviderError(f"{call.op}: unreachable")
        found = self.records.get((call.op, call.key))
        if found is not None:
            if replace(found.call, metadata=call.metadata) != call:
                raise KeyReused(f"{call.op} key {call.key} reused with other parameters")
        else:
            if call.op in self.declines:
                self.declines.discard(call.op)
                raise ProviderDeclined(f"{call.op}: declined")
            found = Record(self._next_id(call.op), call, outcome)
            self.records[(call.op, call.key)] = found
        if call.op in self.crash_after:
            self.crash_after.discard(call.op)
            raise Crash(call.op)
        return found

    def made(self, op: str) -> list[Record]:
        """What exists at the provider (one per key, however often it was asked)."""
        return [record for (kind, _), record in self.records.items() if kind == op]

    # --- the protocol

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        call = Call(
            "start_payment",
            request.key,
            request.amount_minor,
            request.currency,
            request.description,
            dict(request.metadata),
        )
        record = self._do(call, Outcome.PENDING)
        return StartedPayment(self.name, record.id, f"/pay/{record.id}", None)

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        call = Call("refund", key, amount_minor, currency, payment_id, dict(metadata))
        record = self._do(call, self.refund_outcome)
        return MoneyMove(record.id, record.outcome)

    async def payout(
        self, amount_minor: int, currency: str, payee: str, *, key: str, metadata: dict[str, str]
    ) -> MoneyMove:
        call = Call("payout", key, amount_minor, currency, payee, dict(metadata))
        record = self._do(call, self.payout_outcome)
        return MoneyMove(record.id, record.outcome)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None:
        data = orjson.loads(body)
        data["kind"] = ProviderEventKind(data["kind"])
        return ProviderEvent(**data)

    # --- what the provider later says

    def _event(self, record: Record, kind: ProviderEventKind) -> ProviderEvent:
        self._ids += 1
        return ProviderEvent(
            provider=self.name,
            event_id=f"dbl_evt_{self._ids}",
            kind=kind,
            object_id=record.id,
            payment_id=record.id if record.call.op == "start_payment" else record.call.target,
            amount_minor=record.call.amount_minor,
            currency=record.call.currency,
            metadata=dict(record.call.metadata),
        )

    def _find(self, op: str, object_id: str) -> Record:
        return next(r for (kind, _), r in self.records.items() if kind == op and r.id == object_id)

    def payment_event(self, payment_id: str, *, succeeded: bool = True) -> ProviderEvent:
        """The payer completed (or abandoned) the payment."""
        record = self._find("start_payment", payment_id)
        record.outcome = Outcome.SUCCEEDED if succeeded else Outcome.FAILED
        kind = (
            ProviderEventKind.PAYMENT_SUCCEEDED if succeeded else ProviderEventKind.PAYMENT_FAILED
        )
        return self._event(record, kind)

    def settle_payout(self, payout_id: str, *, paid: bool = True) -> ProviderEvent:
        """A pending payout ends; later calls with its key see the end too."""
        record = self._find("payout", payout_id)
        record.outcome = Outcome.SUCCEEDED if paid else Outcome.FAILED
        kind = ProviderEventKind.PAYOUT_PAID if paid else ProviderEventKind.PAYOUT_FAILED
        return self._event(record, kind)

    def settle_refund(self, refund_id: str, *, succeeded: bool = True) -> ProviderEvent:
        record = self._find("refund", refund_id)
        record.outcome = Outcome.SUCCEEDED if succeeded else Outcome.FAILED
        kind = ProviderEventKind.REFUND_SUCCEEDED if succeeded else ProviderEventKind.REFUND_FAILED
        return self._event(record, kind)

    @staticmethod
    def webhook_body(event: ProviderEvent) -> bytes:
        """`event` as this double's webhook body (no signature: nothing to forge in tests)."""
        return orjson.dumps({**event.__dict__, "kind": event.kind.value})
