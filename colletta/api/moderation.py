"""Reports (anyone), the moderation queue and decisions (moderators and the operator), and
complaints against statements of reasons (docs/trust-and-safety.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from colletta.actions import appeals, moderation, reports
from colletta.api import models
from colletta.api import moderation_models as m
from colletta.api.deps import JSON, CallerDep, Ctx, IdPath, client_ip

router = APIRouter(prefix="/api/v1", tags=["moderation"], responses=models.PROBLEM_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/reports", status_code=201, response_model=m.ReportReceipt)
async def file_report(body: m.ReportIn, ctx: Ctx, caller: CallerDep) -> Response:
    """Report a message, user, chat or pot you can see (DSA Art. 16). You get a notice now and
    another once a moderator decides."""
    receipt = await reports.do_report(
        ctx,
        caller,
        subject=body.subject,
        subject_id=int(body.subject_id),
        chat_id=None if body.chat_id is None else int(body.chat_id),
        category=body.category,
        text=body.text,
    )
    return JSON(receipt, status_code=201)


@router.get("/mod/queue", response_model=m.Queue)
async def queue(ctx: Ctx, caller: CallerDep, limit: Limit = 50) -> Response:
    """Open cases, highest priority (orders, hash matches, trusted flaggers, complaints) then
    oldest first."""
    return JSON(await moderation.access_queue(ctx, caller, limit))


@router.get("/mod/cases/{case_id}", response_model=m.CaseDetail)
async def show_case(case_id: IdPath, ctx: Ctx, caller: CallerDep) -> Response:
    return JSON(await moderation.access_case(ctx, caller, case_id))


@router.post("/mod/cases/{case_id}/actions", response_model=m.ActOut)
async def act(case_id: IdPath, body: m.ActIn, ctx: Ctx, caller: CallerDep) -> Response:
    """Decide the case with one action; a restriction sends a statement of reasons. A
    complaint is decided with `uphold` or `reverse`."""
    decision = moderation.ActIn(
        action=body.action,
        reason=body.reason,
        duration_s=body.duration_s,
        refund=body.refund,
        category=body.category,
        ground=body.ground,
        legal_ground=body.legal_ground,
    )
    return JSON(await moderation.do_act(ctx, caller, case_id, decision))


@router.post("/statements/{statement_id}/complaints", status_code=201, response_model=m.Complaint)
async def file_complaint(
    statement_id: IdPath, body: m.ComplaintIn, ctx: Ctx, caller: CallerDep
) -> Response:
    """Complain against one of your statements of reasons (DSA Art. 20), within six months;
    a person reviews it."""
    filed = await appeals.do_file_complaint(ctx, caller.user_id, statement_id, body.text)
    return JSON(filed, status_code=201)


@router.post("/complaints/restricted", status_code=201, response_model=m.Complaint)
async def file_restricted_complaint(
    body: m.RestrictedComplaintIn, request: Request, ctx: Ctx
) -> Response:
    """The same for a suspended or banned account, which cannot log in: its username and
    password instead of a token (the login's refusal names the statement)."""
    filed = await appeals.do_file_restricted_complaint(
        ctx,
        body.username,
        body.password,
        int(body.statement_id),
        body.text,
        client_ip=client_ip(request),
    )
    return JSON(filed, status_code=201)


@router.get("/me/complaints", response_model=m.Complaints)
async def my_complaints(ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"complaints": await appeals.access_my_complaints(ctx, caller)})
