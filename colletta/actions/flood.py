"""Per-user flood limits, kept in this process: sends, reactions, typing and open WebSockets.

Sending is the hottest path (~250 µs of CPU per message), so these never touch the network:
with many nodes each node keeps its own budgets (docs/operations.md). Login and registration
limits, which must hold across nodes, are `context.RateLimiter`'s.
"""

from __future__ import annotations

from collections.abc import Hashable

from colletta.clock import Clock
from colletta.config import Settings
from colletta.errors import RateLimited


class TokenBuckets:
    """A token bucket per key as one number (GCRA): the time its bucket will be full again.

    O(1) per hit and one dict entry per recently active key; entries of full buckets are
    dropped as the dict grows.
    """

    __slots__ = ("_clock", "_enabled", "_full_at_ms", "_interval_ms", "_prune_at", "_slack_ms")

    def __init__(self, clock: Clock, rate_per_s: float, burst: int, *, enabled: bool) -> None:
        self._clock = clock
        self._enabled = enabled
        self._interval_ms = 1000.0 / rate_per_s
        self._slack_ms = self._interval_ms * (burst - 1)
        self._full_at_ms: dict[Hashable, float] = {}
        self._prune_at = 1024

    def hit(self, key: Hashable, what: str) -> None:
        """Take one token, or raise RateLimited saying when the next one is there."""
        if not self._enabled:
            return
        wait_ms = self._take(key)
        if wait_ms > 0:
            raise RateLimited(f"too many {what}; slow down", retry_after_s=-int(-wait_ms // 1000))

    def _take(self, key: Hashable) -> float:
        """Take one token if there is one (0), else how long until there is (ms)."""
        now_ms = self._clock.now_ms()
        full_at_ms = self._full_at_ms.get(key, now_ms)
        if full_at_ms < now_ms or full_at_ms > now_ms + self._slack_ms + self._interval_ms:
            full_at_ms = now_ms  # refilled, or the wall clock stepped back
        wait_ms = full_at_ms - self._slack_ms - now_ms
        if wait_ms > 0:
            return wait_ms
        self._full_at_ms[key] = full_at_ms + self._interval_ms
        if len(self._full_at_ms) > self._prune_at:
            self._prune(now_ms)
        return 0

    def _prune(self, now_ms: int) -> None:
        full = [key for key, at_ms in self._full_at_ms.items() if at_ms <= now_ms]
        for key in full:
            del self._full_at_ms[key]
        self._prune_at = max(1024, 2 * len(self._full_at_ms))


class TypingGate(TokenBuckets):
    """At most one typing event per (user, chat) per interval: a bucket of one token; repeats
    are dropped. Always on, as it is what keeps one member's typing from flooding the others."""

    __slots__ = ()

    def __init__(self, clock: Clock, interval_s: float) -> None:
        super().__init__(clock, 1 / interval_s, 1, enabled=True)
        self._interval_ms = interval_s * 1000  # exact, not 1000 / (1 / interval_s)

    def admit(self, user_id: int, chat_id: int) -> bool:
        """True if this typing event is to be passed on (and counts as the latest)."""
        return self._take((user_id, chat_id)) <= 0

    def forget(self, user_id: int, chat_id: int) -> None:
        """The admitted event was refused after all: the next one is not a repeat."""
        self._full_at_ms.pop((user_id, chat_id), None)


class SocketCounter:
    """Open WebSockets per user on this process."""

    def __init__(self, max_per_user: int) -> None:
        self._max = max_per_user
        self._open: dict[int, int] = {}

    def acquire(self, user_id: int) -> bool:
        count = self._open.get(user_id, 0)
        if count >= self._max:
            return False
        self._open[user_id] = count + 1
        return True

    def release(self, user_id: int) -> None:
        count = self._open.pop(user_id, 0) - 1
        if count > 0:
            self._open[user_id] = count


class Flood:
    """Every per-user flood limit of this process."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        enabled = settings.rate_limits_enabled
        self.sends = TokenBuckets(
            clock, settings.send_rate_per_s, settings.send_burst, enabled=enabled
        )
        self.reactions = TokenBuckets(
            clock, settings.reaction_rate_per_s, settings.reaction_burst, enabled=enabled
        )
        self.typing = TypingGate(clock, settings.typing_interval_s)
        self.sockets = SocketCounter(settings.ws_max_per_user)
