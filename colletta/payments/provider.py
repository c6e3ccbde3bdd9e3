"""What Colletta asks of a payment provider, and what it hears back.

Colletta never holds money: a provider moves it and tells us, through signed webhooks, what
happened. Every call that moves money carries our idempotency key, so a retry after a timeout
never moves it twice. Events may arrive late, twice, or out of order; whoever handles them
decides idempotency (by `event_id` and by `object_id`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable


class ProviderEventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    PAYOUT_PAID = "payout.paid"
    PAYOUT_FAILED = "payout.failed"


@dataclass(frozen=True)
class PaymentRequest:
    key: str  # our idempotency key (e.g. "contribution:123")
    amount_minor: int
    currency: str  # ISO 4217, upper case
    description: str
    metadata: dict[str, str]  # returned verbatim in webhook events
    return_url: str | None = None


@dataclass(frozen=True)
class StartedPayment:
    provider: str
    payment_id: str
    # Where the payer goes to pay (the sandbox's page on this server: a path), or None when
    # the client pays with `client_secret` (Stripe's PaymentIntents).
    checkout_url: str | None
    client_secret: str | None


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"  # a webhook tells the end
    FAILED = "failed"


@dataclass(frozen=True)
class MoneyMove:
    """The result of `refund()` or `payout()`."""

    id: str
    outcome: Outcome


@dataclass(frozen=True)
class ProviderEvent:
    provider: str
    event_id: str
    kind: ProviderEventKind
    object_id: str  # the payment, refund or payout id
    payment_id: str | None  # for refunds: the payment refunded; for payments: object_id
    amount_minor: int
    currency: str
    metadata: dict[str, str]


class ProviderError(Exception):
    """Transient: try again later, with the same key (network, 5xx, rate limit, bad keys)."""


class ProviderDeclined(Exception):
    """Permanent refusal of this request; trying again will not change it."""


class BadWebhook(Exception):
    """Bad signature, stale or future timestamp, or an unreadable body: nothing happened."""


class Provider(Protocol):
    name: str

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        """Create a payment (same key → same payment); its outcome arrives as a webhook."""
        ...

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        """Refund (part of) a payment; the same key gives the same refund, never a second."""
        ...

    async def payout(
        self,
        amount_minor: int,
        currency: str,
        payee: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        """Pay money out to `payee`; the same key gives the same payout, never a second."""
        ...

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None:
        """Verify and read one webhook; None for event types Colletta does not use.
        Raises BadWebhook."""
        ...


@runtime_checkable
class Managed(Protocol):
    """A provider with resources of its own: started with the server, closed at stop."""

    async def start(self) -> None: ...

    async def aclose(self) -> None: ...


class Providers:
    """The providers this server is configured with, by name; `default` takes new payments."""

    def __init__(self, providers: Iterable[Provider], default: str) -> None:
        self._by_name = {provider.name: provider for provider in providers}
        if default not in self._by_name:
            raise ValueError(f"no provider named {default!r}")
        self._default = default

    @property
    def default(self) -> Provider:
        return self._by_name[self._default]

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> Provider | None:
        return self._by_name.get(name)

    async def start(self) -> None:
        for provider in self._by_name.values():
            if isinstance(provider, Managed):
                await provider.start()

    async def aclose(self) -> None:
        for provider in self._by_name.values():
            if isinstance(provider, Managed):
                await provider.aclose()
