"""The rate limiter on Redis: one budget for all nodes, and logins that outlive Redis."""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from colletta.actions.context import RateLimiter
from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.errors import RateLimited
from tests.conftest import PASSWORD, REDIS_URL, need

LIMITER_LOG = "colletta.actions.context"


async def test_nodes_on_one_redis_share_a_budget(clock: FakeClock) -> None:
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    settings = Settings(bus_url=REDIS_URL, rate_limits_enabled=True)
    prefix = secrets.token_hex(4)  # the test database outlives this test's windows
    one, two = (RateLimiter(settings, clock, key_prefix=prefix) for _ in range(2))
    key = ("login-ip", "198.51.100.7")
    try:
        await one.hit("3/minute", *key)
        await two.hit("3/minute", *key)
        await one.hit("3/minute", *key)
        with pytest.raises(RateLimited):
            await two.hit("3/minute", *key)
        await two.hit("3/minute", "login-ip", "198.51.100.8")
    finally:
        await one.close()
        await two.close()


class ThrowawayRedis:
    """A redis-server of this test's own, to kill and bring back."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._process = process = await asyncio.create_subprocess_exec(
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        while b"Ready to accept connections" not in await process.stdout.readline():
            assert process.returncode is None, "redis-server did not start"

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()


@pytest.fixture
async def throwaway_redis() -> AsyncIterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = ThrowawayRedis()
    await redis.start()
    yield redis
    await redis.stop()


async def test_logins_go_on_while_redis_is_down(
    db_url: str,
    tmp_path: Path,
    clock: FakeClock,
    throwaway_redis: ThrowawayRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LIMITER_LOG)
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path,
        bus_url=throwaway_redis.url,
        login_rate="4/minute",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        expiry_worker_enabled=False,
        pot_worker_enabled=False,
        log_level="warning",
    )
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def login(password: str) -> int:
                body = {"username": "rita", "password": password}
                return (await client.post("/api/v1/auth/login", json=body)).status_code

            body = {"username": "rita", "password": PASSWORD}
            assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
            assert await login("wrong password") == 401
            await throwaway_redis.stop()
            # This node counts on its own now: the limits still hold, nothing answers 500.
            assert [await login(PASSWORD) for _ in range(5)] == [200, 200, 200, 200, 429]
            clock.advance(RateLimiter.RETRY_MS)
            assert await login(PASSWORD) == 429
            await throwaway_redis.start()  # empty: the window on Redis starts afresh
            clock.advance(RateLimiter.RETRY_MS)
            assert await login(PASSWORD) == 200

    messages = [r.getMessage() for r in caplog.records if r.name == LIMITER_LOG]
    assert messages == [
        "rate limits: Redis unreachable (ConnectionError); counting on this node until it is back",
        "rate limits: Redis is back; budgets are shared again",
    ]
    assert not any(r.exc_info for r in caplog.records if r.name == LIMITER_LOG)
