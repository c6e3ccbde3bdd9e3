"""Chats and members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import WithJsonSchema
from starlette.responses import Response

from colletta.actions import chats, members
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, ChatId, Ctx, UserId, no_content
from colletta.api.models import ID_SCHEMA, MAX_ID

router = APIRouter(prefix="/api/v1", tags=["chats"], responses=models.PROBLEM_RESPONSES)


@router.post("/chats/direct", response_model=models.Chat)
async def direct_chat(body: models.DirectIn, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await chats.do_get_or_create_direct(ctx, caller, int(body.user_id)))


@router.post("/chats", status_code=201, response_model=models.Chat)
async def create_chat(body: models.ChatIn, ctx: Ctx, caller: CallerDep) -> Response:
    view = await chats.do_create_chat(
        ctx, caller, body.kind, body.title, body.description, body.is_public, body.signed_posts
    )
    return JSON(view, status_code=201)


@router.get("/chats", response_model=models.ChatList)
async def list_chats(
    ctx: Ctx,
    caller: CallerDep,
    limit: int = Query(50, ge=1, le=100),
    before: str | None = Query(None, max_length=64),
) -> Response:
    return JSON(await chats.access_chat_list(ctx, caller, limit, before))


@router.get("/chats/public", response_model=models.Chats)
async def public_channels(
    ctx: Ctx,
    caller: CallerDep,
    prefix: str = Query("", max_length=128),
    limit: int = Query(20, ge=1, le=100),
) -> Response:
    return JSON({"chats": await chats.access_public_channels(ctx, caller, prefix, limit)})


@router.get("/chats/{chat_id}", response_model=models.Chat)
async def get_chat(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await chats.access_chat_view(ctx, caller, chat_id))


@router.patch("/chats/{chat_id}", response_model=models.Chat)
async def update_chat(
    chat_id: ChatId, body: models.ChatPatchIn, ctx: Ctx, caller: CallerDep
) -> Response:
    view = await chats.do_update_chat(
        ctx,
        caller,
        chat_id,
        title=body.title,
        description=body.description,
        slow_mode_s=body.slow_mode_s,
        signed_posts=body.signed_posts,
        members_create_pots=body.members_create_pots,
    )
    return JSON(view)


@router.put("/chats/{chat_id}/message-ttl", response_model=models.Chat)
async def set_message_ttl(
    chat_id: ChatId, body: models.MessageTtlIn, ctx: Ctx, caller: CallerDep
) -> Response:
    """The auto-delete timer for messages sent from now on (admins; either side of a direct
    chat). The change is an event in the chat: `chat.message_ttl_changed`."""
    return JSON(await chats.do_set_message_ttl(ctx, caller, chat_id, body.message_ttl_s))


@router.get("/chats/{chat_id}/members", response_model=models.Members)
async def list_members(
    chat_id: ChatId,
    ctx: Ctx,
    caller: CallerDep,
    limit: int = Query(100, ge=1, le=200),
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="The `next` of the previous page."),
        WithJsonSchema(ID_SCHEMA),
    ] = None,
) -> Response:
    return JSON(await members.access_members(ctx, caller, chat_id, after, limit))


@router.post("/chats/{chat_id}/members", status_code=201, response_model=models.Member)
async def add_member(
    chat_id: ChatId, body: models.UserRefIn, ctx: Ctx, caller: CallerDep
) -> Response:
    view = await members.do_add_member(ctx, caller, chat_id, int(body.user_id))
    return JSON(view, status_code=201)


@router.patch("/chats/{chat_id}/members/{user_id}", response_model=models.Member)
async def set_role(
    chat_id: ChatId, user_id: UserId, body: models.RoleIn, ctx: Ctx, caller: CallerDep
) -> Response:
    return JSON(await members.do_set_role(ctx, caller, chat_id, user_id, body.role))


@router.delete("/chats/{chat_id}/members/{user_id}", status_code=204)
async def remove_member(chat_id: ChatId, user_id: UserId, ctx: Ctx, caller: CallerDep) -> Response:
    await members.do_remove_member(ctx, caller, chat_id, user_id)
    return no_content()


@router.get("/chats/{chat_id}/bans", response_model=models.Bans)
async def list_bans(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    """Removed users, who may not rejoin by themselves (admins)."""
    return JSON({"bans": await members.access_bans(ctx, caller, chat_id)})


@router.delete("/chats/{chat_id}/bans/{user_id}", status_code=204)
async def lift_ban(chat_id: ChatId, user_id: UserId, ctx: Ctx, caller: CallerDep) -> Response:
    """Let a removed user rejoin by themselves (admins); adding them back lifts it too."""
    await members.do_lift_ban(ctx, caller, chat_id, user_id)
    return no_content()


@router.post("/chats/{chat_id}/leave", status_code=204)
async def leave(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    await members.do_leave_chat(ctx, caller, chat_id)
    return no_content()


@router.post("/chats/{chat_id}/subscribe", response_model=models.Member)
async def subscribe(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await members.do_subscribe(ctx, caller, chat_id))


@router.post("/chats/{chat_id}/transfer", status_code=204)
async def transfer(
    chat_id: ChatId, body: models.UserRefIn, ctx: Ctx, caller: CallerDep
) -> Response:
    await members.do_transfer_ownership(ctx, caller, chat_id, int(body.user_id))
    return no_content()


@router.post("/chats/{chat_id}/read", status_code=204)
async def mark_read(chat_id: ChatId, body: models.ReadIn, ctx: Ctx, caller: CallerDep) -> Response:
    await members.do_mark_read(ctx, caller, chat_id, body.seq)
    return no_content()


@router.post("/chats/{chat_id}/typing", status_code=204)
async def typing(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    await members.do_typing(ctx, caller, chat_id)
    return no_content()
