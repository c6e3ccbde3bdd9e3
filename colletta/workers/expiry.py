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
from colletta.log import get_logger
from colletta.workers.loop import Loop

log = get_logger(__name__)


class ExpiryWorker(Loop):
    name = "expiry"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self._ctx = ctx

    async def _run(self) -> None:
        ctx, signal = self._ctx, self._ctx.expiry_signal
        interval_s = ctx.settings.expiry_sweep_interval_s
        while True:
            # Cleared before reading the next due time: a schedule committed in between
            # sets it again instead of being missed.
            signal.wake.clear()
            wait_s = interval_s
            try:
                purged = await do_expire_due(ctx)
                if purged:
                    log.info("expiry: purged %d items", purged)
                due_ms = await next_due_ms(ctx)
            except Exception:
                log.exception("expiry: sweep failed; retrying")
                due_ms = None
            signal.waiting_for_ms = due_ms
            if due_ms is not None:
                wait_s = min(wait_s, max(0.0, (due_ms - ctx.clock.now_ms()) / 1000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wake.wait(), wait_s)
