"""Typed, immutable views of the pot JSON (docs/pots.md): pots, contributions, spending
proposals, shares and the ledger.

Like models.py, parsers ignore unknown members and ids are strings. Amounts are whole minor
units (`*_minor`); the pot's `goal` and `raised` also come as the server's decimal strings.
Proposals, shares and ledger entries keep their whole JSON in `data`, with only a few members
required, so they stay readable as those answers grow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from colletta_sdk.models import Json, _id, _opt_id, _opt_int, _opt_str
from colletta_sdk.money import format_amount


def _minor(value: Any) -> int:
    return int(value or 0)


@dataclass(frozen=True, slots=True)
class PotItem:
    """Something the pot is collecting for: `quantity` of `what` at `price_minor` each."""

    what: str
    quantity: int
    price_minor: int

    @classmethod
    def from_json(cls, d: Json) -> PotItem:
        return cls(
            what=str(d["what"]),
            quantity=int(d.get("quantity") or 1),
            price_minor=_minor(d.get("price_minor")),
        )

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "quantity": self.quantity, "price_minor": self.price_minor}


@dataclass(frozen=True, slots=True)
class PotOption:
    """A choice members vote on (what to buy); `weight` counts contributions when the pot
    weighs votes by them, else it equals `votes`."""

    id: str
    title: str
    votes: int
    weight: int

    @classmethod
    def from_json(cls, d: Json) -> PotOption:
        votes = int(d.get("votes") or 0)
        return cls(
            id=_id(d["id"]),
            title=str(d.get("title") or ""),
            votes=votes,
            weight=int(d.get("weight", votes) or 0),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The screening verdict on a pot's texts (its organiser, admins and the operator)."""

    outcome: str
    rule_ids: tuple[str, ...]
    reason: str

    @classmethod
    def from_json(cls, d: Json) -> Verdict:
        return cls(
            outcome=str(d.get("outcome") or "allow"),
            rule_ids=tuple(str(r) for r in d.get("rule_ids") or ()),
            reason=str(d.get("reason") or ""),
        )


@dataclass(frozen=True, slots=True)
class Pot:
    """A money pot. Lists (`Client.pots`) carry the summary only: the viewer's fields
    (`items` … `frozen_reason`) are then empty or None; `Client.pot` fills them."""

    id: str
    chat_id: str
    title: str
    description: str
    currency: str
    goal_minor: int
    raised_minor: int
    goal: str
    raised: str
    contributor_count: int
    deadline_at_ms: int
    model: str  # all_or_nothing | keep_what_you_raise
    visibility: str  # named | anonymous
    vote_weighting: str  # member | contribution
    member_cap_minor: int | None
    pot_cap_minor: int | None
    quorum_pct: int
    majority_pct: int
    proposal_window_s: int
    status: str  # open | closed | refunding | settled
    frozen: bool
    payouts_held: bool
    created_at_ms: int
    closed_at_ms: int | None
    created_by: str | None = None
    items: tuple[PotItem, ...] = ()
    options: tuple[PotOption, ...] = ()
    my_option_id: str | None = None
    balance_minor: int | None = None
    available_minor: int | None = None
    reserved_minor: int | None = None
    mine_minor: int | None = None
    verdict: Verdict | None = None
    frozen_reason: str | None = None

    @classmethod
    def from_json(cls, d: Json) -> Pot:
        currency = str(d["currency"])
        goal_minor = _minor(d.get("goal_minor"))
        raised_minor = _minor(d.get("raised_minor"))
        verdict = d.get("verdict")
        return cls(
            id=_id(d["id"]),
            chat_id=_id(d["chat_id"]),
            title=str(d.get("title") or ""),
            description=str(d.get("description") or ""),
            currency=currency,
            goal_minor=goal_minor,
            raised_minor=raised_minor,
            goal=str(d.get("goal") or format_amount(goal_minor, currency)),
            raised=str(d.get("raised") or format_amount(raised_minor, currency)),
            contributor_count=int(d.get("contributor_count") or 0),
            deadline_at_ms=int(d.get("deadline_at_ms") or 0),
            model=str(d.get("model") or "keep_what_you_raise"),
            visibility=str(d.get("visibility") or "named"),
            vote_weighting=str(d.get("vote_weighting") or "member"),
            member_cap_minor=_opt_int(d.get("member_cap_minor")),
            pot_cap_minor=_opt_int(d.get("pot_cap_minor")),
            quorum_pct=int(d.get("quorum_pct") or 0),
            majority_pct=int(d.get("majority_pct") or 0),
            proposal_window_s=int(d.get("proposal_window_s") or 0),
            status=str(d.get("status") or "open"),
            frozen=bool(d.get("frozen", False)),
            payouts_held=bool(d.get("payouts_held", False)),
            created_at_ms=int(d.get("created_at_ms") or 0),
            closed_at_ms=_opt_int(d.get("closed_at_ms")),
            created_by=_opt_id(d.get("created_by")),
            items=tuple(PotItem.from_json(i) for i in d.get("items") or ()),
            options=tuple(PotOption.from_json(o) for o in d.get("options") or ()),
            my_option_id=_opt_id(d.get("my_option_id")),
            balance_minor=_opt_int(d.get("balance_minor")),
            available_minor=_opt_int(d.get("available_minor")),
            reserved_minor=_opt_int(d.get("reserved_minor")),
            mine_minor=_opt_int(d.get("mine_minor")),
            verdict=Verdict.from_json(verdict) if isinstance(verdict, Mapping) else None,
            frozen_reason=_opt_str(d.get("frozen_reason")),
        )

    @property
    def progress(self) -> float:
        """raised / goal, from 0 (may pass 1 when a pot collects more than its goal)."""
        return self.raised_minor / self.goal_minor if self.goal_minor > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Contribution:
    """Money put into a pot. It counts once `status` is `posted`; while `pending`, the payment
    is completed at `checkout_url`. `user_id` is None when the pot hides contributors."""

    id: str
    pot_id: str
    user_id: str | None
    amount_minor: int
    currency: str
    status: str  # pending | posted | failed | refunding | refunded
    refunded_minor: int
    created_at_ms: int
    posted_at_ms: int | None
    checkout_url: str | None

    @classmethod
    def from_json(cls, d: Json) -> Contribution:
        return cls(
            id=_id(d["id"]),
            pot_id=_id(d["pot_id"]),
            user_id=_opt_id(d.get("user_id")),
            amount_minor=_minor(d.get("amount_minor")),
            currency=str(d.get("currency") or ""),
            status=str(d.get("status") or "pending"),
            refunded_minor=_minor(d.get("refunded_minor")),
            created_at_ms=int(d.get("created_at_ms") or 0),
            posted_at_ms=_opt_int(d.get("posted_at_ms")),
            checkout_url=_opt_str(d.get("checkout_url")),
        )

    @property
    def settled(self) -> bool:
        """No longer waiting for the payment: posted, failed, or (being) refunded."""
        return self.status != "pending"


@dataclass(frozen=True, slots=True)
class ContributionPage:
    contributions: list[Contribution]
    next_after: str | None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A spending proposal: pay `amount_minor` of the pot to `payee`, if contributors approve.

    Only `id` is required; everything the server sends is in `data` (the tally, say).
    """

    id: str
    pot_id: str | None
    title: str
    amount_minor: int
    payee: str
    status: str  # voting | passed | paid | rejected | expired | failed
    closes_at_ms: int | None
    data: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Proposal:
        return cls(
            id=_id(d["id"]),
            pot_id=_opt_id(d.get("pot_id")),
            title=str(d.get("title") or ""),
            amount_minor=_minor(d.get("amount_minor")),
            payee=str(d.get("payee") or ""),
            status=str(d.get("status") or ""),
            closes_at_ms=_opt_int(d.get("closes_at_ms")),
            data=dict(d),
        )

    @property
    def tally(self) -> Mapping[str, Any]:
        """The vote count as the server sends it (`yes_weight`, `no_weight`, …), or {}."""
        found = self.data.get("tally")
        return found if isinstance(found, Mapping) else {}


@dataclass(frozen=True, slots=True)
class Share:
    """What the caller has in a pot (`Client.my_share`), as the server sends it in `data`;
    `mine_minor` when it names that amount."""

    pot_id: str
    data: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json, pot_id: str) -> Share:
        return cls(pot_id=_opt_id(d.get("pot_id")) or pot_id, data=dict(d))

    @property
    def mine_minor(self) -> int | None:
        for key in ("mine_minor", "share_minor", "amount_minor"):
            if isinstance(self.data.get(key), int):
                return int(self.data[key])
        return None


@dataclass(frozen=True, slots=True)
class LedgerPage:
    """One page of a pot's ledger: its transfers as the server sends them, oldest first,
    the pot's totals, and the cursor of the next page (None on the last)."""

    transfers: list[Mapping[str, Any]]
    totals: Mapping[str, Any]
    next_after: str | None

    @classmethod
    def from_json(cls, d: Json) -> LedgerPage:
        transfers: Sequence[Any] = d.get("transfers") or ()
        totals = d.get("totals")
        return cls(
            transfers=[dict(t) for t in transfers if isinstance(t, Mapping)],
            totals=dict(totals) if isinstance(totals, Mapping) else {},
            next_after=_opt_id(d.get("next_after")),
        )
