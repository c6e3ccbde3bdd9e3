"""Request bodies and response shapes of reports, the moderation queue and complaints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from colletta.api.models import Body, IdOut, IdStr
from colletta.api.safety_models import Statement
from colletta.domain.moderation import (
    APPEAL_TEXT_MAX_CHARS,
    LEGAL_GROUND_MAX_CHARS,
    REASON_MAX_CHARS,
    REPORT_TEXT_MAX_CHARS,
)
from colletta.domain.statements import Category, Ground

ActionName = Literal[
    "dismiss",
    "remove",
    "freeze_pot",
    "warn",
    "suspend",
    "ban",
    "close_chat",
    "uphold",
    "reverse",
]


class ReportIn(Body):
    subject: Literal["message", "user", "chat", "pot"]
    subject_id: IdStr
    chat_id: IdStr | None = Field(None, description="The message's chat (messages only).")
    category: Category = Field(description="A category of the DSA transparency database.")
    text: str = Field("", max_length=REPORT_TEXT_MAX_CHARS, description="What is wrong, briefly.")


class ReportReceipt(BaseModel):
    id: IdOut
    subject: str
    subject_id: IdOut
    category: str
    trusted: bool
    created_at_ms: int


class ActIn(Body):
    action: ActionName
    reason: str = Field(
        max_length=REASON_MAX_CHARS,
        description="The explanation the affected user reads in the statement of reasons "
        "(or, for a complaint, in the answer to it).",
    )
    duration_s: int | None = Field(
        None, ge=60, description="suspend: how long (default: the server's setting)."
    )
    refund: bool = Field(False, description="freeze_pot: give every contribution back too.")
    category: Category | None = Field(
        None, description="The statement's category (default: the reports')."
    )
    ground: Ground | None = Field(
        None,
        description="The statement's ground: illegal content (give `legal_ground`, the law) "
        "or content incompatible with the terms (the default). Restrictions only.",
    )
    legal_ground: str | None = Field(
        None,
        max_length=LEGAL_GROUND_MAX_CHARS,
        description="Illegal content: the law it breaks, e.g. 'Art. 5 Directive (EU) "
        "2017/541' (required; `reason` says why the content breaks it). Incompatible "
        "content: the term of service (default: the server's).",
    )


class ComplaintIn(Body):
    text: str = Field(max_length=APPEAL_TEXT_MAX_CHARS)


class RestrictedComplaintIn(ComplaintIn):
    statement_id: IdStr
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Complaint(BaseModel):
    id: IdOut = Field(description="The complaint's case in the moderation queue.")
    statement_id: IdOut
    case_id: IdOut | None = Field(description="The case whose decision is complained against.")
    text: str
    status: Literal["open", "upheld", "reversed"]
    filed_at_ms: int
    decided_at_ms: int | None
    decision_reason: str | None
    undone: list[str]
    not_undone: list[str] = Field(description="What a reversal cannot undo (removed content).")


class Complaints(BaseModel):
    complaints: list[Complaint]


class CaseSummary(BaseModel):
    id: IdOut
    kind: Literal["screening", "behaviour", "hash_match", "report", "order", "appeal"]
    status: Literal["open", "decided"]
    priority: int
    subject: str
    subject_id: IdOut
    chat_id: IdOut | None
    subject_user_id: IdOut | None
    rule_ids: list[str]
    reason: str
    automated: bool
    opened_at_ms: int
    decided_at_ms: int | None
    decided_by: IdOut | None
    decision: str | None
    data: dict[str, Any]
    category: str | None
    trusted: bool
    report_count: int


class Queue(BaseModel):
    cases: list[CaseSummary]


class CaseReport(BaseModel):
    id: IdOut
    reporter_id: IdOut
    category: str
    text: str
    trusted: bool
    created_at_ms: int


class CaseAction(BaseModel):
    id: IdOut
    action: ActionName
    actor_id: IdOut
    target_user_id: IdOut | None
    statement_id: IdOut | None
    until_ms: int | None
    created_at_ms: int
    reversed_at_ms: int | None


class CaseDetail(CaseSummary):
    content: dict[str, Any] | None = Field(
        description="The subject as it is now: the message, user, chat, pot or statement."
    )
    reports: list[CaseReport]
    actions: list[CaseAction]
    statements: list[Statement]


class ActOut(CaseSummary):
    action: CaseAction | None = Field(description="What was done (null for a complaint).")
    undone: list[str] = Field(description="A reversed complaint: what was undone.")
    not_undone: list[str]
