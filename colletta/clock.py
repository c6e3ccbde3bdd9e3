"""Time as a dependency, so timers are tested by moving a fake clock, not by sleeping."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Wall-clock milliseconds since the Unix epoch."""
        ...

    async def sleep(self, delay_s: float) -> None:
        """Wait `delay_s` seconds of this clock's time."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep(self, delay_s: float) -> None:
        await asyncio.sleep(delay_s)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start_ms: int = 1_800_000_000_000) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, delta_ms: int) -> None:
        self._now_ms += delta_ms

    async def sleep(self, delay_s: float) -> None:
        """Moves this clock by `delay_s` at once: a test sees the wait without waiting."""
        self._now_ms += round(delay_s * 1000)
        await asyncio.sleep(0)


class Backoff:
    """Waits between attempts at something that is down: doubling from `first_s` up to
    `max_s`, back to `first_s` after a success."""

    def __init__(self, max_s: float, first_s: float = 0.5) -> None:
        self.first_s = min(first_s, max_s)
        self.max_s = max_s
        self._next_s = self.first_s

    def next_s(self) -> float:
        wait_s = self._next_s
        self._next_s = min(self._next_s * 2, self.max_s)
        return wait_s

    def reset(self) -> None:
        self._next_s = self.first_s
