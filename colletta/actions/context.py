"""What every action needs, built once by `colletta.services`."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from colletta.actions.callers import SESSIONS_TOPIC, CallerCache
from colletta.actions.flood import Flood
from colletta.actions.hash_matcher import BANKS_TOPIC, Matcher
from colletta.actions.passwords import Passwords
from colletta.clock import Clock
from colletta.config import Settings
from colletta.domain import events
from colletta.domain.events import frame
from colletta.errors import RateLimited
from colletta.log import get_logger
from colletta.media.files import MediaStore
from colletta.media.images import ImagePool
from colletta.payments.provider import ProviderEvent, Providers
from colletta.realtime.bus import RESYNC_TOPIC, Bus, Envelope, chat_topic, user_topic
from colletta.realtime.hub import Hub
from colletta.safety.screening import Screener
from colletta.store import preserved as preserved_store
from colletta.store.db import Conn, Database, Tx
from colletta.store.events import append_event

log = get_logger(__name__)
T = TypeVar("T")


class RateLimiter:
    """Budgets per key (`limits` moving windows), shared by all nodes when on Redis.

    While Redis is unreachable the budgets are counted in this node's memory instead: a login
    must not fail because the limiter's store is down. Redis is tried again every
    RETRY_MS of `clock`; the switch is logged once each way.
    """

    RETRY_MS = 5_000

    def __init__(self, settings: Settings, clock: Clock, *, key_prefix: str = "") -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        self._pool: ConnectionPool | None = None
        if settings.bus_url.startswith("redis://"):
            # No retries inside the client: a refused connection falls back at once.
            self._pool = pool = ConnectionPool.from_url(
                settings.bus_url,
                socket_connect_timeout=1.0,
                socket_timeout=1.0,
                retry=Retry(NoBackoff(), 0),
            )
            options: dict[str, Any] = {"connection_pool": pool}
            storage = RedisStorage(
                "async+" + settings.bus_url,
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=f"LIMITER{key_prefix}",
                **options,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._down_since_ms: int | None = None
        self._enabled = settings.rate_limits_enabled

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    def _limiter(self) -> MovingWindowRateLimiter:
        if self._shared is None:
            return self._local
        down_since_ms = self._down_since_ms
        if down_since_ms is not None and 0 <= self._clock.now_ms() - down_since_ms < self.RETRY_MS:
            return self._local
        return self._shared

    async def _call(self, op: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        limiter = self._limiter()
        if limiter is self._local:
            return await op(limiter)
        try:
            result = await op(limiter)
        except StorageError as exc:
            if self._down_since_ms is None:
                log.warning(
                    "rate limits: Redis unreachable (%s); counting on this node until it is back",
                    type(exc.storage_error).__name__,
                )
            self._down_since_ms = self._clock.now_ms()
            return await op(self._local)
        if self._down_since_ms is not None:
            log.warning("rate limits: Redis is back; budgets are shared again")
            self._down_since_ms = None
        return result

    async def hit(self, rate: str, *key: str) -> None:
        """Spend one from the budget of `key`, or raise RateLimited if it is spent."""
        await self._refuse_if_spent(rate, key, spend=True)

    async def check(self, rate: str, *key: str) -> None:
        """Raise RateLimited if the budget of `key` is spent; spend nothing."""
        await self._refuse_if_spent(rate, key, spend=False)

    async def count(self, rate: str, *key: str) -> None:
        """Spend one from the budget of `key` without refusing anything."""
        if self._enabled:
            item = parse(rate)
            await self._call(lambda limiter: limiter.hit(item, *key))

    async def is_spent(self, rate: str, *key: str) -> bool:
        if not self._enabled:
            return False
        item = parse(rate)
        return not await self._call(lambda limiter: limiter.test(item, *key))

    async def take(self, cap: int, ttl_s: int, *key: str) -> bool:
        """Take one of `cap` from the counter `key` (kept `ttl_s`), atomically across nodes;
        False, having taken nothing, when all are taken. `give_back` returns one: unlike a
        moving window, a counter can be refunded."""
        if not self._enabled:
            return True
        name = "/".join(key)

        async def take_one(limiter: MovingWindowRateLimiter) -> bool:
            if await limiter.storage.incr(name, ttl_s) <= cap:
                return True
            await limiter.storage.incr(name, ttl_s, amount=-1)
            return False

        return await self._call(take_one)

    async def give_back(self, ttl_s: int, *key: str) -> None:
        """Return one taken from the counter `key` (what `take` took for work that failed)."""
        if self._enabled:
            name = "/".join(key)
            await self._call(lambda limiter: limiter.storage.incr(name, ttl_s, amount=-1))

    async def _refuse_if_spent(self, rate: str, key: tuple[str, ...], *, spend: bool) -> None:
        if not self._enabled:
            return
        item = parse(rate)

        async def ask(limiter: MovingWindowRateLimiter) -> float | None:
            allowed = await (limiter.hit if spend else limiter.test)(item, *key)
            return None if allowed else (await limiter.get_window_stats(item, *key)).reset_time

        reset_time = await self._call(ask)
        if reset_time is not None:
            raise RateLimited(
                "too many attempts; try again later",
                retry_after_s=max(1, math.ceil(reset_time - time.time())),
            )


class ExpirySignal:
    """Wakes this node's expiry worker when an item falls due before the one it waits for."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.waiting_for_ms: int | None = None

    def scheduled(self, due_at_ms: int) -> None:
        if self.waiting_for_ms is None or due_at_ms < self.waiting_for_ms:
            self.wake.set()


class Preservation:
    """The legal-preservation hook (actions/preservation.py places the holds).

    Content under a preservation hold must survive self-destruct: `is_held` is asked before
    every purge, inside the purging transaction (so a hold placed earlier in it counts), and
    what is held is moved into the restricted hold store (`ctx.hold`) first.
    """

    async def is_held(self, conn: Conn, chat_id: int, message_id: int) -> bool:
        return await preserved_store.is_message_held(conn, chat_id, message_id)


async def no_provider_event_handler(event: ProviderEvent) -> None:
    """Until pots handle them: a verified provider event is noted and dropped."""
    log.info("provider event with no handler (%s %s)", event.provider, event.kind)


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock
    bus: Bus
    hub: Hub
    limiter: RateLimiter
    media: MediaStore
    # Restricted store for content under a legal preservation hold (never served).
    hold: MediaStore
    passwords: Passwords
    # Per-user budgets of this process: sends, reactions, typing, open WebSockets.
    flood: Flood
    # Image decoding, on threads of its own (bounded memory; argon2 never waits behind it).
    images: ImagePool
    # Payment providers by name (services builds them from settings); `default` takes new
    # payments. Their verified webhook events go to `provider_events`.
    providers: Providers
    provider_events: Callable[[ProviderEvent], Awaitable[None]] = no_provider_event_handler
    callers: CallerCache = field(init=False)
    expiry_signal: ExpirySignal = field(default_factory=ExpirySignal)
    preservation: Preservation = field(default_factory=Preservation)
    # Screening of pots (safety.screening: the lexicon and context rules of DESIGN.md §5).
    screener: Screener = field(default_factory=Screener)
    # Wakes this node's pot worker when a task falls due before the one it waits for.
    pot_signal: ExpirySignal = field(default_factory=ExpirySignal)
    # This node's in-memory copy of the hash banks (actions.hash_matcher).
    matcher: Matcher = field(default_factory=Matcher)

    def __post_init__(self) -> None:
        self.callers = CallerCache(self.clock)

    def on_bus_message(self, topic: str, data: bytes) -> None:
        """Everything the bus delivers to this node."""
        if topic == SESSIONS_TOPIC:
            self._on_session_change(Envelope.decode(data))
        elif topic == BANKS_TOPIC:
            self.matcher.invalidate()
        elif topic == RESYNC_TOPIC:
            self.matcher.invalidate()  # a bank change may be among what was lost
            self.hub.catch_up_all()
        else:
            self.hub.on_bus_message(topic, data)

    def _on_session_change(self, envelope: Envelope) -> None:
        user_id, session_id = envelope.chat_id, envelope.seq
        if envelope.control == events.CONTROL_REVOKE_SESSION:
            self.callers.forget(user_id, session_id=session_id)
        elif envelope.control == events.CONTROL_REVOKE_OTHER_SESSIONS:
            self.callers.forget(user_id, keep=session_id)
        else:
            self.callers.forget(user_id)

    def announce_session_change(
        self, tx: Tx, user_id: int, control: str, session_id: int | None
    ) -> None:
        """Tell every node (this one included) to drop cached callers, after `tx` commits."""
        envelope = Envelope(user_id, session_id, control, b"").encode()

        async def publish() -> None:
            self.callers.forget(user_id)  # here at once, even if the bus is down
            await self.bus.publish(SESSIONS_TOPIC, envelope)

        tx.on_commit(publish)

    async def emit(
        self,
        tx: Tx,
        chat_id: int,
        type_: str,
        data: dict[str, Any],
        *,
        message_id: int | None = None,
        seq: int | None = None,
    ) -> int:
        """Log a chat event in `tx` and publish it once `tx` has committed; returns its seq."""
        now_ms = self.clock.now_ms()
        seq, payload = await append_event(
            tx.conn, chat_id, type_, now_ms, data, message_id=message_id, seq=seq
        )
        if type_ in events.NAMES_PEOPLE:
            # Serialized once here, not once per subscriber's socket.
            shown = events.without_others(frame(type_, chat_id, seq, now_ms, data), None)
            envelope = Envelope(
                chat_id, seq, events.CONTROL_NAMES_PEOPLE, payload, orjson.dumps(shown)
            ).encode()
        else:
            envelope = Envelope(chat_id, seq, None, payload).encode()

        async def publish() -> None:
            await self.bus.publish(chat_topic(chat_id), envelope)

        tx.on_commit(publish)
        return seq

    async def publish_ephemeral(self, chat_id: int, type_: str, data: dict[str, Any]) -> None:
        """An event never stored (typing): straight to the chat's live members."""
        payload = orjson.dumps(frame(type_, chat_id, None, self.clock.now_ms(), data))
        await self.bus.publish(chat_topic(chat_id), Envelope(chat_id, None, None, payload).encode())

    def notify_user(
        self,
        tx: Tx,
        user_id: int,
        chat_id: int,
        type_: str,
        data: dict[str, Any],
        *,
        control: str | None = None,
        seq: int | None = None,
    ) -> None:
        """A notice to one user's live devices (chat added/removed), sent after `tx` commits."""
        payload = orjson.dumps(frame(type_, chat_id, None, self.clock.now_ms(), data))
        envelope = Envelope(chat_id, seq, control, payload).encode()

        async def publish() -> None:
            await self.bus.publish(user_topic(user_id), envelope)

        tx.on_commit(publish)
