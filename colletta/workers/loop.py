"""What every background loop shares: one task, started in the lifespan, cancelled at stop;
and, for the loops that run what falls due, one timer for the earliest due time, woken by a
signal, with a periodic sweep and a backoff while sweeps fail."""

from __future__ import annotations

import asyncio
import contextlib

from colletta.actions.context import Context, ExpirySignal
from colletta.clock import Backoff
from colletta.errors import Outage
from colletta.log import get_logger


class Loop:
    """A worker whose `_run` loops until cancelled."""

    name = "worker"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        raise NotImplementedError


class DueLoop(Loop):
    """Runs what is due, then waits for the earliest due time, a wake from `signal` (this
    node scheduled something sooner), or `interval_s` (other nodes' work), whichever first.

    Only the next due time is held in memory. Subclasses give `work` (run what is due; how
    many items) and `next_due_ms`; a failed sweep is logged once per run of failures, and
    the waits grow."""

    def __init__(self, ctx: Context, signal: ExpirySignal, interval_s: float) -> None:
        super().__init__()
        self._ctx = ctx
        self._signal = signal
        self._interval_s = interval_s
        self._log = get_logger(f"colletta.workers.{self.name}")
        self._backoff = Backoff(ctx.settings.outage_backoff_max_s)
        self._failing_since_ms: int | None = None  # set while sweeps fail
        self._failed_sweeps = 0

    async def work(self) -> int:
        raise NotImplementedError

    async def next_due_ms(self) -> int | None:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            wait_s = await self.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wake.wait(), wait_s)

    async def sweep(self) -> float:
        """Run what is due; how long to wait (at most) before the next sweep."""
        signal = self._signal
        # Cleared before reading the next due time: a schedule committed in between
        # sets it again instead of being missed.
        signal.wake.clear()
        try:
            await self.work()
            due_ms = await self.next_due_ms()
        except Exception as exc:
            signal.waiting_for_ms = None
            return self._failed(exc)
        self._succeeded()
        signal.waiting_for_ms = due_ms
        wait_s = self._interval_s
        if due_ms is not None:
            wait_s = min(wait_s, max(0.0, (due_ms - self._ctx.clock.now_ms()) / 1000))
        return wait_s

    def _failed(self, exc: Exception) -> float:
        """One line for a run of failed sweeps, not one per sweep; the waits grow."""
        self._failed_sweeps += 1
        if self._failing_since_ms is None:
            self._failing_since_ms = self._ctx.clock.now_ms()
            if isinstance(exc, Outage):
                self._log.warning(
                    "%s: sweep failed, %s; retrying with backoff", self.name, exc.detail
                )
            else:
                self._log.exception("%s: sweep failed; retrying with backoff", self.name)
        return max(self._backoff.next_s(), self._interval_s)

    def _succeeded(self) -> None:
        if self._failing_since_ms is None:
            return
        self._log.warning(
            "%s: sweeping again after %d failed sweeps over %.1f s",
            self.name,
            self._failed_sweeps,
            (self._ctx.clock.now_ms() - self._failing_since_ms) / 1000,
        )
        self._failing_since_ms = None
        self._failed_sweeps = 0
        self._backoff.reset()
