"""Removal orders and preserved items: the operator's routes (everyone else gets 404)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from colletta.actions import orders, preservation
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
    )
    return JSON(order.view(), status_code=201)


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
