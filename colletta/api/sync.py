"""The difference endpoint, and health."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.responses import Response

from colletta import __version__
from colletta.actions.live import SYNC_CURSORS_MAX, access_sync, parse_cursors
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, Ctx, IncludeBlocked
from colletta.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["sync"], responses=models.PROBLEM_RESPONSES)


def parse_cursor_list(raw: str) -> dict[int, int]:
    """`chat_id:seq,chat_id:seq` → {chat_id: seq}, by the WebSocket's rules (`parse_cursors`)."""
    pairs: dict[str, object] = {}
    for part in filter(None, raw.split(",")):
        chat, sep, seq = part.partition(":")
        if not sep:
            raise InvalidInput("cursors must look like chat_id:seq,chat_id:seq", field="cursors")
        # A query has only text: a seq written in decimal is the integer, anything else is
        # left as text for parse_cursors to refuse.
        decimal = seq.isascii() and seq.isdigit() and len(seq) < 20
        pairs[chat] = int(seq) if decimal else seq
    return parse_cursors(pairs, SYNC_CURSORS_MAX)


@router.get("/sync", response_model=models.SyncOut)
async def sync(
    ctx: Ctx,
    caller: CallerDep,
    cursors: str = Query("", max_length=40_000),
    limit: int = Query(500, ge=1, le=1000),
    include_blocked: bool = IncludeBlocked,
) -> Response:
    difference = await access_sync(
        ctx, caller, parse_cursor_list(cursors), limit, include_blocked=include_blocked
    )
    return JSON(difference)


@router.get("/health", response_model=models.Health, tags=["health"])
async def health() -> Response:
    return JSON({"status": "ok", "version": __version__})
