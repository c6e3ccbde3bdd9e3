"""The per-user flood budgets on their own, driven by a fake clock (colletta/actions/flood.py)."""

from __future__ import annotations

import pytest

from colletta.actions.flood import SocketCounter, TokenBuckets, TypingGate
from colletta.clock import FakeClock
from colletta.errors import RateLimited


def allowed(buckets: TokenBuckets, user_id: int, times: int) -> int:
    count = 0
    for _ in range(times):
        try:
            buckets.hit(user_id, "messages")
        except RateLimited:
            continue
        count += 1
    return count


def test_a_bucket_allows_its_burst_then_its_rate(clock: FakeClock) -> None:
    buckets = TokenBuckets(clock, rate_per_s=2, burst=5, enabled=True)
    assert allowed(buckets, 1, 10) == 5
    with pytest.raises(RateLimited) as refused:
        buckets.hit(1, "messages")
    assert refused.value.retry_after_s == 1  # 500 ms, rounded up
    clock.advance(500)
    assert allowed(buckets, 1, 10) == 1
    clock.advance(10_000)  # long idle: a full burst again, never more
    assert allowed(buckets, 1, 10) == 5
    assert allowed(buckets, 2, 10) == 5  # every user has their own


def test_a_wall_clock_step_back_does_not_lock_a_user_out(clock: FakeClock) -> None:
    buckets = TokenBuckets(clock, rate_per_s=1, burst=2, enabled=True)
    assert allowed(buckets, 1, 3) == 2
    clock.advance(-3_600_000)
    assert allowed(buckets, 1, 3) == 2


def test_idle_users_are_forgotten_and_busy_ones_are_not(clock: FakeClock) -> None:
    buckets = TokenBuckets(clock, rate_per_s=1, burst=1, enabled=True)
    buckets.hit(0, "messages")  # busy: its bucket is empty
    clock.advance(1)
    for user_id in range(1, 5000):
        buckets.hit(user_id, "messages")
        clock.advance(1_000)
    assert len(buckets._full_at_ms) < 2100
    buckets = TokenBuckets(clock, rate_per_s=0.001, burst=1, enabled=True)
    buckets.hit(0, "messages")
    for user_id in range(1, 3000):
        buckets.hit(user_id, "messages")
    with pytest.raises(RateLimited):
        buckets.hit(0, "messages")


def test_switched_off_buckets_allow_everything(clock: FakeClock) -> None:
    buckets = TokenBuckets(clock, rate_per_s=1, burst=1, enabled=False)
    assert allowed(buckets, 1, 100) == 100


def test_typing_passes_once_per_interval_per_user_and_chat(clock: FakeClock) -> None:
    gate = TypingGate(clock, interval_s=3)
    assert [gate.admit(1, 10) for _ in range(3)] == [True, False, False]
    assert gate.admit(2, 10)
    assert gate.admit(1, 11)
    clock.advance(2_999)
    assert not gate.admit(1, 10)
    clock.advance(1)
    assert gate.admit(1, 10)
    gate.forget(1, 10)
    assert gate.admit(1, 10)


def test_sockets_per_user_are_counted_and_released() -> None:
    sockets = SocketCounter(max_per_user=2)
    assert [sockets.acquire(1) for _ in range(3)] == [True, True, False]
    assert sockets.acquire(2)
    sockets.release(1)
    assert sockets.acquire(1)
    assert not sockets.acquire(1)
