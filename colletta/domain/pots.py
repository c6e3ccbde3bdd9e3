"""Pots: what a pot is, who may do what with it, and how votes are counted (DESIGN.md §4).

No storage here. Amounts are integer minor units of the pot's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from colletta.domain.chats import ChatKind, Role
from colletta.domain.money import check_amount, check_currency
from colletta.domain.safety import Outcome, PotText, Verdict
from colletta.domain.text import check_line, check_multiline
from colletta.errors import Conflict, Forbidden, InvalidInput

TITLE_MAX_CHARS = 128
DESCRIPTION_MAX_CHARS = 4000
ITEM_MAX_CHARS = 128
ITEMS_MAX = 50
ITEM_QUANTITY_MAX = 1_000_000
OPTIONS_MAX = 20
PAYEE_MAX_CHARS = 128
DEADLINE_MIN_S = 60
DEADLINE_MAX_S = 366 * 86_400
PROPOSAL_WINDOW_MIN_S = 60
PROPOSAL_WINDOW_MAX_S = 30 * 86_400
PROPOSAL_WINDOW_DEFAULT_S = 3 * 86_400
QUORUM_DEFAULT_PCT = 50
MAJORITY_DEFAULT_PCT = 50
PAGE_MAX = 200


class FundingModel(StrEnum):
    # Every contribution is refunded automatically if the goal is missed at the deadline.
    ALL_OR_NOTHING = "all_or_nothing"
    KEEP_WHAT_YOU_RAISE = "keep_what_you_raise"


class Visibility(StrEnum):
    NAMED = "named"  # members see who gave what
    ANONYMOUS = "anonymous"  # members see amounts only; admins and the operator see names


class VoteWeighting(StrEnum):
    MEMBER = "member"  # one member, one vote
    CONTRIBUTION = "contribution"  # weighted by what each contributed


class PotStatus(StrEnum):
    OPEN = "open"  # collecting until the deadline
    CLOSED = "closed"  # the deadline passed with money kept: spending goes on
    REFUNDING = "refunding"  # every contribution is being given back
    SETTLED = "settled"  # nothing left in it


class ContributionStatus(StrEnum):
    PENDING = "pending"  # waiting for the provider
    POSTED = "posted"  # the provider confirmed; the money is in the pot
    FAILED = "failed"  # declined or abandoned: no money moved
    REFUNDING = "refunding"  # a refund is reserved and asked of the provider
    REFUNDED = "refunded"


class ProposalStatus(StrEnum):
    VOTING = "voting"  # funds reserved, contributors voting
    PASSED = "passed"  # the payout is being asked of the provider
    PAID = "paid"  # the provider paid: the transfer is posted
    REJECTED = "rejected"  # voted down: the reservation is voided
    EXPIRED = "expired"  # the window ended without a decision: voided
    FAILED = "failed"  # the provider refused the payout: voided


class TaskKind(StrEnum):
    """What the pot worker does when a task falls due."""

    DEADLINE = "deadline"  # item: pot
    PROPOSAL = "proposal"  # item: proposal, its window ends
    REFUND = "refund"  # item: contribution to give back
    PAYOUT = "payout"  # item: proposal that passed
    REFUND_ALL = "refund_all"  # item: pot whose remainder goes back, a page at a time


def pot_account_key(pot_id: int) -> str:
    return f"pot:{pot_id}"


def clearing_account_key(provider: str, currency: str) -> str:
    return f"provider_clearing:{provider}:{currency}"


def payee_account_key(currency: str) -> str:
    # Payees are outside Colletta: one account per currency stands for all of them; each
    # transfer's proposal names the payee.
    return f"payees:{currency}"


def contribution_transfer_id(provider: str, payment_id: str) -> str:
    """Derived from the provider's payment id, so a replayed webhook finds the same transfer."""
    return f"contribution:{provider}:{payment_id}"


def refund_transfer_id(contribution_id: int, attempt: int) -> str:
    """Also the provider's idempotency key: one refund per attempt, and a new attempt only
    after the provider said the last one failed (no money moved)."""
    return f"refund:{contribution_id}:{attempt}"


def proposal_transfer_id(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def resolution_transfer_id(pending_id: str) -> str:
    return f"{pending_id}:resolved"


@dataclass(frozen=True, slots=True)
class Item:
    what: str
    quantity: int
    price_minor: int

    def view(self) -> dict[str, Any]:
        return {"what": self.what, "quantity": self.quantity, "price_minor": self.price_minor}


@dataclass(frozen=True, slots=True)
class Option:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class Pot:
    id: int
    chat_id: int
    created_by: int
    title: str
    description: str
    currency: str
    goal_minor: int
    deadline_at_ms: int
    model: FundingModel
    visibility: Visibility
    vote_weighting: VoteWeighting
    member_cap_minor: int | None
    pot_cap_minor: int | None
    quorum_pct: int
    majority_pct: int
    proposal_window_s: int
    status: PotStatus
    frozen: bool
    frozen_reason: str | None
    verdict: Verdict
    raised_minor: int
    contributor_count: int
    account_id: int
    created_at_ms: int
    closed_at_ms: int | None

    @property
    def collecting(self) -> bool:
        return self.status is PotStatus.OPEN and not self.frozen

    @property
    def payouts_held(self) -> bool:
        """No money leaves for spending: frozen, or screening wants a moderator to look."""
        return self.frozen or self.verdict.outcome is not Outcome.ALLOW

    def text(self, items: list[Item], options: list[Option]) -> PotText:
        return PotText(
            title=self.title,
            description=self.description,
            items=tuple(item.what for item in items),
            options=tuple(option.title for option in options),
            currency=self.currency,
            goal_minor=self.goal_minor,
        )


@dataclass(frozen=True, slots=True)
class Contribution:
    id: int
    pot_id: int
    chat_id: int
    user_id: int
    client_id: str
    amount_minor: int
    currency: str
    provider: str
    payment_id: str | None
    checkout_url: str | None
    status: ContributionStatus
    transfer_id: str | None
    refund_transfer_id: str | None
    refunded_minor: int
    created_at_ms: int
    posted_at_ms: int | None

    def view(self, *, show_contributor: bool) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "pot_id": str(self.pot_id),
            "user_id": str(self.user_id) if show_contributor else None,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "status": self.status.value,
            "refunded_minor": self.refunded_minor,
            "created_at_ms": self.created_at_ms,
            "posted_at_ms": self.posted_at_ms,
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    pot_id: int
    chat_id: int
    proposer_id: int
    client_id: str
    title: str
    amount_minor: int
    payee: str
    receipt_media_id: int | None
    status: ProposalStatus
    transfer_id: str
    payout_id: str | None
    closes_at_ms: int
    created_at_ms: int
    resolved_at_ms: int | None


@dataclass(frozen=True, slots=True)
class Tally:
    """A spending vote's count: weights cast for and against, and what could still be cast."""

    yes_weight: int
    no_weight: int
    eligible_weight: int
    voters: int
    eligible_voters: int
    other_approval: bool  # someone other than the proposer approved

    def view(self) -> dict[str, Any]:
        return {
            "yes_weight": self.yes_weight,
            "no_weight": self.no_weight,
            "eligible_weight": self.eligible_weight,
            "voters": self.voters,
            "eligible_voters": self.eligible_voters,
        }


# --- who may do what


def check_pot_chat(kind: ChatKind) -> None:
    if kind is ChatKind.DIRECT:
        raise InvalidInput("pots live in groups and channels, never in direct chats")


def can_create_pot(role: Role, members_create_pots: bool) -> bool:
    return role >= Role.ADMIN or members_create_pots


def can_manage_pot(pot: Pot, user_id: int, role: Role) -> bool:
    """Edit texts, add options: the organiser or an admin of the chat."""
    return user_id == pot.created_by or role >= Role.ADMIN


def sees_contributors(pot: Pot, role: Role | None, is_operator: bool) -> bool:
    """Named pots show contributors to every member; anonymous ones to admins and the operator."""
    return (
        pot.visibility is Visibility.NAMED
        or is_operator
        or (role is not None and role >= Role.ADMIN)
    )


def check_contribution(pot: Pot, amount_minor: int, currency: str, mine_minor: int) -> None:
    """A new contribution fits the pot: open, right currency, within the caps."""
    check_amount(amount_minor)
    if currency != pot.currency:
        raise InvalidInput(f"this pot collects {pot.currency}", field="currency")
    check_collecting(pot)
    if pot.member_cap_minor is not None and mine_minor + amount_minor > pot.member_cap_minor:
        raise InvalidInput(
            "that is more than one member may give to this pot",
            field="amount_minor",
            left_minor=max(0, pot.member_cap_minor - mine_minor),
        )
    if pot.pot_cap_minor is not None and pot.raised_minor + amount_minor > pot.pot_cap_minor:
        raise InvalidInput(
            "that is more than this pot may still take",
            field="amount_minor",
            left_minor=max(0, pot.pot_cap_minor - pot.raised_minor),
        )


def check_collecting(pot: Pot) -> None:
    if pot.frozen:
        raise PotFrozen("this pot is frozen")
    if pot.status is not PotStatus.OPEN:
        raise PotClosed(f"this pot is {pot.status.value}")


def over_cap(pot: Pot, amount_minor: int, mine_minor: int) -> bool:
    """Whether a payment the provider already took would overfill a cap (then it goes back)."""
    return (
        pot.member_cap_minor is not None and mine_minor + amount_minor > pot.member_cap_minor
    ) or (pot.pot_cap_minor is not None and pot.raised_minor + amount_minor > pot.pot_cap_minor)


class PotFrozen(Conflict):
    type = "pot_frozen"
    title = "Pot frozen"


class PotClosed(Conflict):
    type = "pot_closed"
    title = "Pot closed"


class AlreadyVoted(Conflict):
    type = "already_voted"
    title = "Already voted"


class PotRefused(Forbidden):
    """Screening blocked the pot; `reason` says why."""

    type = "pot_refused"
    title = "Pot refused by screening"


# --- creating


@dataclass(frozen=True, slots=True)
class PotDraft:
    title: str
    description: str
    currency: str
    goal_minor: int
    deadline_at_ms: int
    model: FundingModel
    visibility: Visibility
    vote_weighting: VoteWeighting
    member_cap_minor: int | None
    pot_cap_minor: int | None
    quorum_pct: int
    majority_pct: int
    proposal_window_s: int
    items: list[Item]
    options: list[str]

    def text(self) -> PotText:
        return PotText(
            title=self.title,
            description=self.description,
            items=tuple(item.what for item in self.items),
            options=tuple(self.options),
            currency=self.currency,
            goal_minor=self.goal_minor,
        )


def _enum(kind: type[StrEnum], value: str, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{field} must be one of {names}", field=field) from None


def _pct(value: int, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} is a whole percentage from {low} to {high}", field=field)
    return value


def check_items(items: list[dict[str, Any]]) -> list[Item]:
    if len(items) > ITEMS_MAX:
        raise InvalidInput(f"at most {ITEMS_MAX} items", field="items")
    out = []
    for item in items:
        quantity = item.get("quantity", 1)
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not (1 <= quantity <= ITEM_QUANTITY_MAX)
        ):
            raise InvalidInput("an item's quantity is a whole number from 1", field="items")
        out.append(
            Item(
                what=check_line(str(item.get("what", "")), "items", ITEM_MAX_CHARS),
                quantity=quantity,
                price_minor=check_amount(item.get("price_minor", 0), "items"),
            )
        )
    return out


def check_options(options: list[str]) -> list[str]:
    if len(options) > OPTIONS_MAX:
        raise InvalidInput(f"at most {OPTIONS_MAX} options", field="options")
    cleaned = [check_line(option, "options", TITLE_MAX_CHARS) for option in options]
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInput("options must differ", field="options")
    return cleaned


def check_new_pot(fields: dict[str, Any], now_ms: int) -> PotDraft:
    """Validate what a creator sent; every refusal names its field."""
    currency = check_currency(fields["currency"])
    deadline_at_ms = fields["deadline_at_ms"]
    if not now_ms + DEADLINE_MIN_S * 1000 <= deadline_at_ms <= now_ms + DEADLINE_MAX_S * 1000:
        raise InvalidInput(
            "the deadline is at least a minute and at most a year away", field="deadline_at_ms"
        )
    member_cap = fields.get("member_cap_minor")
    pot_cap = fields.get("pot_cap_minor")
    if member_cap is not None:
        check_amount(member_cap, "member_cap_minor")
    if pot_cap is not None:
        check_amount(pot_cap, "pot_cap_minor")
    goal_minor = check_amount(fields["goal_minor"], "goal_minor")
    window_s = fields.get("proposal_window_s", PROPOSAL_WINDOW_DEFAULT_S)
    if (
        isinstance(window_s, bool)
        or not isinstance(window_s, int)
        or not (PROPOSAL_WINDOW_MIN_S <= window_s <= PROPOSAL_WINDOW_MAX_S)
    ):
        raise InvalidInput(
            "a spending vote runs from a minute to 30 days", field="proposal_window_s"
        )
    return PotDraft(
        title=check_line(fields["title"], "title", TITLE_MAX_CHARS),
        description=check_multiline(
            fields.get("description", ""), "description", DESCRIPTION_MAX_CHARS
        ),
        currency=currency,
        goal_minor=goal_minor,
        deadline_at_ms=deadline_at_ms,
        model=_enum(FundingModel, fields.get("model", FundingModel.KEEP_WHAT_YOU_RAISE), "model"),
        visibility=_enum(Visibility, fields.get("visibility", Visibility.NAMED), "visibility"),
        vote_weighting=_enum(
            VoteWeighting, fields.get("vote_weighting", VoteWeighting.MEMBER), "vote_weighting"
        ),
        member_cap_minor=member_cap,
        pot_cap_minor=pot_cap,
        quorum_pct=_pct(fields.get("quorum_pct", QUORUM_DEFAULT_PCT), "quorum_pct", 1, 100),
        majority_pct=_pct(fields.get("majority_pct", MAJORITY_DEFAULT_PCT), "majority_pct", 50, 99),
        proposal_window_s=window_s,
        items=check_items(fields.get("items") or []),
        options=check_options(fields.get("options") or []),
    )


def check_payee(payee: str) -> str:
    return check_line(payee, "payee", PAYEE_MAX_CHARS)


def check_spending(pot: Pot) -> None:
    """Spending is proposed once the money is the group's to spend: an all-or-nothing pot
    only after it reached its goal and closed, and never while frozen or being refunded."""
    if pot.frozen:
        raise PotFrozen("this pot is frozen")
    if pot.status is PotStatus.CLOSED:
        return
    if pot.status is PotStatus.OPEN and pot.model is FundingModel.KEEP_WHAT_YOU_RAISE:
        return
    if pot.status is PotStatus.OPEN:
        raise PotClosed("an all-or-nothing pot spends only after it reached its goal and closed")
    raise PotClosed(f"this pot is {pot.status.value}")


# --- counting votes


def decide(pot: Pot, proposal: Proposal, tally: Tally, *, window_over: bool) -> ProposalStatus:
    """VOTING while the outcome can still change; PASSED or REJECTED once it cannot, or at the
    end of the window (EXPIRED when too few voted).

    It passes with the quorum reached (share of eligible weight cast, in percent) and strictly
    more than `majority_pct` of the cast weight approving, and never on the proposer's vote
    alone.
    """
    cast = tally.yes_weight + tally.no_weight
    quorum = cast * 100 >= pot.quorum_pct * tally.eligible_weight and cast > 0
    majority_of_cast = tally.yes_weight * 100 > pot.majority_pct * cast
    # However the rest vote, the approvals already exceed the majority of all eligible weight.
    sure_yes = tally.yes_weight * 100 > pot.majority_pct * tally.eligible_weight
    # Even if every remaining weight approved, no majority of the cast weight.
    remaining = tally.eligible_weight - cast
    sure_no = (tally.yes_weight + remaining) * 100 <= pot.majority_pct * tally.eligible_weight
    if tally.other_approval and quorum and sure_yes:
        return ProposalStatus.PASSED
    if sure_no and cast > 0:
        return ProposalStatus.REJECTED
    if not window_over:
        return ProposalStatus.VOTING
    if not quorum:
        return ProposalStatus.EXPIRED
    if majority_of_cast and tally.other_approval:
        return ProposalStatus.PASSED
    return ProposalStatus.REJECTED


def verdict_allows_opening(verdict: Verdict) -> None:
    if verdict.outcome is Outcome.BLOCK:
        raise PotRefused(
            verdict.reason or "this pot cannot be opened here", rule_ids=list(verdict.rule_ids)
        )
