"""What every action needs, built once by `colletta.services`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from argon2 import PasswordHasher
from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from colletta.actions.callers import SESSIONS_TOPIC, CallerCache
from colletta.clock import Clock
from colletta.config import Settings
from colletta.domain import events
from colletta.domain.events import frame
from colletta.errors import RateLimited
from colletta.media.files import MediaStore
from colletta.media.images import ImagePool
from colletta.realtime.bus import RESYNC_TOPIC, Bus, Envelope, chat_topic, user_topic
from colletta.realtime.hub import Hub
from colletta.store.db import Database, Tx
from colletta.store.events import append_event


class RateLimiter:
    """Fixed budgets per key (`limits` moving windows), shared by all nodes when on Redis."""

    def __init__(self, settings: Settings) -> None:
        storage: Storage
        if settings.bus_url.startswith("redis://"):
            storage = RedisStorage("async+" + settings.bus_url, implementation="redispy")
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        self._enabled = settings.rate_limits_enabled

    async def hit(self, rate: str, *keys: str) -> None:
        if not self._enabled:
            return
        item = parse(rate)
        for key in keys:
            if not await self._limiter.hit(item, key):
                stats = await self._limiter.get_window_stats(item, key)
                raise RateLimited(
                    "too many attempts; try again later",
                    retry_after_s=max(1, int(stats.reset_time - time.time())),
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
    """The legal-preservation hook (the trust & safety issue fills it in).

    Content under a preservation order must survive self-destruct: `is_held` is asked before
    every purge, and what is held is copied into the restricted hold store (`ctx.hold`) first.
    Nothing is held until orders exist.
    """

    async def is_held(self, chat_id: int, message_id: int) -> bool:
        return False


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
    # Image decoding, on threads of its own (bounded memory; argon2 never waits behind it).
    images: ImagePool
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    callers: CallerCache = field(default_factory=CallerCache)
    expiry_signal: ExpirySignal = field(default_factory=ExpirySignal)
    preservation: Preservation = field(default_factory=Preservation)

    def on_bus_message(self, topic: str, data: bytes) -> None:
        """Everything the bus delivers to this node."""
        if topic == SESSIONS_TOPIC:
            self._on_session_change(Envelope.decode(data))
        elif topic == RESYNC_TOPIC:
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
        seq, payload = await append_event(
            tx.conn, chat_id, type_, self.clock.now_ms(), data, message_id=message_id, seq=seq
        )
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
