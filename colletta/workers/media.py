"""The sweep of temporary upload files: a process killed mid-upload leaves its spool file in
the media store's `tmp/`, which no row points to. Swept at start-up and every
`media_tmp_sweep_interval_s`; only files older than `media_tmp_grace_s` go, so uploads in
progress (on this node or another sharing the directory) are left alone.
"""

from __future__ import annotations

import asyncio

from colletta.actions.context import Context
from colletta.log import get_logger
from colletta.workers.loop import Loop

log = get_logger(__name__)


class TmpSweeper(Loop):
    name = "media-tmp-sweep"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self._ctx = ctx
        # Set after every periodic sweep; tests wait on it.
        self.swept = asyncio.Event()

    async def sweep(self) -> int:
        """One sweep; returns how many leftovers were shredded."""
        swept = await self._ctx.media.sweep_tmp(self._ctx.settings.media_tmp_grace_s)
        if swept:
            log.info("media: shredded %d temporary files left by an interrupted upload", swept)
        return swept

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._ctx.settings.media_tmp_sweep_interval_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("media: temporary file sweep failed; retrying")
            self.swept.set()
