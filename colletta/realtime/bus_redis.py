"""The bus of many nodes: Redis pub/sub, one subscriber connection per node.

Redis only carries events between nodes; the database has them all. So while Redis is
unreachable a node keeps working: it says so once in the log, delivers what it publishes to
its own connections directly, asks every live session to read the event log every
`down_poll_interval_s` (the RESYNC topic), and tries to reconnect with a capped exponential
backoff. Once every subscription is back it says so once, and sessions catch up one last time
from the log; seqs de-duplicate whatever then arrives twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

import redis.asyncio as redis

from colletta.clock import Backoff
from colletta.ids import new_token
from colletta.log import get_logger
from colletta.realtime.bus import RESYNC_TOPIC, OnMessage

log = get_logger(__name__)
_PREFIX = "colletta:"
_CONFIRM_TIMEOUT_S = 5.0
_CONNECT_TIMEOUT_S = 5.0
_UNSENT_MAX = 100_000
# What an unreachable Redis raises: redis-py's errors, or the socket's own.
_DOWN = (redis.RedisError, OSError)


class RedisBus:
    def __init__(
        self, url: str, *, backoff_max_s: float = 30.0, down_poll_interval_s: float = 1.0
    ) -> None:
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
        self._node_channel = (_PREFIX + "node:" + new_token()).encode()
        # Every channel this node wants, confirmed or not: what to subscribe again after an outage.
        self._wanted: set[bytes] = {self._node_channel}
        self._backoff_max_s = backoff_max_s
        self._poll_interval_s = down_poll_interval_s
        self._down_since: float | None = None  # monotonic time Redis was found unreachable
        self._poller: asyncio.Task[None] | None = None
        self._reconnect_backoff = Backoff(backoff_max_s)

    @property
    def up(self) -> bool:
        """False from a failure to reach Redis until every subscription is back."""
        return self._down_since is None

    async def start(self, on_message: OnMessage) -> None:
        self._on_message = on_message
        self._client = redis.Redis.from_url(self._url, socket_connect_timeout=_CONNECT_TIMEOUT_S)
        self._pubsub = self._client.pubsub()
        try:
            await self._pubsub.subscribe(self._node_channel)
        except _DOWN as exc:
            self._went_down(exc)  # start anyway: the database serves until Redis is back
        self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")

    async def _read(self) -> None:
        while True:
            try:
                if not self.up:
                    await self._subscribe_again()
                async for message in self._pubsub.listen():
                    if message["type"] == "subscribe":
                        self._on_subscribed(message["channel"], message["data"])
                    elif message["type"] == "unsubscribe":
                        self._confirmed.discard(message["channel"])
                    elif message["type"] == "message" and self._on_message is not None:
                        topic = message["channel"].decode()[len(_PREFIX) :]
                        self._on_message(topic, message["data"])
                # listen() ends only without subscriptions, and the node channel is one.
                raise redis.ConnectionError("the subscriber connection holds no subscriptions")
            except asyncio.CancelledError:
                raise
            except _DOWN as exc:
                # Redis restarted or the connection broke: what was published meanwhile is
                # lost here, and every live session fetches it from the log.
                self._went_down(exc)
                await asyncio.sleep(self._reconnect_backoff.next_s())

    async def _subscribe_again(self) -> None:
        """Reconnect (redis-py subscribes its confirmed channels again on connect), then
        subscribe what was asked for meanwhile and drop what is no longer wanted."""
        await self._pubsub.connect()
        # A second SUBSCRIBE of a channel would look like another reconnection.
        missing = self._wanted - set(self._pubsub.channels)
        if missing:
            await self._pubsub.subscribe(*missing)
        stale = set(self._pubsub.channels) - self._wanted
        if stale:
            await self._pubsub.unsubscribe(*stale)

    def _went_down(self, exc: BaseException) -> None:
        self._lost_connection = True
        if self._down_since is not None:
            return
        self._down_since = time.monotonic()
        log.warning(
            "redis bus: lost Redis (%s); live events come from the database every "
            "%.1f s until it is back",
            type(exc).__name__,
            self._poll_interval_s,
        )
        self._poller = asyncio.get_running_loop().create_task(self._poll(), name="redis-bus-poll")
        # Nobody will confirm these now; the poll covers their chats.
        for waiters in self._confirmations.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self._confirmations.clear()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            if self._on_message is not None:
                self._on_message(RESYNC_TOPIC, b"")

    def _came_back(self) -> None:
        if self._down_since is None:
            return
        log.warning(
            "redis bus: Redis is back after %.1f s; live events flow through it again",
            time.monotonic() - self._down_since,
        )
        self._down_since = None
        self._reconnect_backoff.reset()
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

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
            self._came_back()
            self._on_message(RESYNC_TOPIC, b"")

    async def publish(self, topic: str, data: bytes) -> None:
        """Publish, or keep it for a retry: a lost publish would leave other nodes waiting
        for the chat's next event before they fill the gap from the log."""
        if not self.up:
            # Without waiting for a connection attempt per send: the retrier keeps trying.
            self._deliver_here(topic, data)
            self._unsent.append((topic, data))
            self._start_retrier()
            return
        if self._unsent:
            self._unsent.append((topic, data))  # keep order behind what is already waiting
            return
        if not await self._try_publish(topic, data):
            self._unsent.append((topic, data))
            self._start_retrier()

    def _start_retrier(self) -> None:
        if self._retrier is None or self._retrier.done():
            self._retrier = asyncio.create_task(self._retry(), name="redis-bus-retry")

    def _deliver_here(self, topic: str, data: bytes) -> None:
        """While Redis is down, this node's own connections hear its events at once; the
        copy Redis delivers later is dropped by seq."""
        if self._on_message is not None and (_PREFIX + topic).encode() in self._wanted:
            self._on_message(topic, data)

    async def _try_publish(self, topic: str, data: bytes) -> bool:
        assert self._client is not None
        try:
            await self._client.publish(_PREFIX + topic, data)
        except _DOWN:
            return False
        return True

    async def _retry(self) -> None:
        if self.up:  # an outage is already in the log
            log.warning("redis publish failed; retrying (%d waiting)", len(self._unsent))
        backoff = Backoff(self._backoff_max_s, first_s=0.2)
        while self._unsent:
            topic, data = self._unsent[0]
            if await self._try_publish(topic, data):
                self._unsent.popleft()
                backoff.reset()
            else:
                await asyncio.sleep(backoff.next_s())

    async def subscribe(self, topic: str) -> None:
        """Returns once Redis confirmed: later publishes to the topic reach this node. While
        Redis is down it returns at once; the subscription is made when Redis is back."""
        channel = (_PREFIX + topic).encode()
        self._wanted.add(channel)
        if not self.up:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, []).append(waiter)
        try:
            await self._pubsub.subscribe(channel)
        except _DOWN as exc:
            self._went_down(exc)
            return
        try:
            await asyncio.wait_for(waiter, _CONFIRM_TIMEOUT_S)
        except TimeoutError:
            # Still subscribed, just unconfirmed; the log fills any gap this leaves.
            log.warning("redis did not confirm a subscription in time")

    async def unsubscribe(self, topic: str) -> None:
        channel = (_PREFIX + topic).encode()
        self._wanted.discard(channel)
        if not self.up:
            return  # dropped when Redis is back (`_subscribe_again`)
        try:
            await self._pubsub.unsubscribe(channel)
        except _DOWN as exc:
            self._went_down(exc)

    async def close(self) -> None:
        for task in (self._retrier, self._poller, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._pubsub is not None:
            with contextlib.suppress(*_DOWN):
                await self._pubsub.aclose()
        if self._client is not None:
            with contextlib.suppress(*_DOWN):
                await self._client.aclose()
