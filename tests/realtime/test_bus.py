"""One contract for every bus (memory, Redis), as Litestar's channel backends do."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from colletta.realtime.bus import Bus, Envelope
from colletta.realtime.bus_memory import MemoryBus
from colletta.realtime.bus_redis import RedisBus
from tests.conftest import REDIS_URL, cut_pubsub_connections, need
from tests.outage_tools import ThrowawayRedis


class Inbox:
    def __init__(self) -> None:
        self.items: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

    def __call__(self, topic: str, data: bytes) -> None:
        self.items.put_nowait((topic, data))

    async def next(self) -> tuple[str, bytes]:
        return await asyncio.wait_for(self.items.get(), 5)


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Bus, Bus]]:
    """A (receiver, sender) pair; for Redis they are two nodes' buses."""
    if request.param == "memory":
        single = MemoryBus()
        yield single, single
        await single.close()
        return
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    receiver, sender = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    await sender.start(lambda _t, _d: None)
    yield receiver, sender
    await receiver.close()
    await sender.close()


async def _confirm_subscribed(receiver: Bus, sender: Bus, inbox: Inbox, topic: str) -> None:
    # Redis confirms a SUBSCRIBE asynchronously; a marker proves the subscription is live.
    await sender.publish(topic, b"marker")
    assert await inbox.next() == (topic, b"marker")


async def test_delivers_only_subscribed_topics_in_order(bus: tuple[Bus, Bus]) -> None:
    receiver, sender = bus
    inbox = Inbox()
    await receiver.start(inbox)
    await receiver.subscribe("chat:1")
    await _confirm_subscribed(receiver, sender, inbox, "chat:1")
    await sender.publish("chat:2", b"not for us")
    for i in range(20):
        await sender.publish("chat:1", str(i).encode())
    got = [await inbox.next() for _ in range(20)]
    assert got == [("chat:1", str(i).encode()) for i in range(20)]
    assert inbox.items.empty()


async def test_unsubscribe_stops_delivery(bus: tuple[Bus, Bus]) -> None:
    receiver, sender = bus
    inbox = Inbox()
    await receiver.start(inbox)
    await receiver.subscribe("user:7")
    await receiver.subscribe("user:8")
    await _confirm_subscribed(receiver, sender, inbox, "user:7")
    await receiver.unsubscribe("user:7")
    await sender.publish("user:7", b"gone")
    await sender.publish("user:8", b"still here")
    assert await inbox.next() == ("user:8", b"still here")


def test_envelope_round_trips() -> None:
    for envelope in (
        Envelope(12, 34, None, b'{"a":1}'),
        Envelope(5, None, "added", b"{}"),
        Envelope(9, None, None, b"line\nbreaks\nin frame"),
        # With the frame for those who may not see the chat's members.
        Envelope(7, 8, None, b'{"user_id":"1",\n"x":2}', b'{"user_id":null,\n"x":2}'),
        Envelope(7, 9, None, b"{}", b""),
    ):
        assert Envelope.decode(envelope.encode()) == envelope


async def test_redis_bus_asks_for_a_resync_after_its_connection_broke() -> None:
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    from colletta.realtime.bus import RESYNC_TOPIC

    bus, sender = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    inbox = Inbox()
    await bus.start(inbox)
    await sender.start(lambda _t, _d: None)
    try:
        await bus.subscribe("chat:5")
        await _confirm_subscribed(bus, sender, inbox, "chat:5")
        await cut_pubsub_connections()
        assert await inbox.next() == (RESYNC_TOPIC, b"")
        await _confirm_subscribed(bus, sender, inbox, "chat:5")  # and it listens again
    finally:
        await bus.close()
        await sender.close()


async def test_redis_bus_retries_a_failed_publish_in_order() -> None:
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    import redis.asyncio as redis

    receiver, sender = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    inbox = Inbox()
    await receiver.start(inbox)
    await sender.start(lambda _t, _d: None)
    try:
        await receiver.subscribe("chat:9")
        await _confirm_subscribed(receiver, sender, inbox, "chat:9")
        client = sender._client
        assert client is not None
        real_publish = client.publish
        failures = 2

        async def flaky(channel: str, data: bytes) -> int:
            nonlocal failures
            if failures:
                failures -= 1
                raise redis.ConnectionError("simulated outage")
            return await real_publish(channel, data)

        client.publish = flaky  # type: ignore[method-assign]
        for i in range(5):
            await sender.publish("chat:9", str(i).encode())
        assert [await inbox.next() for _ in range(5)] == [
            ("chat:9", str(i).encode()) for i in range(5)
        ]
    finally:
        await receiver.close()
        await sender.close()


async def test_a_redis_outage_logs_one_line_down_one_line_back_and_delivery_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio as redis

    from colletta.realtime.bus import RESYNC_TOPIC

    server = ThrowawayRedis(tmp_path)
    server.start()
    bus = RedisBus(server.url, backoff_max_s=0.05, down_poll_interval_s=0.05)
    inbox = Inbox()
    publisher = redis.Redis.from_url(server.url)
    try:
        await bus.start(inbox)
        await bus.subscribe("chat:1")
        await publisher.publish("colletta:chat:1", b"before")
        assert await inbox.next() == ("chat:1", b"before")

        with caplog.at_level(logging.DEBUG, logger="colletta.realtime.bus_redis"):
            server.kill()
            # Down: sessions are told to read the log, again and again, while the bus
            # tries to reconnect every 50 ms.
            for _ in range(10):
                assert await inbox.next() == (RESYNC_TOPIC, b"")
            assert not bus.up
            await asyncio.wait_for(bus.subscribe("chat:2"), 1)  # does not wait for Redis
            await bus.publish("chat:2", b"from here")  # this node's own sockets hear it
            assert await _next_not_resync(inbox) == ("chat:2", b"from here")

            server.start()
            while bus.up is False:
                assert await inbox.next() == (RESYNC_TOPIC, b"")
            await publisher.aclose()  # its connection died with the server
            publisher = redis.Redis.from_url(server.url)
            await publisher.publish("colletta:chat:2", b"after")
            assert await _next_not_resync(inbox) == ("chat:2", b"after")

        records = [r for r in caplog.records if r.name == "colletta.realtime.bus_redis"]
        assert all(r.exc_info is None for r in records)
        messages = [r.getMessage() for r in records]
        assert len(messages) == 2, messages
        assert "lost Redis" in messages[0]
        assert "is back" in messages[1]
    finally:
        await bus.close()
        await publisher.aclose()
        server.stop()


async def _next_not_resync(inbox: Inbox) -> tuple[str, bytes]:
    from colletta.realtime.bus import RESYNC_TOPIC

    while True:
        item = await inbox.next()
        if item[0] != RESYNC_TOPIC:
            return item


async def test_a_node_starts_without_redis_and_subscribes_once_it_is_there(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio as redis

    from colletta.realtime.bus import RESYNC_TOPIC

    server = ThrowawayRedis(tmp_path)  # not started yet
    bus = RedisBus(server.url, backoff_max_s=0.05, down_poll_interval_s=0.05)
    inbox = Inbox()
    try:
        with caplog.at_level(logging.WARNING, logger="colletta.realtime.bus_redis"):
            await bus.start(inbox)
            await asyncio.wait_for(bus.subscribe("chat:3"), 1)
            assert not bus.up
            assert await inbox.next() == (RESYNC_TOPIC, b"")
            server.start()
            while not bus.up:
                assert await inbox.next() == (RESYNC_TOPIC, b"")
        publisher = redis.Redis.from_url(server.url)
        try:
            await publisher.publish("colletta:chat:3", b"hello")
        finally:
            await publisher.aclose()
        assert await _next_not_resync(inbox) == ("chat:3", b"hello")
        assert [r.exc_info for r in caplog.records] == [None, None]
    finally:
        await bus.close()
        server.stop()
