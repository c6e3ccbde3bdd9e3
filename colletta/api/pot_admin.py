"""A pot after it opens: the operator's freeze, unfreeze and refund-all; the organiser's
close and finish; the ledger every member reads, as JSON pages or one CSV file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response, StreamingResponse

from colletta.actions import pot_admin
from colletta.api import models
from colletta.api.deps import JSON, CallerDep, Ctx, IdPath

router = APIRouter(prefix="/api/v1/pots", tags=["pots"], responses=models.PROBLEM_RESPONSES)
PotId = IdPath
After = Annotated[str | None, Query(max_length=160, description="`next_after` of a page.")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/{pot_id}/freeze", response_model=models.PotState)
async def freeze(pot_id: PotId, body: models.FreezeIn, ctx: Ctx, caller: CallerDep) -> Response:
    """The operator stops the pot: no contributions, no payouts, until unfrozen or refunded."""
    return JSON(await pot_admin.do_freeze_pot(ctx, caller, pot_id, body.reason))


@router.post("/{pot_id}/unfreeze", response_model=models.PotState)
async def unfreeze(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await pot_admin.do_unfreeze_pot(ctx, caller, pot_id))


@router.post("/{pot_id}/refund-all", response_model=models.PotState)
async def refund_all(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    """Every contribution goes back (the operator; or the organiser or an admin of the chat
    while the pot is not frozen)."""
    return JSON(await pot_admin.do_refund_all(ctx, caller, pot_id))


@router.post("/{pot_id}/close", response_model=models.PotState)
async def close(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    """Stop collecting before the deadline (all-or-nothing: once the goal is met)."""
    return JSON(await pot_admin.do_close_pot(ctx, caller, pot_id))


@router.post("/{pot_id}/finish", response_model=models.PotState)
async def finish(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    """Done spending a closed pot: what is left goes back to the contributors pro rata."""
    return JSON(await pot_admin.do_finish_pot(ctx, caller, pot_id))


@router.get("/{pot_id}/ledger", response_model=models.Ledger)
async def ledger(
    pot_id: PotId, ctx: Ctx, caller: CallerDep, after: After = None, limit: Limit = 100
) -> Response:
    return JSON(await pot_admin.access_pot_ledger(ctx, caller, pot_id, after, limit))


@router.get(
    "/{pot_id}/ledger.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def ledger_csv(pot_id: PotId, ctx: Ctx, caller: CallerDep) -> Response:
    filename, pages = await pot_admin.access_pot_ledger_csv(ctx, caller, pot_id)
    return StreamingResponse(
        pages,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
