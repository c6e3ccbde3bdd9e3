"""Spending proposals: propose, list, read, vote; and where one's money went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import WithJsonSchema
from starlette.responses import Response, StreamingResponse

from colletta.actions import proposals, shares
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.api import models
from colletta.api import proposal_models as m
from colletta.api.deps import JSON, CallerDep, Ctx, IdPath
from colletta.api.media import serve_media_file
from colletta.api.models import ID_SCHEMA, MAX_ID

router = APIRouter(prefix="/api/v1", tags=["proposals"], responses=models.PROBLEM_RESPONSES)
PotId = IdPath
ProposalId = IdPath


@router.post(
    "/pots/{pot_id}/proposals",
    status_code=201,
    response_model=m.Proposal,
    responses={200: {"model": m.Proposal, "description": "A retry of an earlier proposal"}},
)
async def create_proposal(
    pot_id: PotId, body: m.ProposalIn, ctx: Ctx, caller: CallerDep
) -> Response:
    view, created = await proposals.do_create_proposal(
        ctx,
        caller,
        pot_id,
        body.client_id,
        body.title,
        body.amount_minor,
        body.payee,
        None if body.receipt_media_id is None else int(body.receipt_media_id),
    )
    return JSON(view, status_code=201 if created else 200)


@router.get("/pots/{pot_id}/proposals", response_model=m.Proposals)
async def list_proposals(
    pot_id: PotId,
    ctx: Ctx,
    caller: CallerDep,
    limit: int = Query(100, ge=1, le=200),
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="The `next_after` of the previous page."),
        WithJsonSchema(ID_SCHEMA),
    ] = None,
) -> Response:
    return JSON(await proposals.access_proposals(ctx, caller, pot_id, after, limit))


@router.get("/proposals/{proposal_id}", response_model=m.Proposal)
async def get_proposal(proposal_id: ProposalId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await proposals.access_proposal(ctx, caller, proposal_id))


@router.get(
    "/proposals/{proposal_id}/receipt",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def receipt(
    proposal_id: ProposalId, request: Request, ctx: Ctx, caller: CallerDep
) -> Response:
    """The proposal's receipt, for everyone who reads the proposal (`Range` supported)."""
    return await _receipt(proposal_id, request, ctx, caller, thumbnail=False)


@router.get(
    "/proposals/{proposal_id}/receipt/thumbnail",
    response_class=StreamingResponse,
    responses={200: {"content": {"image/webp": {}}}},
)
async def receipt_thumbnail(
    proposal_id: ProposalId, request: Request, ctx: Ctx, caller: CallerDep
) -> Response:
    return await _receipt(proposal_id, request, ctx, caller, thumbnail=True)


async def _receipt(
    proposal_id: int, request: Request, ctx: Context, caller: Caller, *, thumbnail: bool
) -> Response:
    file = await proposals.access_receipt_file(ctx, caller, proposal_id, thumbnail=thumbnail)
    return await serve_media_file(ctx, caller, request, file)


@router.post("/proposals/{proposal_id}/votes", status_code=201, response_model=m.Proposal)
async def vote_proposal(
    proposal_id: ProposalId, body: m.ProposalVoteIn, ctx: Ctx, caller: CallerDep
) -> Response:
    view = await proposals.do_vote_proposal(ctx, caller, proposal_id, body.approve)
    return JSON(view, status_code=201)


@router.get("/pots/{pot_id}/my-share", response_model=m.MyShare)
async def my_share(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await shares.access_my_share(ctx, caller, pot_id))
