"""The sandbox provider: moves no money, behaves like a real provider.

- `start_payment` answers at once with a checkout page on this server (`/pay/sandbox/<token>`).
  The token is the payment itself (id, amount, currency, description, metadata, return URL),
  signed with the sandbox secret: nothing is stored, so a page survives restarts and any node
  of a deployment (same secret) serves it.
- The payer confirms or declines there; the outcome arrives LATER, as a webhook body signed
  like Stripe's, handed to `deliver` (services wires it to the webhook endpoint's code path, so
  the signature is always checked).
- Refunds and payouts answer PENDING with an id derived from the key (same key → same id); a
  `refund.succeeded` / `payout.paid` webhook follows.
- Cruelty, on request: calls that fail (ProviderError), payments, refunds and payouts that end
  in a failed event, deliveries delayed, duplicated and reordered, all drawn from one seeded
  random generator, so a test or a benchmark can repeat a run exactly.

Deliveries wait in this process's memory, due at a time of the injected clock: a background
task sends them when due, `flush()` sends what is due now (tests call it, they never sleep).
A delivery that fails is tried again, doubling the wait up to RETRY_MAX_S, MAX_ATTEMPTS times;
at stop, what is still waiting is sent at once. A crash loses what was waiting (a real provider
would retry for days): the payer's page still said "confirmed".
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import os
import random
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from colletta.clock import Clock
from colletta.domain.money import MINOR_DIGITS
from colletta.errors import Gone, NotFound
from colletta.log import get_logger
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

log = get_logger(__name__)

NAME = "sandbox"
CHECKOUT_PATH = "/pay/sandbox/"
CHECKOUT_TTL_S = 24 * 3600  # like a Stripe Checkout Session
MAX_TOKEN_CHARS = 16_384
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 300.0
MAX_ATTEMPTS = 10
# The background task looks at the clock at least this often (a clock that jumps: a test's).
MAX_NAP_S = 1.0
STOP_TIMEOUT_S = 10.0
REMEMBERED = 10_000  # decisions and money moves remembered by this process

Deliver = Callable[[bytes, dict[str, str]], Awaitable[None]]
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Cruelty:
    """How badly the sandbox behaves; all zero is a provider that never fails."""

    error_share: float = 0.0  # calls that raise ProviderError (nothing happens; retry)
    fail_share: float = 0.0  # confirmed payments, refunds, payouts ending in a failed event
    delay_max_s: float = 0.0  # each delivery waits a random 0..delay_max_s
    duplicate_share: float = 0.0  # deliveries sent twice (each copy delayed on its own)
    reorder: bool = False  # deliveries due together go out in random order
    seed: int | None = None  # None: a different run each time


@dataclass(frozen=True)
class Checkout:
    """A payment waiting on its checkout page (what the token says)."""

    payment_id: str
    amount_minor: int
    currency: str
    description: str
    metadata: dict[str, str]
    return_url: str | None
    issued_ms: int


@dataclass(frozen=True)
class Decision:
    checkout: Checkout
    outcome: Outcome  # SUCCEEDED (paid) or FAILED (declined by the payer or by cruelty)
    already: bool  # decided before, on this process: nothing new was sent


@dataclass(order=True)
class _Delivery:
    due_ms: int
    seq: int
    body: bytes = field(compare=False)
    attempts: int = field(default=0, compare=False)


class _Recent(Generic[K, V]):
    """The last `size` entries put."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def load_or_create_secret(path: Path) -> str:
    """The secret kept in `path`, made (random, readable by the owner only) on first use."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this node made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _str_dict(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return value
    return None


class SandboxProvider:
    name = NAME

    def __init__(
        self,
        secret: str,
        clock: Clock,
        *,
        cruelty: Cruelty | None = None,
        deliver: Deliver | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the sandbox needs a secret")
        self._secret = secret
        self._token_key = hmac.new(secret.encode(), b"sandbox checkout token", "sha256").digest()
        self._clock = clock
        self.deliver: Deliver = deliver or _nowhere
        self._cruelty = Cruelty()
        self._rng = random.Random()  # chaos, not cryptography
        self.cruelty = cruelty or Cruelty()
        self._outbox: list[_Delivery] = []
        self._seq = itertools.count()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._decided: _Recent[str, Outcome] = _Recent()
        self._moves: _Recent[str, MoneyMove] = _Recent()

    @property
    def cruelty(self) -> Cruelty:
        return self._cruelty

    @cruelty.setter
    def cruelty(self, cruelty: Cruelty) -> None:
        """Setting it starts the random sequence again from its seed."""
        self._cruelty = cruelty
        self._rng.seed(cruelty.seed)

    @property
    def webhook_secret(self) -> str:
        return self._secret

    @property
    def waiting(self) -> int:
        """Deliveries not sent yet."""
        return len(self._outbox)

    # -- the provider protocol --

    async def start_payment(self, request: PaymentRequest) -> StartedPayment:
        _check_amount(request.amount_minor, request.currency)
        self._maybe_error("start_payment")
        payment_id = self._id("pi", request.key)
        checkout = Checkout(
            payment_id=payment_id,
            amount_minor=request.amount_minor,
            currency=request.currency,
            description=request.description,
            metadata=dict(request.metadata),
            return_url=request.return_url,
            issued_ms=self._clock.now_ms(),
        )
        return StartedPayment(NAME, payment_id, CHECKOUT_PATH + self._token(checkout), None)

    async def refund(
        self,
        payment_id: str,
        amount_minor: int,
        currency: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        if not payment_id.startswith("pi_sbx_"):
            raise ProviderDeclined("the sandbox made no such payment")
        ok, failed = ProviderEventKind.REFUND_SUCCEEDED, ProviderEventKind.REFUND_FAILED
        return self._move("re", key, amount_minor, currency, metadata, payment_id, ok, failed)

    async def payout(
        self,
        amount_minor: int,
        currency: str,
        payee: str,
        *,
        key: str,
        metadata: dict[str, str],
    ) -> MoneyMove:
        ok, failed = ProviderEventKind.PAYOUT_PAID, ProviderEventKind.PAYOUT_FAILED
        return self._move("po", key, amount_minor, currency, metadata, None, ok, failed)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now_s: int
    ) -> ProviderEvent | None:
        header = signing.header_value(headers, signing.SIGNATURE_HEADER)
        signing.verify(body, header, [self._secret], now_s)
        try:
            event = orjson.loads(body)
            obj = event["data"]["object"]
            event_id, kind = event["id"], event["type"]
            object_id, payment_id = obj["id"], obj["payment_id"]
            amount_minor, currency = obj["amount_minor"], obj["currency"]
            metadata = _str_dict(obj["metadata"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise BadWebhook("unreadable sandbox event") from exc
        if not (
            isinstance(event_id, str)
            and isinstance(kind, str)
            and isinstance(object_id, str)
            and (payment_id is None or isinstance(payment_id, str))
            and type(amount_minor) is int
            and isinstance(currency, str)
            and metadata is not None
        ):
            raise BadWebhook("unreadable sandbox event")
        if kind not in ProviderEventKind.__members__.values():
            return None
        return ProviderEvent(
            NAME,
            event_id,
            ProviderEventKind(kind),
            object_id,
            payment_id,
            amount_minor,
            currency,
            metadata,
        )

    # -- the checkout page --

    def open_checkout(self, token: str) -> Checkout:
        """The payment a token stands for; NotFound if it is not one of ours, Gone if old."""
        checkout = self._untoken(token)
        if checkout is None:
            raise NotFound("no such payment")
        if self._clock.now_ms() - checkout.issued_ms > CHECKOUT_TTL_S * 1000:
            raise Gone("this payment page has expired; start the payment again")
        return checkout

    def decide(self, token: str, *, confirm: bool) -> Decision:
        """The payer confirms or declines; the webhook follows later. A second decision on
        this process is answered with the first, and sends nothing."""
        checkout = self.open_checkout(token)
        earlier = self._decided.get(checkout.payment_id)
        if earlier is not None:
            return Decision(checkout, earlier, already=True)
        paid = confirm and not self._draw(self._cruelty.fail_share)
        outcome = Outcome.SUCCEEDED if paid else Outcome.FAILED
        self._decided.put(checkout.payment_id, outcome)
        kind = ProviderEventKind.PAYMENT_SUCCEEDED if paid else ProviderEventKind.PAYMENT_FAILED
        self._send_later(
            kind,
            checkout.payment_id,
            checkout.payment_id,
            checkout.amount_minor,
            checkout.currency,
            checkout.metadata,
        )
        return Decision(checkout, outcome, already=False)

    # -- deliveries --

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sandbox")

    async def aclose(self) -> None:
        """Stop the background task, then send what is still waiting, delays or not."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._outbox:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(everything=True), STOP_TIMEOUT_S)
        if self._outbox:
            log.warning("sandbox: %d webhook deliveries lost at stop", len(self._outbox))
            self._outbox.clear()

    async def flush(self, *, everything: bool = False) -> int:
        """Send what is due by the clock (or everything waiting); returns how many were
        tried. Waits for a send in progress, so what was due is delivered when it returns."""
        async with self._lock:
            now_ms = self._clock.now_ms()
            due = sorted(d for d in self._outbox if everything or d.due_ms <= now_ms)
            self._outbox = [d for d in self._outbox if not (everything or d.due_ms <= now_ms)]
            if self._cruelty.reorder:
                self._rng.shuffle(due)
            unsent = list(reversed(due))
            try:
                while unsent:
                    await self._send(unsent[-1])
                    unsent.pop()
            finally:
                # Cancelled midway (the server stops): sent again later, a duplicate at worst.
                self._outbox.extend(unsent)
            return len(due)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if not self._outbox:
                await self._wake.wait()
            else:
                wait_s = (min(d.due_ms for d in self._outbox) - self._clock.now_ms()) / 1000
                if wait_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), min(wait_s, MAX_NAP_S))
            await self.flush()

    async def _send(self, delivery: _Delivery) -> None:
        # Signed at each attempt, as Stripe does: a retry is as fresh as the first try.
        now_s = self._clock.now_ms() // 1000
        headers = {
            "Content-Type": "application/json",
            signing.SIGNATURE_HEADER: signing.signature_header(
                [self._secret], delivery.body, now_s
            ),
        }
        try:
            await self.deliver(delivery.body, headers)
        except Exception as exc:
            delivery.attempts += 1
            if delivery.attempts >= MAX_ATTEMPTS:
                log.error(
                    "sandbox: webhook delivery given up after %d attempts (%s)",
                    delivery.attempts,
                    type(exc).__name__,
                )
                return
            wait_s = min(RETRY_FIRST_S * 2 ** (delivery.attempts - 1), RETRY_MAX_S)
            log.warning(
                "sandbox: webhook delivery failed (%s); next attempt in %.0f s",
                type(exc).__name__,
                wait_s,
            )
            delivery.due_ms = self._clock.now_ms() + round(wait_s * 1000)
            self._outbox.append(delivery)
            self._wake.set()

    def _send_later(
        self,
        kind: ProviderEventKind,
        object_id: str,
        payment_id: str | None,
        amount_minor: int,
        currency: str,
        metadata: dict[str, str],
    ) -> None:
        now_ms = self._clock.now_ms()
        body = orjson.dumps(
            {
                # The same event has the same id, whichever copy or node sends it.
                "id": "evt_sbx_" + self._digest(f"event:{kind}:{object_id}"),
                "object": "event",
                "type": str(kind),
                "created": now_ms // 1000,
                "data": {
                    "object": {
                        "id": object_id,
                        "payment_id": payment_id,
                        "amount_minor": amount_minor,
                        "currency": currency,
                        "metadata": metadata,
                    }
                },
            }
        )
        copies = 2 if self._draw(self._cruelty.duplicate_share) else 1
        for _ in range(copies):
            delay_ms = 0
            if self._cruelty.delay_max_s > 0:
                delay_ms = round(self._rng.uniform(0, self._cruelty.delay_max_s) * 1000)
            self._outbox.append(_Delivery(now_ms + delay_ms, next(self._seq), body))
        self._wake.set()

    # -- helpers --

    def _move(
        self,
        prefix: str,
        key: str,
        amount_minor: int,
        currency: str,
        metadata: dict[str, str],
        payment_id: str | None,
        succeeded: ProviderEventKind,
        failed: ProviderEventKind,
    ) -> MoneyMove:
        move_id = self._id(prefix, key)
        earlier = self._moves.get(move_id)
        if earlier is not None:
            return earlier
        _check_amount(amount_minor, currency)
        self._maybe_error(prefix)
        move = MoneyMove(move_id, Outcome.PENDING)
        self._moves.put(move_id, move)
        kind = failed if self._draw(self._cruelty.fail_share) else succeeded
        self._send_later(kind, move_id, payment_id, amount_minor, currency, dict(metadata))
        return move

    def _maybe_error(self, what: str) -> None:
        if self._draw(self._cruelty.error_share):
            raise ProviderError(f"sandbox: simulated outage ({what}); try again")

    def _draw(self, share: float) -> bool:
        return share > 0 and self._rng.random() < share

    def _digest(self, text: str) -> str:
        return hmac.new(self._secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:24]

    def _id(self, prefix: str, key: str) -> str:
        return f"{prefix}_sbx_{self._digest(f'{prefix}:{key}')}"

    def _token(self, checkout: Checkout) -> str:
        payload = _b64(
            orjson.dumps(
                {
                    "p": checkout.payment_id,
                    "a": checkout.amount_minor,
                    "c": checkout.currency,
                    "d": checkout.description,
                    "m": checkout.metadata,
                    "r": checkout.return_url,
                    "t": checkout.issued_ms,
                }
            )
        )
        return payload + "." + self._token_mac(payload)

    def _token_mac(self, payload: str) -> str:
        return _b64(hmac.new(self._token_key, payload.encode(), hashlib.sha256).digest())

    def _untoken(self, token: str) -> Checkout | None:
        payload, _, mac = token.partition(".")
        if len(token) > MAX_TOKEN_CHARS or not hmac.compare_digest(
            mac.encode(), self._token_mac(payload).encode()
        ):
            return None
        # Signed by us: what follows can only fail on a token made by other code.
        try:
            data = orjson.loads(_unb64(payload))
            checkout = Checkout(
                payment_id=data["p"],
                amount_minor=data["a"],
                currency=data["c"],
                description=data["d"],
                metadata=data["m"],
                return_url=data["r"],
                issued_ms=data["t"],
            )
        except (ValueError, KeyError, TypeError):
            return None
        fine = (
            isinstance(checkout.payment_id, str)
            and type(checkout.amount_minor) is int
            and checkout.currency in MINOR_DIGITS
            and isinstance(checkout.description, str)
            and _str_dict(checkout.metadata) is not None
            and (checkout.return_url is None or isinstance(checkout.return_url, str))
            and type(checkout.issued_ms) is int
        )
        return checkout if fine else None


def _check_amount(amount_minor: int, currency: str) -> None:
    if currency not in MINOR_DIGITS:
        raise ProviderDeclined(f"the sandbox does not take {currency!r}")
    if amount_minor <= 0:
        raise ProviderDeclined("amounts must be positive")


async def _nowhere(body: bytes, headers: dict[str, str]) -> None:
    raise ProviderError("the sandbox has nowhere to deliver webhooks")
