"""Property (DESIGN.md §4): whatever accounts, transfers, replays and resolutions come, the ledger
store does what an independent model of the rules says (the same transfer or the same refusal),
its balances equal the model's, and check-ledger finds nothing wrong with the ledger itself.

The machine writes ledger rows only, no contributions, proposals or pots: the business-row
checks (`REFERENCE_CODES`: every transfer unreferenced here) are left out of the assertion,
and tests/store/test_ledger_check.py covers them with real business rows. Runs on SQLite, and
on PostgreSQL when COLLETTA_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, func, select

from colletta.domain.ledger import (
    Account,
    AccountFlag,
    ExceedsCredits,
    PendingResolved,
    RefKind,
    Transfer,
    TransferCode,
    TransferFlag,
    TransferMismatch,
)
from colletta.errors import ColettaError, InvalidInput, NotFound
from colletta.store import ledger
from colletta.store.db import Database
from colletta.store.ledger_check import REFERENCE_CODES, check_ledger
from colletta.store.schema import ledger_accounts, ledger_transfers

T = TypeVar("T")
NOW_MS = 1_800_000_000_000
ACCOUNT_FLAGS = [
    AccountFlag.NONE,
    AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS,
    AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS,
    AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS,
]
RESOLUTION_FLAGS = [
    TransferFlag.POST_PENDING,
    TransferFlag.VOID_PENDING,
    TransferFlag.EXPIRE_PENDING,
]


@dataclass(frozen=True)
class Request:
    """What a caller of `create_transfer` asks for."""

    id: str
    debit: int
    credit: int
    amount_minor: int
    code: TransferCode
    pending: bool
    ref_id: int
    pot_id: int | None

    def changed(self, what: str | None) -> Request:
        if what == "amount":
            return replace(self, amount_minor=self.amount_minor + 1)
        if what == "code":
            return replace(self, code=TransferCode(self.code % len(TransferCode) + 1))
        if what == "pending":
            return replace(self, pending=not self.pending)
        if what == "ref_id":
            return replace(self, ref_id=self.ref_id + 1)
        if what == "pot_id":
            return replace(self, pot_id=None if self.pot_id else 1)
        if what == "swap":
            return replace(self, debit=self.credit, credit=self.debit)
        return self


@dataclass
class Held:
    """The model's account: balances as [debits_pending, debits_posted, credits_pending,
    credits_posted]."""

    key: str
    currency: str
    flags: AccountFlag
    balances: list[int] = field(default_factory=lambda: [0, 0, 0, 0])


@dataclass
class Model:
    """The ledger's rules, written again from DESIGN.md §4 and docs/ledger.md."""

    accounts: dict[int, Held] = field(default_factory=dict)
    # Every transfer written: its id → (what was asked, as a comparable tuple; the transfer).
    written: dict[str, tuple[tuple[Any, ...], Transfer]] = field(default_factory=dict)
    resolved_by: dict[str, str] = field(default_factory=dict)  # pending id → resolution id

    def create(self, r: Request) -> type[ColettaError] | tuple[Transfer, bool]:
        if r.debit == r.credit:
            return InvalidInput
        debit, credit = self.accounts[r.debit], self.accounts[r.credit]
        if debit.currency != credit.currency:
            return InvalidInput
        asked = ("create", r.debit, r.credit, r.amount_minor, r.code, r.pending, r.ref_id, r.pot_id)
        if r.id in self.written:
            return self._replay(r.id, asked)
        available = debit.balances[3] - debit.balances[1] - debit.balances[0]
        room = credit.balances[1] - credit.balances[3] - credit.balances[2]
        if (
            AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS in debit.flags and r.amount_minor > available
        ) or (AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS in credit.flags and r.amount_minor > room):
            return ExceedsCredits
        column = 0 if r.pending else 1
        debit.balances[column] += r.amount_minor
        credit.balances[column + 2] += r.amount_minor
        transfer = Transfer(
            id=r.id,
            debit_account_id=r.debit,
            credit_account_id=r.credit,
            amount_minor=r.amount_minor,
            currency=debit.currency,
            code=r.code,
            flags=TransferFlag.PENDING if r.pending else TransferFlag.NONE,
            pending_id=None,
            timeout_at_ms=None,
            ref_kind=RefKind.CONTRIBUTION,
            ref_id=r.ref_id,
            pot_id=r.pot_id,
            created_at_ms=NOW_MS,
        )
        self.written[r.id] = (asked, transfer)
        return transfer, True

    def resolve(
        self, transfer_id: str, pending_id: str, resolution: TransferFlag
    ) -> type[ColettaError] | tuple[Transfer, bool]:
        if pending_id not in self.written:
            return NotFound
        pending = self.written[pending_id][1]
        if TransferFlag.PENDING not in pending.flags:
            return NotFound
        asked = ("resolve", pending_id, resolution)
        if transfer_id in self.written:
            return self._replay(transfer_id, asked)
        if pending_id in self.resolved_by:
            return PendingResolved
        amount = pending.amount_minor
        debit = self.accounts[pending.debit_account_id]
        credit = self.accounts[pending.credit_account_id]
        debit.balances[0] -= amount
        credit.balances[2] -= amount
        if resolution is TransferFlag.POST_PENDING:
            debit.balances[1] += amount
            credit.balances[3] += amount
        transfer = replace(pending, id=transfer_id, flags=resolution, pending_id=pending_id)
        self.written[transfer_id] = (asked, transfer)
        self.resolved_by[pending_id] = transfer_id
        return transfer, True

    def _replay(
        self, transfer_id: str, asked: tuple[Any, ...]
    ) -> type[ColettaError] | tuple[Transfer, bool]:
        first_asked, transfer = self.written[transfer_id]
        return (transfer, False) if asked == first_asked else TransferMismatch


def _label(outcome: type[ColettaError] | tuple[Transfer, bool]) -> str:
    if isinstance(outcome, tuple):
        return "created" if outcome[1] else "replayed"
    return outcome.__name__


class LedgerMachine(RuleBasedStateMachine):
    # One event loop and one database for every example (SQLite's writer lock is bound to
    # the loop it was first used on); each example starts from an empty ledger.
    runner: ClassVar[asyncio.Runner]
    db: ClassVar[Database]

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.serial = 0
        self.history: list[Request] = []  # every request made, written or refused
        self.run(self._empty())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def next_name(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    async def _empty(self) -> None:
        async with self.db.write() as tx:
            await tx.conn.execute(delete(ledger_transfers))
            await tx.conn.execute(delete(ledger_accounts))

    # --- accounts

    @initialize()
    def open_first_accounts(self) -> None:
        """Where money comes from (unflagged, so flagged accounts can be funded), a pot that
        must not overdraw (funded), and where it goes."""
        for currency, flags in (
            ("EUR", AccountFlag.NONE),
            ("JPY", AccountFlag.NONE),
            ("EUR", AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS),
            ("EUR", AccountFlag.NONE),
        ):
            self.open_account(currency, flags)
        clearing, _, pot, _ = sorted(self.model.accounts)
        self.submit(Request("funding", clearing, pot, 300, TransferCode.CONTRIBUTION, False, 1, 1))

    @rule(currency=st.sampled_from(["EUR", "EUR", "JPY"]), flags=st.sampled_from(ACCOUNT_FLAGS))
    def open_account(self, currency: str, flags: AccountFlag) -> None:
        key = self.next_name("account:")
        account = self.run(self._ensure(key, currency, flags))
        assert (account.key, account.currency, account.flags) == (key, currency, flags)
        self.model.accounts[account.id] = Held(key, currency, flags)

    @rule(data=st.data(), other_flags=st.booleans())
    def open_again(self, data: st.DataObject, other_flags: bool) -> None:
        account_id = data.draw(st.sampled_from(sorted(self.model.accounts)))
        held = self.model.accounts[account_id]
        flags = held.flags
        if other_flags:
            flags = AccountFlag.NONE if flags else AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS
        try:
            account = self.run(self._ensure(held.key, held.currency, flags))
        except InvalidInput:
            assert other_flags
            return
        assert not other_flags
        assert account.id == account_id
        balances = account.debits_pending, account.debits_posted
        assert [*balances, account.credits_pending, account.credits_posted] == held.balances

    async def _ensure(self, key: str, currency: str, flags: AccountFlag) -> Account:
        async with self.db.write() as tx:
            return await ledger.ensure_account(tx.conn, key, currency, flags, NOW_MS)

    # --- transfers

    @rule(
        data=st.data(),
        # Round amounts meet at the edges of what is available more often.
        amount_minor=st.sampled_from([1, 100, 150, 300]) | st.integers(1, 300),
        code=st.sampled_from(TransferCode),
        pending=st.booleans(),
        ref_id=st.integers(1, 3),
        pot_id=st.sampled_from([None, 1, 2]),
    )
    def transfer(
        self,
        data: st.DataObject,
        amount_minor: int,
        code: TransferCode,
        pending: bool,
        ref_id: int,
        pot_id: int | None,
    ) -> None:
        """A new transfer, mostly between two accounts of one currency (the others are
        refused, as is an account paying itself)."""
        ids = sorted(self.model.accounts)
        debit = data.draw(st.sampled_from(ids))
        currency = self.model.accounts[debit].currency
        peers = [i for i in ids if i != debit and self.model.accounts[i].currency == currency]
        usual = bool(peers) and data.draw(st.integers(0, 9)) > 0
        credit = data.draw(st.sampled_from(peers if usual else ids))
        request = Request(
            self.next_name("t"), debit, credit, amount_minor, code, pending, ref_id, pot_id
        )
        self.history.append(request)
        self.submit(request)

    @precondition(lambda self: self.history)
    @rule(
        data=st.data(),
        change=st.sampled_from(
            [None, None, "amount", "code", "pending", "ref_id", "pot_id", "swap"]
        ),
    )
    def replay(self, data: st.DataObject, change: str | None) -> None:
        """An earlier request again, as it was or with one field changed (it may have been
        refused the first time: then it is as good as new)."""
        request = data.draw(st.sampled_from(self.history))
        self.submit(request.changed(change))

    def submit(self, request: Request) -> None:
        expected = self.model.create(request)
        got = self.run(self._outcome(self._create(request)))
        assert got == expected, (request, got, expected)
        event(f"create {_label(got)}")

    async def _create(self, r: Request) -> tuple[Transfer, bool]:
        async with self.db.write() as tx:
            return await ledger.create_transfer(
                tx.conn,
                r.id,
                debit_account_id=r.debit,
                credit_account_id=r.credit,
                amount_minor=r.amount_minor,
                code=r.code,
                ref_kind=RefKind.CONTRIBUTION,
                ref_id=r.ref_id,
                now_ms=NOW_MS,
                flags=TransferFlag.PENDING if r.pending else TransferFlag.NONE,
                pot_id=r.pot_id,
            )

    @staticmethod
    async def _outcome(
        coroutine: Coroutine[Any, Any, tuple[Transfer, bool]],
    ) -> type[ColettaError] | tuple[Transfer, bool]:
        try:
            return await coroutine
        except ColettaError as exc:
            return type(exc)

    # --- resolutions

    @precondition(lambda self: self.history)
    @rule(data=st.data(), resolution=st.sampled_from(RESOLUTION_FLAGS), usual_id=st.booleans())
    def resolve(self, data: st.DataObject, resolution: TransferFlag, usual_id: bool) -> None:
        """Post, void or expire a pending transfer (resolved already or not; now and then
        another request's), under the id the pots code uses (so a second try is a replay or a
        mismatch) or a new one (PendingResolved)."""
        pending = [i for i, (_, t) in self.model.written.items() if TransferFlag.PENDING in t.flags]
        usual = bool(pending) and data.draw(st.integers(0, 4)) > 0
        pending_id = data.draw(st.sampled_from(pending if usual else [r.id for r in self.history]))
        transfer_id = f"{pending_id}:resolved" if usual_id else self.next_name("r")
        expected = self.model.resolve(transfer_id, pending_id, resolution)
        got = self.run(self._outcome(self._resolve(transfer_id, pending_id, resolution)))
        assert got == expected, (transfer_id, pending_id, got, expected)
        event(f"resolve {_label(got)}")

    async def _resolve(
        self, transfer_id: str, pending_id: str, resolution: TransferFlag
    ) -> tuple[Transfer, bool]:
        async with self.db.write() as tx:
            return await ledger.resolve_pending(
                tx.conn, transfer_id, pending_id, resolution, now_ms=NOW_MS
            )

    # --- after every step

    @invariant()
    def ledger_holds(self) -> None:
        self.run(self._ledger_holds())

    async def _ledger_holds(self) -> None:
        async with self.db.read() as conn:
            stored = await ledger.get_accounts(conn, list(self.model.accounts))
            count = await conn.scalar(select(func.count()).select_from(ledger_transfers))
            problems = await check_ledger(conn)
        for account_id, held in self.model.accounts.items():
            account = stored[account_id]
            balances = [
                account.debits_pending,
                account.debits_posted,
                account.credits_pending,
                account.credits_posted,
            ]
            assert balances == held.balances, (held, account)
            if AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS in account.flags:
                assert account.available_minor >= 0
        assert count == len(self.model.written)
        assert [p for p in problems if p.code not in REFERENCE_CODES] == []


# A pass takes seconds; shrinking a failure can take minutes, and pytest-timeout cutting the
# shrinker short would turn the failure into a confusing FlakyFailure.
@pytest.mark.timeout(900)
def test_the_ledger_follows_its_rules(db_url: str) -> None:
    with asyncio.Runner() as runner:
        LedgerMachine.runner = runner
        LedgerMachine.db = Database(db_url)
        try:
            run_state_machine_as_test(
                LedgerMachine,
                settings=settings(
                    max_examples=25,
                    stateful_step_count=30,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                ),
            )
        finally:
            runner.run(LedgerMachine.db.dispose())
