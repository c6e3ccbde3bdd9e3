"""A pot's life after it opens: its deadline, closing, finishing, freezing, refunding all,
and the ledger every member may read (DESIGN.md §4). No storage here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from colletta.domain.chats import Role
from colletta.domain.ledger import Account, Transfer, TransferCode, TransferState
from colletta.domain.money import format_amount
from colletta.domain.pots import (
    FundingModel,
    Pot,
    PotClosed,
    PotFrozen,
    PotStatus,
    can_manage_pot,
)
from colletta.domain.text import check_line
from colletta.errors import Conflict, Forbidden

FREEZE_REASON_MAX_CHARS = 512
LEDGER_PAGE_MAX = 200


class GoalNotReached(Conflict):
    type = "goal_not_reached"
    title = "Goal not reached"


class SpendingPending(Conflict):
    type = "spending_pending"
    title = "Spending in progress"


def at_deadline(pot: Pot) -> PotStatus:
    """What an open pot becomes at its deadline: all-or-nothing below its goal is given back;
    anything else closes with its money kept for spending."""
    if pot.model is FundingModel.ALL_OR_NOTHING and pot.raised_minor < pot.goal_minor:
        return PotStatus.REFUNDING
    return PotStatus.CLOSED


def deadline_due(pot: Pot, now_ms: int) -> bool:
    """The deadline decides only an open pot that is not frozen: a frozen pot's deadline waits
    for the operator (unfreeze runs it at once if it passed; refund-all makes it moot)."""
    return pot.status is PotStatus.OPEN and not pot.frozen and now_ms >= pot.deadline_at_ms


def check_freeze_reason(reason: str) -> str:
    return check_line(reason, "reason", FREEZE_REASON_MAX_CHARS)


def check_operator(is_operator: bool) -> None:
    if not is_operator:
        raise Forbidden("only the operator does that")


def check_freezable(pot: Pot) -> None:
    """Frozen or not, a pot being given back or settled has nothing left to stop."""
    if pot.status not in (PotStatus.OPEN, PotStatus.CLOSED):
        raise PotClosed(f"this pot is {pot.status.value}")


def check_unfreezable(pot: Pot) -> None:
    """A frozen pot is let go while money may still move: open, closed, or being given back
    (its refunds wait for a payout the freeze holds: paid or failed, then the rest goes
    back)."""
    if pot.status not in (PotStatus.OPEN, PotStatus.CLOSED, PotStatus.REFUNDING):
        raise PotClosed(f"this pot is {pot.status.value}")


def check_manager(pot: Pot, user_id: int, role: Role | None) -> None:
    if role is None or not can_manage_pot(pot, user_id, role):
        raise Forbidden("only the organiser or an admin of the chat does that")


def check_close(pot: Pot) -> None:
    """The organiser closes an open pot early; an all-or-nothing one only once its goal is
    met (below it, the deadline gives everything back)."""
    if pot.frozen:
        raise PotFrozen("this pot is frozen")
    if pot.status is not PotStatus.OPEN:
        raise PotClosed(f"this pot is {pot.status.value}")
    if pot.model is FundingModel.ALL_OR_NOTHING and pot.raised_minor < pot.goal_minor:
        raise GoalNotReached("an all-or-nothing pot closes early only once its goal is met")


def check_finish(pot: Pot, payouts_pending_minor: int) -> None:
    """A closed pot is finished once no spending is in progress; what is left goes back."""
    if pot.frozen:
        raise PotFrozen("this pot is frozen")
    if pot.status is not PotStatus.CLOSED:
        raise PotClosed(f"only a closed pot is finished; this one is {pot.status.value}")
    if payouts_pending_minor:
        raise SpendingPending("a spending vote or payout is in progress; finish after it")


def check_refund_all(pot: Pot, user_id: int, role: Role | None, is_operator: bool) -> None:
    """The operator gives everything back, frozen or not; the organiser or an admin of the
    chat may too while the pot is not frozen (a frozen pot is the operator's to decide)."""
    check_freezable(pot)
    if is_operator:
        return
    check_manager(pot, user_id, role)
    if pot.frozen:
        raise PotFrozen("this pot is frozen; the operator decides what happens to it")


# --- the ledger, as members read it


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """A pot's totals, from its transfers; `balance_minor` and `available_minor` are its
    account's, and equal raised - refunded - spent (less the reservations, for available)."""

    currency: str
    raised_minor: int  # contributions posted
    refunded_minor: int  # refunds posted
    spent_minor: int  # payouts posted
    reserved_minor: int  # refunds and payouts reserved, not yet posted or voided
    balance_minor: int
    available_minor: int

    @property
    def balanced(self) -> bool:
        return (
            self.balance_minor == self.raised_minor - self.refunded_minor - self.spent_minor
            and self.available_minor == self.balance_minor - self.reserved_minor
        )

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"currency": self.currency}
        for name in ("raised", "refunded", "spent", "reserved", "balance", "available"):
            amount = getattr(self, f"{name}_minor")
            out[f"{name}_minor"] = amount
            out[name] = format_amount(amount, self.currency)
        return out


def ledger_totals(
    currency: str, by_code: dict[TransferCode, tuple[int, int]], account: Account
) -> LedgerTotals:
    """Totals of `by_code` ((posted, pending) per code) and the pot's `account`."""

    def posted(code: TransferCode) -> int:
        return by_code.get(code, (0, 0))[0]

    return LedgerTotals(
        currency=currency,
        raised_minor=posted(TransferCode.CONTRIBUTION),
        refunded_minor=posted(TransferCode.REFUND),
        spent_minor=posted(TransferCode.PAYOUT),
        reserved_minor=account.debits_pending,
        balance_minor=account.balance_minor,
        available_minor=account.available_minor,
    )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One transfer of a pot as a member reads it: who is None when the visibility rule
    hides the contributor; payee and title name a payout's proposal."""

    transfer: Transfer
    state: TransferState
    who_user_id: int | None
    who_name: str | None
    why: str

    def view(self) -> dict[str, Any]:
        t = self.transfer
        return {
            "transfer": t.id,
            "at_ms": t.created_at_ms,
            "code": t.code.label,
            "amount_minor": t.amount_minor,
            "amount": format_amount(t.amount_minor, t.currency),
            "currency": t.currency,
            "state": self.state.value,
            "who_user_id": None if self.who_user_id is None else str(self.who_user_id),
            "who": self.who_name,
            "why": self.why,
        }


CSV_HEADER = (
    "transfer",
    "at_ms",
    "code",
    "amount",
    "amount_minor",
    "currency",
    "state",
    "who_user_id",
    "who",
    "why",
)


def csv_row(entry: LedgerEntry) -> tuple[str, ...]:
    view = entry.view()
    return tuple("" if view[column] is None else str(view[column]) for column in CSV_HEADER)
