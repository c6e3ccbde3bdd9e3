"""Request bodies and response shapes of removal orders, preservation and the transparency
report, as OpenAPI documents them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from colletta.api.models import Body, IdOut
from colletta.domain.orders import SECRECY_MAX_S

MS = Field(ge=0, le=2**53 - 1)


class OrderIn(Body):
    authority: str = Field(max_length=200, description="The competent authority that issued it.")
    reference: str = Field(max_length=200, description="The authority's reference number.")
    reasons: str = Field(max_length=4000, description="The order's statement of reasons.")
    items: list[str] = Field(
        min_length=1,
        max_length=1000,
        description="The exact items: `message:<id>` or `media:<id>`.",
    )
    received_at_ms: int = Field(
        ge=0, le=2**53 - 1, description="When the order was received (ms since epoch)."
    )
    notify: bool = Field(
        True,
        description="false when the authority asked that the uploader not be told (Art. 11(3)).",
    )
    secret_for_s: int | None = Field(
        None,
        ge=1,
        le=SECRECY_MAX_S,
        description="notify false: for how long the uploaders are not told (default and at "
        "most six weeks); then they are told automatically.",
    )


class SecrecyIn(Body):
    until_ms: int = Field(
        ge=0,
        le=2**53 - 1,
        description="The uploaders are told then instead (later than now's end, at most six "
        "weeks from now).",
    )


class ItemResultOut(BaseModel):
    item: str
    outcome: Literal["removed", "already_gone", "not_found"]
    chat_id: IdOut | None
    message_id: IdOut | None
    removed_at_ms: int | None


class Confirmation(BaseModel):
    """TCO Art. 3(6): what was removed, and when."""

    order_id: IdOut
    authority: str
    reference: str
    received_at_ms: int
    executed_at_ms: int | None
    execution_ms: int | None
    within_legal_limit: bool
    items: list[ItemResultOut]


class Order(BaseModel):
    id: IdOut
    authority: str
    reference: str
    reasons: str
    items: list[str]
    received_at_ms: int
    registered_at_ms: int
    registered_by: IdOut | None
    notify: bool
    secret_until_ms: int | None = Field(
        description="notify false: when the uploaders are told after all (TCO Art. 11(3))."
    )
    told_at_ms: int | None = Field(description="When the uploaders were told (null: not yet).")
    executed_at_ms: int | None
    execution_ms: int | None = Field(description="Received → executed, in ms (limit: one hour).")
    case_ids: list[IdOut] = Field(description="The ORDER cases, one per removed item.")
    confirmation: Confirmation


class Orders(BaseModel):
    orders: list[Order]


class PreservedItem(BaseModel):
    id: IdOut
    kind: Literal["message", "media"]
    chat_id: IdOut
    message_id: IdOut | None
    media_id: IdOut | None
    reason: str
    order_id: IdOut | None
    case_id: IdOut | None
    preserved_at_ms: int
    until_ms: int
    files: int


class PreservedList(BaseModel):
    items: list[PreservedItem]


class ExtendIn(Body):
    until_ms: int = Field(ge=0, le=2**53 - 1, description="The new end (later than the current).")


class PeriodOut(BaseModel):
    from_ms: int
    to_ms: int


class NoticesFigures(BaseModel):
    total: int
    by_category: dict[str, int] = Field(description="REPORT cases by DSA category.")


class ActionsFigures(BaseModel):
    total: int
    by_decision: dict[str, int]


class HandlingFigures(BaseModel):
    median_ms: int | None = Field(description="Opened → decided, of the cases decided.")
    median_ms_by_kind: dict[str, int | None]


class OrderFigure(BaseModel):
    id: IdOut
    authority: str
    reference: str
    received_at_ms: int
    execution_ms: int | None


class OrdersFigures(BaseModel):
    total: int
    executed: int
    within_one_hour: int
    median_execution_ms: int | None
    max_execution_ms: int | None
    items_removed: int
    orders: list[OrderFigure]


class DetectionFigures(BaseModel):
    detected: int
    outcomes: dict[str, int] = Field(description="By decision; `open` if not decided yet.")


class AutomatedFigures(BaseModel):
    total: int
    by_kind: dict[str, DetectionFigures]


class TransparencyReport(BaseModel):
    period: PeriodOut
    notices: NoticesFigures
    actions: ActionsFigures
    handling: HandlingFigures
    orders: OrdersFigures
    automated: AutomatedFigures
