"""The difference endpoint, and health."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.responses import Response

from colletta import __version__
from colletta.actions.live import access_sync
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, Ctx
from colletta.api.models import MAX_ID
from colletta.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["sync"], responses=models.PROBLEM_RESPONSES)


def parse_cursor_list(raw: str) -> dict[int, int]:
    """`chat_id:seq,chat_id:seq` → {chat_id: seq}."""
    cursors: dict[int, int] = {}
    for part in filter(None, raw.split(",")):
        chat, sep, seq = part.partition(":")
        # isascii: str.isdigit() also accepts digits like "²" that int() refuses.
        decimal = bool(sep) and (chat + seq).isascii() and chat.isdigit() and seq.isdigit()
        if not decimal or len(chat) > 19 or len(seq) > 19:
            raise InvalidInput("cursors must look like chat_id:seq,chat_id:seq", field="cursors")
        if int(chat) > MAX_ID or int(seq) > MAX_ID:
            raise InvalidInput("a cursor is out of range", field="cursors")
        cursors[int(chat)] = int(seq)
    if len(cursors) > 1000:
        raise InvalidInput("at most 1000 cursors per call", field="cursors")
    return cursors


@router.get("/sync", response_model=models.SyncOut)
async def sync(
    ctx: Ctx,
    caller: CallerDep,
    cursors: str = Query("", max_length=40_000),
    limit: int = Query(500, ge=1, le=1000),
) -> Response:
    return JSON(await access_sync(ctx, caller, parse_cursor_list(cursors), limit))


@router.get("/health", response_model=models.Health, tags=["health"])
async def health() -> Response:
    return JSON({"status": "ok", "version": __version__})
