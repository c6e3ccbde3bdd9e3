"""Keeps this node's hash-bank index current (actions.hash_matcher) while no upload asks:
a bank loaded on another node is indexed here before the first image that needs it, and a
large import is rebuilt in the background rather than under an upload."""

from __future__ import annotations

import asyncio

from colletta.actions.context import Context
from colletta.actions.hash_matcher import REFRESH_MS
from colletta.errors import Outage
from colletta.log import get_logger
from colletta.workers.loop import Loop

log = get_logger(__name__)


class MatcherRefresher(Loop):
    name = "hash-matcher"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self._ctx = ctx
        self._failing = False

    async def refresh(self) -> None:
        ctx = self._ctx
        await ctx.matcher.refresh(ctx.db, ctx.clock.now_ms())

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Outage as exc:  # one line, no traceback: the server's trouble, not a bug
                if not self._failing:
                    log.warning("hash banks: refreshing the index failed, %s; retrying", exc.detail)
                self._failing = True
            except Exception:
                if not self._failing:
                    log.exception("hash banks: refreshing the index failed; retrying")
                self._failing = True
            else:
                if self._failing:
                    log.warning("hash banks: the index is refreshed again")
                self._failing = False
            await asyncio.sleep(REFRESH_MS / 1000)
