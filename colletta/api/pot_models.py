"""Request bodies and response shapes of pots, as OpenAPI documents them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from colletta.api.models import Body, IdOut, IdStr

Money = int  # minor units of the pot's currency (cents for EUR, yen for JPY, fils for KWD)
AMOUNT = Field(gt=0, le=10**15, description="Whole minor units of the currency (EUR 12.50 = 1250).")


class ItemIn(Body):
    what: str = Field(max_length=1024)
    quantity: int = Field(1, ge=1, le=1_000_000)
    price_minor: Money = AMOUNT


class PotIn(Body):
    title: str = Field(max_length=1024)
    description: str = Field("", max_length=16_384)
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR, JPY, KWD.")
    goal_minor: Money = AMOUNT
    deadline_at_ms: int = Field(
        ge=0, le=2**53 - 1, description="When collecting ends (ms since epoch)."
    )
    model: Literal["all_or_nothing", "keep_what_you_raise"] = Field(
        "keep_what_you_raise",
        description="all_or_nothing: every contribution is refunded if the goal is missed.",
    )
    visibility: Literal["named", "anonymous"] = Field(
        "named",
        description="anonymous: members see amounts only; admins and the operator see names.",
    )
    vote_weighting: Literal["member", "contribution"] = "member"
    member_cap_minor: Money | None = Field(None, gt=0, le=10**15)
    pot_cap_minor: Money | None = Field(None, gt=0, le=10**15)
    quorum_pct: int = Field(50, ge=1, le=100)
    majority_pct: int = Field(50, ge=50, le=99)
    proposal_window_s: int = Field(3 * 86_400, ge=60, le=30 * 86_400)
    items: list[ItemIn] = Field(default_factory=list, max_length=50)
    options: list[str] = Field(default_factory=list, max_length=20)


class PotPatchIn(Body):
    title: str | None = Field(None, max_length=1024)
    description: str | None = Field(None, max_length=16_384)
    items: list[ItemIn] | None = Field(None, max_length=50)
    options: list[str] | None = Field(
        None, max_length=20, description="Options to add (existing ones stay)."
    )


class OptionVoteIn(Body):
    option_id: IdStr


class ContributionIn(Body):
    client_id: str = Field(
        min_length=1, max_length=64, description="Your idempotency key: a retry is the same."
    )
    amount_minor: Money = AMOUNT
    currency: str = Field(min_length=3, max_length=3)


class Item(BaseModel):
    what: str
    quantity: int
    price_minor: Money


class OptionOut(BaseModel):
    id: IdOut
    title: str
    votes: int
    weight: int


class VerdictOut(BaseModel):
    outcome: Literal["allow", "review", "hold", "block"]
    rule_ids: list[str]
    reason: str


class PotSummary(BaseModel):
    id: IdOut
    chat_id: IdOut
    title: str
    description: str
    currency: str
    goal_minor: Money
    raised_minor: Money
    goal: str = Field(description="The goal as a decimal string in the currency's digits.")
    raised: str
    contributor_count: int
    deadline_at_ms: int
    model: Literal["all_or_nothing", "keep_what_you_raise"]
    visibility: Literal["named", "anonymous"]
    vote_weighting: Literal["member", "contribution"]
    member_cap_minor: Money | None
    pot_cap_minor: Money | None
    quorum_pct: int
    majority_pct: int
    proposal_window_s: int
    status: Literal["open", "closed", "refunding", "settled"]
    frozen: bool
    payouts_held: bool
    created_at_ms: int
    closed_at_ms: int | None


class Pot(PotSummary):
    created_by: IdOut | None = Field(description="Null when the pot hides its people from you.")
    items: list[Item]
    options: list[OptionOut]
    my_option_id: IdOut | None
    balance_minor: Money = Field(description="Posted money in the pot, reservations included.")
    available_minor: Money = Field(description="What spending proposals may still reserve.")
    reserved_minor: Money
    mine_minor: Money = Field(description="What you have in this pot now.")
    verdict: VerdictOut | None = Field(
        description="The screening verdict: shown to the organiser, admins and the operator."
    )
    frozen_reason: str | None


class Pots(BaseModel):
    pots: list[PotSummary]


class Contribution(BaseModel):
    id: IdOut
    pot_id: IdOut
    user_id: IdOut | None = Field(description="Null when the pot hides contributors from you.")
    amount_minor: Money
    currency: str
    status: Literal["pending", "posted", "failed", "refunding", "refunded"]
    refunded_minor: Money
    created_at_ms: int
    posted_at_ms: int | None
    checkout_url: str | None = Field(
        description="While pending: where the contributor completes the payment."
    )
    client_secret: str | None = Field(
        None,
        description=(
            "Only in the answer that started the payment, with the stripe provider: the "
            "PaymentIntent's client secret, to confirm the card with Stripe.js "
            "(`GET /api/v1/payments/config`). Never stored, never shown again."
        ),
    )


class Contributions(BaseModel):
    contributions: list[Contribution]
    next_after: IdOut | None
