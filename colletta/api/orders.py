"""Removal orders, preserved items and the transparency report: the operator's routes
(moderators may read orders; everyone else gets 404)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from colletta.actions import orders, preservation
from colletta.actions import transparency as transparency_actions
from colletta.api import models, order_models
from colletta.api.deps import JSON, CallerDep, Ctx, IdPath, IdQuery

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=models.PROBLEM_RESPONSES)


@router.post("/orders", response_model=order_models.Order, status_code=201)
async def register_order(body: order_models.OrderIn, ctx: Ctx, caller: CallerDep) -> Response:
    """Register a removal order and execute it: every item is gone for everyone before the
    answer, and preserved. The answer carries the confirmation record."""
    order = await orders.do_register_order(
        ctx,
        caller,
        authority=body.authority,
        reference=body.reference,
        reasons=body.reasons,
        items=body.items,
        received_at_ms=body.received_at_ms,
        notify=body.notify,
        secret_for_s=body.secret_for_s,
    )
    return JSON(order.view(), status_code=201)


@router.post("/orders/{order_id}/secrecy", response_model=order_models.Order)
async def extend_secrecy(
    order_id: IdPath, body: order_models.SecrecyIn, ctx: Ctx, caller: CallerDep
) -> Response:
    """The authority renewed its decision not to tell the uploaders (TCO Art. 11(3)): they
    are told at `until_ms` instead (operator)."""
    return JSON((await orders.do_extend_secrecy(ctx, caller, order_id, body.until_ms)).view())


@router.get("/orders", response_model=order_models.Orders)
async def list_orders(ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"orders": await orders.access_orders(ctx, caller)})


@router.get("/orders/{order_id}", response_model=order_models.Order)
async def get_order(order_id: IdPath, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON((await orders.access_order(ctx, caller, order_id)).view())


@router.get("/orders/{order_id}/confirmation", response_model=order_models.Confirmation)
async def get_confirmation(order_id: IdPath, ctx: Ctx, caller: CallerDep) -> Response:
    """The record for the authority (Art. 3(6)): what was removed, when, and how fast."""
    return JSON((await orders.access_order(ctx, caller, order_id)).confirmation())


@router.get("/preserved", response_model=order_models.PreservedList)
async def list_preserved(ctx: Ctx, caller: CallerDep, order_id: IdQuery = None) -> Response:
    """What is preserved, and until when (metadata only: the content is never served)."""
    return JSON({"items": await preservation.access_preserved(ctx, caller, order_id=order_id)})


@router.post("/preserved/{preserved_id}/extend", response_model=order_models.PreservedItem)
async def extend_preserved(
    preserved_id: IdPath, body: order_models.ExtendIn, ctx: Ctx, caller: CallerDep
) -> Response:
    """Keep it longer, when an authority asks (Art. 6(2))."""
    item = await preservation.do_extend_preservation(ctx, caller, preserved_id, body.until_ms)
    return JSON(item.view())


@router.get(
    "/transparency",
    response_model=order_models.TransparencyReport,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def transparency(
    ctx: Ctx,
    caller: CallerDep,
    from_ms: Annotated[int, Query(ge=0, le=2**53 - 1, description="Start (ms, inclusive).")],
    to_ms: Annotated[int, Query(ge=0, le=2**53 - 1, description="End (ms, exclusive).")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The transparency report of a period (operator): notices by category, actions, median
    handling times, removal orders and their execution times, automated detections."""
    data = await transparency_actions.access_transparency_report(ctx, caller, from_ms, to_ms)
    if format == "csv":
        return Response(
            transparency_actions.report_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="transparency.csv"'},
        )
    return JSON(data)
