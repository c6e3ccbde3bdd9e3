"""The expiry worker: one timer for the earliest expiry, and a periodic sweep.

Only the next due time is held in memory, so a million pending expiries cost nothing here and
start-up loads none of them. The timer serves what this node schedules (it is woken when
something falls due earlier than it planned); the sweep, every `expiry_sweep_interval_s`,
catches what other nodes scheduled. Nodes never purge the same item twice: each claims its
items under row locks (`actions.expiry.do_expire_due`).
"""

from __future__ import annotations

from colletta.actions.context import Context
from colletta.actions.expiry import do_expire_due, next_due_ms
from colletta.workers.loop import DueLoop


class ExpiryWorker(DueLoop):
    name = "expiry"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx, ctx.expiry_signal, ctx.settings.expiry_sweep_interval_s)

    async def work(self) -> int:
        purged = await do_expire_due(self._ctx)
        if purged:
            self._log.info("expiry: purged %d items", purged)
        return purged

    async def next_due_ms(self) -> int | None:
        return await next_due_ms(self._ctx)
