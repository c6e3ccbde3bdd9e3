"""The caller's inbox of notices and statements of reasons; the audit log for moderators."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from colletta.actions import audit, cases, notices
from colletta.api import models, safety_models
from colletta.api.deps import JSON, CallerDep, Ctx, IdPath, IdQuery

router = APIRouter(prefix="/api/v1", tags=["safety"], responses=models.PROBLEM_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/me/notices", response_model=safety_models.Notices)
async def my_notices(
    ctx: Ctx, caller: CallerDep, after: IdQuery = None, limit: Limit = 50
) -> Response:
    """Notices from the service, oldest first after `after`. New ones also arrive live as
    `notice.created` frames on the WebSocket."""
    rows = await notices.access_notices(ctx, caller, after_id=after, limit=limit)
    return JSON({"notices": rows, "next_after": rows[-1]["id"] if rows else None})


@router.get("/me/statements", response_model=safety_models.Statements)
async def my_statements(
    ctx: Ctx, caller: CallerDep, before: IdQuery = None, limit: Limit = 50
) -> Response:
    """Statements of reasons sent to the caller, newest first."""
    rows = await cases.access_my_statements(ctx, caller, before_id=before, limit=limit)
    full = len(rows) == limit
    return JSON({"statements": rows, "next_before": rows[-1]["id"] if rows and full else None})


@router.get(
    "/statements/{statement_id}",
    response_model=safety_models.Statement | dict[str, object],
)
async def statement(
    statement_id: IdPath,
    ctx: Ctx,
    caller: CallerDep,
    format: Annotated[Literal["colletta", "transparency-db"], Query()] = "colletta",
) -> Response:
    """One statement, for the user it was sent to, moderators and the operator;
    `format=transparency-db` gives it in the DSA Transparency Database's submission schema."""
    return JSON(
        await cases.access_statement(
            ctx, caller, statement_id, transparency_db=format == "transparency-db"
        )
    )


@router.get("/mod/audit", response_model=safety_models.AuditLog)
async def audit_log(
    ctx: Ctx,
    caller: CallerDep,
    subject: Annotated[str | None, Query(max_length=16)] = None,
    subject_id: IdQuery = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Limit = 50,
) -> Response:
    """The audit log, newest first (moderators and the operator)."""
    entries = await audit.access_audit_log(
        ctx,
        caller,
        subject=subject,
        subject_id=None if subject_id is None else str(subject_id),
        before_seq=before,
        limit=limit,
    )
    full = len(entries) == limit
    return JSON({"entries": entries, "next_before": entries[-1]["seq"] if full else None})
