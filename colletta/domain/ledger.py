"""The ledger's rules (DESIGN.md §4), after TigerBeetle: accounts, transfers, and what a
transfer may do to an account. No storage here; `store.ledger` applies these in one
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag, StrEnum
from typing import Any

from colletta.errors import Conflict, InvalidInput

TRANSFER_ID_MAX_CHARS = 128


class TransferCode(IntEnum):
    """Why money moved."""

    CONTRIBUTION = 1  # provider clearing → pot: a payment the provider confirmed
    REFUND = 2  # pot → provider clearing: a contribution given back
    PAYOUT = 3  # pot → payee: a spending the contributors voted through

    @property
    def label(self) -> str:
        return self.name.lower()


class TransferFlag(IntFlag):
    NONE = 0
    PENDING = 1  # reserves: counts against the debit account's available balance
    POST_PENDING = 2  # resolves `pending_id`: the reserved amount moves for good
    VOID_PENDING = 4  # resolves `pending_id`: the reservation is released
    EXPIRE_PENDING = 8  # as VOID_PENDING, because its timeout passed


RESOLUTIONS = TransferFlag.POST_PENDING | TransferFlag.VOID_PENDING | TransferFlag.EXPIRE_PENDING


class AccountFlag(IntFlag):
    NONE = 0
    # A pot can never spend or refund more than it holds, reservations included.
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 2


class TransferState(StrEnum):
    """Where a transfer stands, derived from the rows that resolve it."""

    POSTED = "posted"
    PENDING = "pending"
    VOIDED = "voided"
    EXPIRED = "expired"


class RefKind(StrEnum):
    """The business row a transfer belongs to: each transfer names one, and check-ledger
    holds both sides to it."""

    CONTRIBUTION = "contribution"
    PROPOSAL = "proposal"


class ExceedsCredits(Conflict):
    type = "insufficient_funds"
    title = "Not enough money available"


class TransferMismatch(Conflict):
    """A transfer id already used with other fields: a replay must be identical."""

    type = "transfer_exists"
    title = "Transfer id already used"


class PendingResolved(Conflict):
    type = "pending_resolved"
    title = "Pending transfer already resolved"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    key: str
    currency: str
    flags: AccountFlag
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def balance_minor(self) -> int:
        """Posted credits less posted debits."""
        return self.credits_posted - self.debits_posted

    @property
    def available_minor(self) -> int:
        """What may still be debited: posted credits less posted and reserved debits."""
        return self.credits_posted - self.debits_posted - self.debits_pending


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    debit_account_id: int
    credit_account_id: int
    amount_minor: int
    currency: str
    code: TransferCode
    flags: TransferFlag
    pending_id: str | None
    timeout_at_ms: int | None
    ref_kind: RefKind
    ref_id: int
    pot_id: int | None
    created_at_ms: int

    def same_request(self, other: Transfer) -> bool:
        """Whether `other` asks for this very transfer (a replay), times aside."""
        return self._request() == other._request()

    def _request(self) -> tuple[object, ...]:
        return (
            self.debit_account_id,
            self.credit_account_id,
            self.amount_minor,
            self.currency,
            self.code,
            self.flags,
            self.pending_id,
            self.ref_kind,
            self.ref_id,
            self.pot_id,
        )

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "code": self.code.label,
            "flags": int(self.flags),
            "pending_id": self.pending_id,
            "created_at_ms": self.created_at_ms,
        }


def check_transfer_id(transfer_id: str) -> str:
    if not transfer_id or len(transfer_id) > TRANSFER_ID_MAX_CHARS:
        raise InvalidInput(f"transfer ids are 1 to {TRANSFER_ID_MAX_CHARS} characters")
    return transfer_id


def check_debit(account: Account, amount_minor: int) -> None:
    """Raise ExceedsCredits if debiting `amount_minor` would break the account's flags."""
    flagged = AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS in account.flags
    if flagged and amount_minor > account.available_minor:
        raise ExceedsCredits("not enough money available", available_minor=account.available_minor)


def check_credit(account: Account, amount_minor: int) -> None:
    """Raise ExceedsCredits if crediting `amount_minor` would break the account's flags."""
    room = account.debits_posted - account.credits_posted - account.credits_pending
    if AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS in account.flags and amount_minor > room:
        raise ExceedsCredits("the account cannot take that much", available_minor=room)
