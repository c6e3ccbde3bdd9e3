"""Invite links and join requests."""

from __future__ import annotations

from fastapi import APIRouter, Path
from starlette.responses import Response

from colletta.actions import invites
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, ChatId, Ctx, UserId, no_content

router = APIRouter(prefix="/api/v1", tags=["invites"], responses=models.PROBLEM_RESPONSES)
# Codes are made by `ids.new_invite_code` (URL-safe base64); nothing else can name one.
Code = Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


@router.post("/chats/{chat_id}/invites", status_code=201, response_model=models.Invite)
async def create_invite(
    chat_id: ChatId, body: models.InviteIn, ctx: Ctx, caller: CallerDep
) -> Response:
    view = await invites.do_create_invite(
        ctx, caller, chat_id, body.expires_in_s, body.max_uses, body.requires_approval
    )
    return JSON(view, status_code=201)


@router.get("/chats/{chat_id}/invites", response_model=models.Invites)
async def list_invites(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"invites": await invites.access_invites(ctx, caller, chat_id)})


@router.delete("/chats/{chat_id}/invites/{code}", status_code=204)
async def revoke_invite(chat_id: ChatId, ctx: Ctx, caller: CallerDep, code: str = Code) -> Response:
    await invites.do_revoke_invite(ctx, caller, chat_id, code)
    return no_content()


@router.get("/invites/{code}", response_model=models.InviteInfo)
async def invite_info(ctx: Ctx, caller: CallerDep, code: str = Code) -> Response:
    return JSON(await invites.access_invite_info(ctx, caller, code))


@router.post("/invites/{code}/join", response_model=models.JoinOut)
async def join(ctx: Ctx, caller: CallerDep, code: str = Code) -> Response:
    return JSON(await invites.do_join_by_invite(ctx, caller, code))


@router.get("/chats/{chat_id}/join-requests", response_model=models.JoinRequests)
async def join_requests(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"requests": await invites.access_join_requests(ctx, caller, chat_id)})


@router.post("/chats/{chat_id}/join-requests/{user_id}/approve", status_code=204)
async def approve(chat_id: ChatId, user_id: UserId, ctx: Ctx, caller: CallerDep) -> Response:
    await invites.do_decide_join_request(ctx, caller, chat_id, user_id, approve=True)
    return no_content()


@router.post("/chats/{chat_id}/join-requests/{user_id}/decline", status_code=204)
async def decline(chat_id: ChatId, user_id: UserId, ctx: Ctx, caller: CallerDep) -> Response:
    await invites.do_decide_join_request(ctx, caller, chat_id, user_id, approve=False)
    return no_content()
