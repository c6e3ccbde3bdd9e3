"""Pots and contributions."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.responses import Response

from colletta.actions import contributions, pots
from colletta.api import models
from colletta.api import pot_models as m
from colletta.api.deps import JSON, CallerDep, ChatId, Ctx, IdPath, IdQuery

router = APIRouter(prefix="/api/v1", tags=["pots"], responses=models.PROBLEM_RESPONSES)
PotId = IdPath


@router.post("/chats/{chat_id}/pots", status_code=201, response_model=m.Pot)
async def create_pot(chat_id: ChatId, body: m.PotIn, ctx: Ctx, caller: CallerDep) -> Response:
    """Open a pot in a group or channel (admins, or members where the chat allows it). Its
    texts are screened first: a refusal names the reason."""
    view = await pots.do_create_pot(ctx, caller, chat_id, body.model_dump())
    return JSON(view, status_code=201)


@router.get("/chats/{chat_id}/pots", response_model=m.Pots)
async def list_pots(chat_id: ChatId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"pots": await pots.access_chat_pots(ctx, caller, chat_id)})


@router.get("/pots/{pot_id}", response_model=m.Pot)
async def get_pot(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await pots.access_pot_view(ctx, caller, pot_id))


@router.patch("/pots/{pot_id}", response_model=m.Pot)
async def update_pot(pot_id: PotId, body: m.PotPatchIn, ctx: Ctx, caller: CallerDep) -> Response:
    """Edit the texts or items, or add options (the organiser or an admin); screened again."""
    view = await pots.do_update_pot(
        ctx,
        caller,
        pot_id,
        title=body.title,
        description=body.description,
        items=None if body.items is None else [item.model_dump() for item in body.items],
        options=body.options,
    )
    return JSON(view)


@router.post("/pots/{pot_id}/option-votes", response_model=m.Pot)
async def vote_option(pot_id: PotId, body: m.OptionVoteIn, ctx: Ctx, caller: CallerDep) -> Response:
    """One vote per member on what to buy."""
    return JSON(await pots.do_vote_option(ctx, caller, pot_id, int(body.option_id)))


@router.post("/pots/{pot_id}/contributions", status_code=201, response_model=m.Contribution)
async def contribute(
    pot_id: PotId, body: m.ContributionIn, ctx: Ctx, caller: CallerDep
) -> Response:
    """Start a contribution: complete the payment at `checkout_url`. It counts once the
    provider confirms it (`pot.contribution_posted` then reaches the chat)."""
    view = await contributions.do_contribute(
        ctx, caller, pot_id, body.amount_minor, body.currency, body.client_id
    )
    return JSON(view, status_code=201)


@router.get("/pots/{pot_id}/contributions", response_model=m.Contributions)
async def list_contributions(
    pot_id: PotId,
    ctx: Ctx,
    caller: CallerDep,
    after: IdQuery = None,
    limit: int = Query(100, ge=1, le=200),
) -> Response:
    return JSON(await contributions.access_contributions(ctx, caller, pot_id, after, limit))


@router.get("/contributions/{contribution_id}", response_model=m.Contribution)
async def get_contribution(contribution_id: IdPath, ctx: Ctx, caller: CallerDep) -> Response:
    """One of your own contributions."""
    return JSON(await contributions.access_contribution(ctx, caller, contribution_id))
