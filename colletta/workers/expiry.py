"""The expiry worker: one timer for the earliest expiry, and a periodic sweep.

Only the next due time is held in memory, so a million pending expiries cost nothing here and
start-up loads none of them. The timer serves what this node schedules (it is woken when
something falls due earlier than it planned); the sweep, every `expiry_sweep_interval_s`,
catches what other nodes scheduled. Nodes never purge the same item twice: each claims its
items under row locks (`actions.expiry.do_expire_due`).
"""

from __future__ import annotations

import asyncio
import contextlib

from colletta.actions.context import Context
from colletta.actions.expiry import do_expire_due, next_due_ms
from colletta.clock import Backoff
from colletta.errors import Outage
from colletta.log import get_logger
from colletta.workers.loop import Loop

log = get_logger(__name__)


class ExpiryWorker(Loop):
    name = "expiry"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self._ctx = ctx
        self._backoff = Backoff(ctx.settings.outage_backoff_max_s)
        self._failing_since_ms: int | None = None  # set while sweeps fail
        self._failed_sweeps = 0

    async def _run(self) -> None:
        signal = self._ctx.expiry_signal
        while True:
            wait_s = await self.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wake.wait(), wait_s)

    async def sweep(self) -> float:
        """Purge what is due; how long to wait (at most) before the next sweep."""
        ctx, signal = self._ctx, self._ctx.expiry_signal
        # Cleared before reading the next due time: a schedule committed in between
        # sets it again instead of being missed.
        signal.wake.clear()
        try:
            purged = await do_expire_due(ctx)
            if purged:
                log.info("expiry: purged %d items", purged)
            due_ms = await next_due_ms(ctx)
        except Exception as exc:
            signal.waiting_for_ms = None
            return self._failed(exc)
        self._succeeded()
        signal.waiting_for_ms = due_ms
        wait_s = ctx.settings.expiry_sweep_interval_s
        if due_ms is not None:
            wait_s = min(wait_s, max(0.0, (due_ms - ctx.clock.now_ms()) / 1000))
        return wait_s

    def _failed(self, exc: Exception) -> float:
        """One line for a run of failed sweeps, not one per sweep; the waits grow."""
        self._failed_sweeps += 1
        if self._failing_since_ms is None:
            self._failing_since_ms = self._ctx.clock.now_ms()
            if isinstance(exc, Outage):
                log.warning("expiry: sweep failed, %s; retrying with backoff", exc.detail)
            else:
                log.exception("expiry: sweep failed; retrying with backoff")
        return max(self._backoff.next_s(), self._ctx.settings.expiry_sweep_interval_s)

    def _succeeded(self) -> None:
        if self._failing_since_ms is None:
            return
        log.warning(
            "expiry: sweeping again after %d failed sweeps over %.1f s",
            self._failed_sweeps,
            (self._ctx.clock.now_ms() - self._failing_since_ms) / 1000,
        )
        self._failing_since_ms = None
        self._failed_sweeps = 0
        self._backoff.reset()
