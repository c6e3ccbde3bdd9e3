"""Wire models of trust & safety: notices, statements of reasons, the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from colletta.api.models import IdOut


class Notice(BaseModel):
    id: IdOut
    kind: str = Field(
        description="statement, report.received, report.decided, warning, appeal.decided, "
        "order.executed"
    )
    created_at_ms: int
    data: dict[str, Any]


class Notices(BaseModel):
    notices: list[Notice]
    next_after: str | None = Field(description="Pass as `after` to follow the inbox.")


class Statement(BaseModel):
    """A statement of reasons (DSA Art. 17). Enum values are those of the Commission's
    transparency database."""

    id: IdOut
    case_id: IdOut | None
    user_id: IdOut
    created_at_ms: int
    category: str
    ground: str
    legal_ground: str
    explanation: str
    facts: str
    content_type: str
    content_type_other: str = Field("", description="What CONTENT_TYPE_OTHER content is.")
    source: str
    automated_detection: bool
    automation: str
    visibility: list[str]
    visibility_other: str = Field(
        "", description="What a DECISION_VISIBILITY_OTHER decision is (a warning)."
    )
    monetary: str | None
    provision: str | None
    account: str | None
    end_at_ms: int | None
    territorial_scope: list[str]
    redress: str
    rule_ids: list[str] = []


class Statements(BaseModel):
    statements: list[Statement]
    next_before: str | None = Field(description="Pass as `before` for older statements.")


class AuditEntry(BaseModel):
    seq: int
    at_ms: int
    actor_id: IdOut | None
    action: str
    subject: str
    subject_id: IdOut
    data: dict[str, Any]
    hash: str


class AuditLog(BaseModel):
    entries: list[AuditEntry]
    next_before: int | None
