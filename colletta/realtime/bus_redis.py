"""The bus of many nodes: Redis pub/sub, one subscriber connection per node."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

import redis.asyncio as redis

from colletta.ids import new_token
from colletta.log import get_logger
from colletta.realtime.bus import RESYNC_TOPIC, OnMessage

log = get_logger(__name__)
_PREFIX = "colletta:"
_CONFIRM_TIMEOUT_S = 5.0
_RETRY_INTERVAL_S = 0.2
_UNSENT_MAX = 100_000


class RedisBus:
    def __init__(self, url: str) -> None:
        self._url = url
        self._client: redis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._on_message: OnMessage | None = None
        self._confirmations: dict[bytes, list[asyncio.Future[None]]] = {}
        self._lost_connection = False
        self._confirmed: set[bytes] = set()
        # Bounded: past this, the oldest are dropped and receivers rely on the log alone.
        self._unsent: deque[tuple[str, bytes]] = deque(maxlen=_UNSENT_MAX)
        self._retrier: asyncio.Task[None] | None = None
        # A channel only this node listens on, so the subscriber connection is live from start.
        self._node_channel = _PREFIX + "node:" + new_token()

    async def start(self, on_message: OnMessage) -> None:
        self._on_message = on_message
        self._client = redis.Redis.from_url(self._url)
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(self._node_channel)
        self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")

    async def _read(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message["type"] == "subscribe":
                        self._on_subscribed(message["channel"], message["data"])
                    elif message["type"] == "unsubscribe":
                        self._confirmed.discard(message["channel"])
                    elif message["type"] == "message" and self._on_message is not None:
                        topic = message["channel"].decode()[len(_PREFIX) :]
                        self._on_message(topic, message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis restarted or the connection broke: what was published meanwhile is
                # lost here, and the gap logic of every live session fetches it from the log.
                log.warning("redis bus reader lost its connection; reconnecting", exc_info=True)
                self._lost_connection = True
                await asyncio.sleep(0.5)

    def _on_subscribed(self, channel: bytes, count: int) -> None:
        waiters = self._confirmations.pop(channel, None)
        if waiters:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        elif channel in self._confirmed:
            # redis-py reconnected on its own and is subscribing again: what was published
            # in between never reached this node.
            self._lost_connection = True
        self._confirmed.add(channel)
        # `count` is how many subscriptions the connection holds; once all are back, every
        # live session re-reads what it follows from the log.
        if self._lost_connection and count >= len(self._pubsub.channels) and self._on_message:
            self._lost_connection = False
            self._on_message(RESYNC_TOPIC, b"")

    async def publish(self, topic: str, data: bytes) -> None:
        """Publish, or keep it for a retry: a lost publish would leave other nodes waiting
        for the chat's next event before they fill the gap from the log."""
        if self._unsent:
            self._unsent.append((topic, data))  # keep order behind what is already waiting
            return
        if not await self._try_publish(topic, data):
            self._unsent.append((topic, data))
            if self._retrier is None or self._retrier.done():
                self._retrier = asyncio.create_task(self._retry(), name="redis-bus-retry")

    async def _try_publish(self, topic: str, data: bytes) -> bool:
        assert self._client is not None
        try:
            await self._client.publish(_PREFIX + topic, data)
        except redis.RedisError:
            return False
        return True

    async def _retry(self) -> None:
        log.warning("redis publish failed; retrying (%d waiting)", len(self._unsent))
        while self._unsent:
            topic, data = self._unsent[0]
            if await self._try_publish(topic, data):
                self._unsent.popleft()
            else:
                await asyncio.sleep(_RETRY_INTERVAL_S)

    async def subscribe(self, topic: str) -> None:
        """Returns once Redis confirmed: later publishes to the topic reach this node."""
        channel = (_PREFIX + topic).encode()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, []).append(waiter)
        await self._pubsub.subscribe(channel)
        try:
            await asyncio.wait_for(waiter, _CONFIRM_TIMEOUT_S)
        except TimeoutError:
            # Still subscribed, just unconfirmed; the log fills any gap this leaves.
            log.warning("redis did not confirm a subscription in time")

    async def unsubscribe(self, topic: str) -> None:
        await self._pubsub.unsubscribe(_PREFIX + topic)

    async def close(self) -> None:
        if self._retrier is not None:
            self._retrier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrier
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._client is not None:
            await self._client.aclose()
