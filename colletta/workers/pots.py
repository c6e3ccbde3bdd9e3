"""The pot worker: deadlines, spending-vote windows, refunds, payouts and the giving back of
a pot's money (`actions.pot_tasks`), safe on many nodes.

Like the expiry worker it holds only the next due time: its timer serves what this node
schedules (`ctx.pot_signal`), and a sweep every `pot_sweep_interval_s` catches what other
nodes scheduled. Tasks are leased (SKIP LOCKED) in a short transaction and run outside it; a
node that dies mid-task leaves the lease (`pot_task_lease_s`) to run out and another node
does the same idempotent step.
"""

from __future__ import annotations

from colletta.actions.context import Context
from colletta.actions.pot_tasks import next_due_ms, run_due_tasks
from colletta.workers.loop import DueLoop


class PotWorker(DueLoop):
    name = "pots"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx, ctx.pot_signal, ctx.settings.pot_sweep_interval_s)

    async def work(self) -> int:
        return await run_due_tasks(self._ctx)

    async def next_due_ms(self) -> int | None:
        return await next_due_ms(self._ctx)
