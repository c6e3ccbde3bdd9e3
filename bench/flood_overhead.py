"""Micro-benchmark: CPU the per-user send limit adds to each message.

    python bench/flood_overhead.py

Times `TokenBuckets.hit` with the real clock, as `do_send_message` calls it: for one busy
sender, for 10,000 senders in turn, and switched off (`rate_limits_enabled = false`, as the
W1–W3 runs use). A send costs ~250 µs of CPU (W1), so anything under 1 µs is noise there.
"""

from __future__ import annotations

import timeit

from colletta.actions.flood import TokenBuckets
from colletta.clock import SystemClock

CALLS = 1_000_000


def per_call_ns(buckets: TokenBuckets, users: int) -> float:
    ids = list(range(1, users + 1)) * (CALLS // users)
    hit = buckets.hit

    def run() -> None:
        for user_id in ids:
            hit(user_id, "messages")

    best = min(timeit.repeat(run, number=1, repeat=5))
    return best / len(ids) * 1e9


def main() -> None:
    clock = SystemClock()
    # A budget no run exhausts: measure the bookkeeping, not the refusals.
    loop = per_call_ns(TokenBuckets(clock, 1e12, 1, enabled=False), 1)
    print(f"loop + call, limit off:        {loop:6.0f} ns per message")
    for users in (1, 10_000):
        on = per_call_ns(TokenBuckets(clock, 1e12, 1_000_000, enabled=True), users)
        print(f"limit on, {users:>6} sender(s):   {on:6.0f} ns per message ({on - loop:+.0f} ns)")


if __name__ == "__main__":
    main()
