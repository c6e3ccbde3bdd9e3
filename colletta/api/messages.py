"""Messages: send, history, edit, delete, reactions, pins."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from colletta.actions import messages
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.api import models
from colletta.api.deps import (
    JSON,
    CallerDep,
    ChatId,
    Ctx,
    IdQuery,
    IncludeBlocked,
    MessageId,
    no_content,
)
from colletta.api.models import MAX_ID

router = APIRouter(
    prefix="/api/v1/chats/{chat_id}", tags=["messages"], responses=models.PROBLEM_RESPONSES
)
Emoji = Path(min_length=1, max_length=16)


@router.post(
    "/messages",
    status_code=201,
    response_model=models.Message,
    responses={200: {"model": models.Message, "description": "A retry of an earlier send"}},
)
async def send_message(
    chat_id: ChatId, body: models.MessageIn, ctx: Ctx, caller: CallerDep
) -> Response:
    # Well-formed sends are answered by `fastpath.SendFastPath` before they get here.
    sent = await send_from_input(ctx, caller, chat_id, body)
    return JSON(sent.message, status_code=201 if sent.created else 200)


async def send_from_input(
    ctx: Context, caller: Caller, chat_id: int, body: models.MessageIn
) -> messages.Sent:
    """Send what a client posted; shared by this route and the fast path."""
    forward = None
    if body.forward is not None:
        forward = {"chat_id": int(body.forward.chat_id), "message_id": int(body.forward.message_id)}
    return await messages.do_send_message(
        ctx,
        caller,
        chat_id,
        body.text,
        body.client_txn_id,
        reply_to_id=int(body.reply_to_id) if body.reply_to_id else None,
        forward=forward,
        attachments=[int(a) for a in body.attachments] if body.attachments else None,
        self_destruct_s=body.self_destruct_s,
        view_once=body.view_once,
    )


@router.get("/messages", response_model=models.History)
async def history(
    chat_id: ChatId,
    ctx: Ctx,
    caller: CallerDep,
    limit: int = Query(50, ge=1, le=100),
    before_seq: int | None = Query(None, ge=0, le=MAX_ID),
    after_seq: int | None = Query(None, ge=0, le=MAX_ID),
    around_id: IdQuery = None,
    include_blocked: bool = IncludeBlocked,
) -> Response:
    page = await messages.access_history(
        ctx,
        caller,
        chat_id,
        limit=limit,
        before_seq=before_seq,
        after_seq=after_seq,
        around_id=around_id,
        include_blocked=include_blocked,
    )
    return JSON(page)


@router.get("/messages/{message_id}", response_model=models.Message)
async def get_message(
    chat_id: ChatId,
    message_id: MessageId,
    ctx: Ctx,
    caller: CallerDep,
    include_blocked: bool = IncludeBlocked,
) -> Response:
    message = await messages.access_message(
        ctx, caller, chat_id, message_id, include_blocked=include_blocked
    )
    return JSON(message)


@router.patch("/messages/{message_id}", response_model=models.Message)
async def edit_message(
    chat_id: ChatId, message_id: MessageId, body: models.EditIn, ctx: Ctx, caller: CallerDep
) -> Response:
    return JSON(await messages.do_edit_message(ctx, caller, chat_id, message_id, body.text))


@router.delete("/messages/{message_id}", status_code=204)
async def delete_message(
    chat_id: ChatId, message_id: MessageId, ctx: Ctx, caller: CallerDep
) -> Response:
    await messages.do_delete_message(ctx, caller, chat_id, message_id)
    return no_content()


@router.get("/messages/{message_id}/edits", response_model=models.Edits)
async def edit_history(
    chat_id: ChatId, message_id: MessageId, ctx: Ctx, caller: CallerDep
) -> Response:
    return JSON({"edits": await messages.access_edit_history(ctx, caller, chat_id, message_id)})


@router.put("/messages/{message_id}/reactions/{emoji}", status_code=204)
async def react(
    chat_id: ChatId, message_id: MessageId, ctx: Ctx, caller: CallerDep, emoji: str = Emoji
) -> Response:
    await messages.do_set_reaction(ctx, caller, chat_id, message_id, emoji, on=True)
    return no_content()


@router.delete("/messages/{message_id}/reactions/{emoji}", status_code=204)
async def unreact(
    chat_id: ChatId, message_id: MessageId, ctx: Ctx, caller: CallerDep, emoji: str = Emoji
) -> Response:
    await messages.do_set_reaction(ctx, caller, chat_id, message_id, emoji, on=False)
    return no_content()


@router.get("/pins", response_model=models.Pins)
async def pins(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"messages": await messages.access_pins(ctx, caller, chat_id)})


@router.put("/pins/{message_id}", status_code=204)
async def pin(chat_id: ChatId, message_id: MessageId, ctx: Ctx, caller: CallerDep) -> Response:
    await messages.do_set_pin(ctx, caller, chat_id, message_id, on=True)
    return no_content()


@router.delete("/pins/{message_id}", status_code=204)
async def unpin(chat_id: ChatId, message_id: MessageId, ctx: Ctx, caller: CallerDep) -> Response:
    await messages.do_set_pin(ctx, caller, chat_id, message_id, on=False)
    return no_content()
