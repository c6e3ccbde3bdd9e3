"""Login, registration and password-change limits, and the cost of checking a password."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, extract_parameters

from colletta.app import create_app
from colletta.clock import FakeClock
from colletta.config import Settings, SettingsError, load_settings
from tests.conftest import PASSWORD, start_server

WRONG = "not the password"


def limits(**overrides: Any) -> pytest.MarkDecorator:
    """Settings with every limit on and generous, but those a test is about."""
    generous = {
        "rate_limits_enabled": True,
        "login_rate": "100/minute",
        "login_failure_rate": "100/minute",
        "login_user_failure_rate": "100/hour",
        "register_rate": "100/minute",
        "password_change_rate": "100/minute",
    }
    return pytest.mark.settings(**(generous | overrides))


def from_address(app: Any, address: str) -> httpx.AsyncClient:
    """A client of the in-process app that connects from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://colletta.test")


@pytest.fixture
async def clients(app: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made = {ip: from_address(app, ip) for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")}
    yield made
    for client in made.values():
        await client.aclose()


async def login(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    if response.status_code == 429:
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["type"].endswith("/rate_limited")
    return response.status_code


async def register(client: httpx.AsyncClient, username: str) -> int:
    response = await client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    return response.status_code


@limits(login_failure_rate="3/minute")
async def test_guessing_from_one_address_does_not_lock_the_user_out_elsewhere(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    attacker, owner = clients["10.0.0.1"], clients["10.0.0.2"]
    assert await register(owner, "ursula") == 201
    assert [await login(attacker, "ursula", WRONG) for _ in range(3)] == [401, 401, 401]
    assert await login(attacker, "ursula", PASSWORD) == 429
    assert await login(owner, "ursula", PASSWORD) == 200
    # The same address may still log in to another account.
    assert await register(owner, "victor") == 201
    assert await login(attacker, "victor", PASSWORD) == 200


@limits(login_failure_rate="2/minute")
async def test_only_failures_spend_the_budget_of_a_username_at_an_address(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    owner = clients["10.0.0.1"]
    assert await register(owner, "wanda") == 201
    assert [await login(owner, "wanda", PASSWORD) for _ in range(4)] == [200] * 4
    assert [await login(owner, "wanda", WRONG) for _ in range(2)] == [401, 401]
    assert await login(owner, "wanda", PASSWORD) == 429


@limits(login_rate="3/minute")
async def test_the_per_address_limit_counts_every_username(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    one, other = clients["10.0.0.1"], clients["10.0.0.2"]
    codes = [await login(one, name, WRONG) for name in ("xena", "yuri", "zoe", "abel")]
    assert codes == [401, 401, 401, 429]
    assert await login(other, "abel", WRONG) == 401


@limits(login_user_failure_rate="4/hour", login_slowdown_s=2.0)
async def test_a_username_under_attack_is_slowed_down_not_refused(
    clients: dict[str, httpx.AsyncClient], clock: FakeClock
) -> None:
    assert await register(clients["10.0.0.3"], "yolanda") == 201

    async def timed_login(client: httpx.AsyncClient, password: str) -> tuple[int, int]:
        before = clock.now_ms()
        code = await login(client, "yolanda", password)
        return code, clock.now_ms() - before

    for address in ("10.0.0.1", "10.0.0.2"):
        for _ in range(2):
            assert await timed_login(clients[address], WRONG) == (401, 0)
    # Four failures from anywhere: every attempt now waits, the right password still works.
    assert await timed_login(clients["10.0.0.1"], WRONG) == (401, 2000)
    assert await timed_login(clients["10.0.0.3"], PASSWORD) == (200, 2000)


@limits(register_rate="2/minute")
async def test_registrations_are_limited_per_address(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    one, other = clients["10.0.0.1"], clients["10.0.0.2"]
    assert [await register(one, name) for name in ("reg_a", "reg_b", "reg_c")] == [201, 201, 429]
    assert await register(other, "reg_c") == 201
    limited = await one.post(
        "/api/v1/auth/register", json={"username": "reg_d", "password": PASSWORD}
    )
    assert limited.json()["type"].endswith("/rate_limited")
    assert int(limited.headers["retry-after"]) >= 1


@limits(password_change_rate="2/minute")
async def test_password_changes_are_limited_per_user(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    client = clients["10.0.0.1"]
    tokens = {}
    for name in ("pam", "quentin"):
        assert await register(client, name) == 201
        response = await client.post(
            "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
        )
        tokens[name] = {"Authorization": f"Bearer {response.json()['token']}"}

    async def change(name: str, old: str) -> httpx.Response:
        body = {"old_password": old, "new_password": "a brand new password"}
        return await client.post("/api/v1/auth/password", json=body, headers=tokens[name])

    assert [(await change("pam", WRONG)).status_code for _ in range(2)] == [422, 422]
    limited = await change("pam", PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert (await change("quentin", PASSWORD)).status_code == 204


class CountingHasher(PasswordHasher):
    """Records which hash every verify was checked against."""

    def __init__(self, real: PasswordHasher) -> None:
        super().__init__(time_cost=real.time_cost, memory_cost=real.memory_cost)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        assert isinstance(hash, str)
        self.verified.append(hash)
        return super().verify(hash, password)


@limits(argon2_memory_kib=256, argon2_time_cost=2)
async def test_unknown_usernames_cost_the_same_work_as_known_ones(
    app: Any, clients: dict[str, httpx.AsyncClient]
) -> None:
    client = clients["10.0.0.1"]
    assert await register(client, "olga") == 201
    hasher = CountingHasher(app.state.ctx.passwords.hasher)
    app.state.ctx.passwords.hasher = hasher
    assert await login(client, "olga", WRONG) == 401
    assert await login(client, "nobody_here", WRONG) == 401
    assert await login(client, "nobody_either", WRONG) == 401
    assert len(hasher.verified) == 3
    real, *dummies = (extract_parameters(h) for h in hasher.verified)
    assert dummies == [real, real]
    assert (real.memory_cost, real.time_cost) == (256, 2)


class GatedHasher(PasswordHasher):
    """Every hash waits for the gate; records how many ran at once and on which threads."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64)
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self._lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.threads: set[str] = set()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.current_thread().name)
        self.entered.release()
        try:
            assert self.gate.wait(timeout=30)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


@limits(argon2_max_concurrent=2)
async def test_no_more_than_the_configured_hashes_run_at_once(
    app: Any, clients: dict[str, httpx.AsyncClient]
) -> None:
    client = clients["10.0.0.1"]
    assert await register(client, "hugo") == 201
    hasher = GatedHasher()
    app.state.ctx.passwords.hasher = hasher
    logins = [asyncio.create_task(login(client, "hugo", PASSWORD)) for _ in range(5)]
    for _ in range(2):
        assert await asyncio.to_thread(hasher.entered.acquire, timeout=30)
    hasher.gate.set()
    assert await asyncio.gather(*logins) == [200] * 5
    assert hasher.most_at_once == 2
    # Their own threads: file I/O in the default executor never waits behind a hash.
    assert all(name.startswith("argon2") for name in hasher.threads)


@limits(login_rate="2/minute")
@pytest.mark.parametrize(
    ("trusted_proxies", "believed"), [("127.0.0.1", True), ("", False), ("10.9.9.9", False)]
)
async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    settings: Settings, clock: FakeClock, trusted_proxies: str, believed: bool
) -> None:
    settings = settings.model_copy(update={"forwarded_allow_ips": trusted_proxies})
    uv, task, url = await start_server(create_app(settings, clock), settings)
    try:
        async with httpx.AsyncClient(base_url=url) as client:

            async def login_via(forwarded_for: str) -> int:
                response = await client.post(
                    "/api/v1/auth/login",
                    json={"username": "someone", "password": WRONG},
                    headers={"X-Forwarded-For": forwarded_for},
                )
                return response.status_code

            assert [await login_via("203.0.113.1") for _ in range(2)] == [401, 401]
            # Another client behind the proxy has its own budget; a spoofed header does not.
            assert await login_via("203.0.113.2") == (401 if believed else 429)
    finally:
        uv.should_exit = True
        await task


@pytest.mark.parametrize("rate", ["10 a minute", "0/minute", "10/fortnight", ""])
def test_a_bad_rate_stops_start_up_naming_the_key(rate: str) -> None:
    with pytest.raises(SettingsError, match="login_failure_rate"):
        load_settings(login_failure_rate=rate)
    assert load_settings(login_failure_rate="20 per 2 hours").login_failure_rate
