"""What every background loop shares: one task, started in the lifespan, cancelled at stop."""

from __future__ import annotations

import asyncio
import contextlib


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
