"""Request bodies and response shapes of spending proposals, as OpenAPI documents them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from colletta.api.models import Body, IdOut, IdStr
from colletta.api.pot_models import AMOUNT, Money


class ProposalIn(Body):
    client_id: str = Field(
        min_length=1, max_length=64, description="Your idempotency key: a retry is one proposal."
    )
    title: str = Field(max_length=1024)
    amount_minor: Money = AMOUNT
    payee: str = Field(max_length=1024, description="Who is paid (as the provider knows them).")
    receipt_media_id: IdStr | None = Field(
        None, description="One of your uploads to the pot's chat (POST …/media)."
    )


class ProposalVoteIn(Body):
    approve: bool = Field(strict=True)


class ProposalTally(BaseModel):
    yes_weight: int
    no_weight: int
    eligible_weight: int
    voters: int
    eligible_voters: int


class ProposalMyVote(BaseModel):
    approve: bool
    weight: int


class Proposal(BaseModel):
    id: IdOut
    pot_id: IdOut
    chat_id: IdOut
    proposer_id: IdOut | None = Field(
        description="Null for a channel's subscribers (unless they proposed it)."
    )
    title: str
    amount_minor: int
    amount: str
    currency: str
    payee: str
    receipt_media_id: IdOut | None
    status: Literal["voting", "passed", "paid", "rejected", "expired", "failed"]
    payout_id: str | None
    closes_at_ms: int
    created_at_ms: int
    resolved_at_ms: int | None
    tally: ProposalTally
    my_vote: ProposalMyVote | None
    can_vote: bool


class Proposals(BaseModel):
    proposals: list[Proposal]
    next_after: IdOut | None


class PayoutShare(BaseModel):
    proposal_id: IdOut
    title: str
    payee: str
    amount_minor: int
    share_minor: int
    paid_at_ms: int


class MyShare(BaseModel):
    pot_id: IdOut
    currency: str
    contributed_minor: int
    refunded_minor: int
    spent_minor: int
    remaining_minor: int
    payouts: list[PayoutShare]
    rule: str
