"""Blocking users (docs/trust-and-safety.md, "Blocking"): private to the blocker."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from colletta.actions import blocks
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, Ctx, UserId, no_content

router = APIRouter(
    prefix="/api/v1/me/blocks", tags=["blocking"], responses=models.PROBLEM_RESPONSES
)


@router.get("", response_model=models.Blocks)
async def list_blocks(ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"blocks": await blocks.access_blocks(ctx, caller)})


@router.post("/{user_id}", response_model=models.Block)
async def block(user_id: UserId, ctx: Ctx, caller: CallerDep) -> Response:
    """Block a user: they cannot message you or add you to chats, and their messages in
    shared groups and channels reach you as placeholders. They are not told."""
    return JSON(await blocks.do_block_user(ctx, caller, user_id))


@router.delete("/{user_id}", status_code=204)
async def unblock(user_id: UserId, ctx: Ctx, caller: CallerDep) -> Response:
    await blocks.do_unblock_user(ctx, caller, user_id)
    return no_content()
