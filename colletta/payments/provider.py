"""The provider protocol (interim copy; the providers branch brings the implementations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ProviderEventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    PAYOUT_PAID = "payout.paid"
    PAYOUT_FAILED = "payout.failed"


@dataclass(frozen=True)
class PaymentRequest:
    key: str
    amount_minor: int
    currency: str
    description: str
    metadata: dict[str, str]
    return_url: str | None = None


@dataclass(frozen=True)
class StartedPayment:
    provider: str
    payment_id: str
    checkout_url: str | None
    client_secret: str | None


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class MoneyMove:
    id: str
    outcome: Outcome


@dataclass(frozen=True)
class ProviderEvent:
    provider: str
    event_id: str
    kind: ProviderEventKind
    object_id: str
    payment_id: str | None
    amount_minor: int
    currency: str
    metadata: dict[str, str]


class ProviderError(Exception):
    pass


class ProviderDeclined(Exception):
    pass


class BadWebhook(Exception):
    pass


class Provider(Protocol):
    name: str

    async def start_payment(self, request: PaymentRequest) -> StartedPayment: ...

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove: ...

    async def payout(
        self, amount_minor: int, currency: str, payee: str, *, key: str, metadata: dict[str, str]
    ) -> MoneyMove: ...

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None: ...


class Providers:
    """The providers this node can use, by name; `default` takes new payments."""

    def __init__(self, providers: dict[str, Provider], default: str) -> None:
        self._by_name = providers
        self.default = providers[default]

    def get(self, name: str) -> Provider | None:
        return self._by_name.get(name)
