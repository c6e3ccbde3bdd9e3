"""The ledger store (DESIGN.md §4) on SQLite and PostgreSQL: idempotent transfers, pending
transfers resolved at most once, balances that never go below what the flags allow, and the
same under concurrent writers on PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

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
    TransferState,
)
from colletta.errors import InvalidInput, NotFound
from colletta.store import ledger
from colletta.store.db import Conn, Database
from colletta.store.schema import ledger_transfers

NOW_MS = 1_800_000_000_000
FLAGGED = AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS


async def account(
    db: Database, key: str, currency: str = "EUR", flags: AccountFlag = AccountFlag.NONE
) -> Account:
    async with db.write() as tx:
        return await ledger.ensure_account(tx.conn, key, currency, flags, NOW_MS)


async def transfer(db: Database, transfer_id: str, **fields: Any) -> tuple[Transfer, bool]:
    async with db.write() as tx:
        return await ledger.create_transfer(tx.conn, transfer_id, **_request(fields))


def _request(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": TransferCode.CONTRIBUTION,
        "ref_kind": RefKind.CONTRIBUTION,
        "ref_id": 1,
        "now_ms": NOW_MS,
        **fields,
    }


async def resolve(
    db: Database, transfer_id: str, pending_id: str, resolution: TransferFlag
) -> tuple[Transfer, bool]:
    async with db.write() as tx:
        return await ledger.resolve_pending(
            tx.conn, transfer_id, pending_id, resolution, now_ms=NOW_MS
        )


async def balances(db: Database, *accounts: Account) -> list[tuple[int, int, int, int]]:
    async with db.read() as conn:
        found = await ledger.get_accounts(conn, [a.id for a in accounts])
    return [
        (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)
        for a in (found[b.id] for b in accounts)
    ]


async def transfer_count(conn: Conn) -> int:
    return int(await conn.scalar(select(func.count()).select_from(ledger_transfers)))


async def funded(db: Database, amount_minor: int) -> tuple[Account, Account, Account]:
    """Clearing → pot (flagged) with `amount_minor` posted, and a payee account."""
    clearing = await account(db, "provider_clearing:sandbox:EUR")
    pot = await account(db, "pot:1", flags=FLAGGED)
    payee = await account(db, "payees:EUR")
    await transfer(
        db,
        "fund",
        debit_account_id=clearing.id,
        credit_account_id=pot.id,
        amount_minor=amount_minor,
    )
    return clearing, pot, payee


# --- accounts


async def test_ensure_account_creates_once(db: Database) -> None:
    first = await account(db, "pot:1", flags=FLAGGED)
    again = await account(db, "pot:1", flags=FLAGGED)
    assert first == again
    assert (first.key, first.currency, first.flags) == ("pot:1", "EUR", FLAGGED)


async def test_ensure_account_refuses_another_currency_or_flags(db: Database) -> None:
    await account(db, "pot:1", flags=FLAGGED)
    # The account exists: asking for it in another currency or with other flags is a bug in
    # the caller, never a silent answer with the account as it is.
    with pytest.raises(InvalidInput):
        await account(db, "pot:1", currency="USD", flags=FLAGGED)
    with pytest.raises(InvalidInput):
        await account(db, "pot:1", flags=AccountFlag.NONE)


# --- posted transfers and replays


async def test_a_replay_returns_the_same_transfer_and_changes_nothing(db: Database) -> None:
    clearing, pot, _ = await funded(db, 500)
    request = {"debit_account_id": clearing.id, "credit_account_id": pot.id, "amount_minor": 500}
    before = await balances(db, clearing, pot)
    async with db.read() as conn:
        first = await ledger.get_transfer(conn, "fund")
        count = await transfer_count(conn)
    replayed, created = await transfer(db, "fund", **request, now_ms=NOW_MS + 5)
    assert not created
    assert replayed == first
    assert await balances(db, clearing, pot) == before == [(0, 500, 0, 0), (0, 0, 0, 500)]
    async with db.read() as conn:
        assert await transfer_count(conn) == count


@pytest.mark.parametrize(
    "change",
    [
        {"amount_minor": 501},
        {"code": TransferCode.REFUND},
        {"flags": TransferFlag.PENDING},
        {"ref_kind": RefKind.PROPOSAL},
        {"ref_id": 2},
        {"pot_id": 7},
        {"swap": True},
    ],
)
async def test_the_same_id_with_other_fields_is_refused(
    db: Database, change: dict[str, Any]
) -> None:
    change = dict(change)  # the same dict serves both backends
    clearing, pot, _ = await funded(db, 500)
    request: dict[str, Any] = {
        "debit_account_id": clearing.id,
        "credit_account_id": pot.id,
        "amount_minor": 500,
    }
    if change.pop("swap", False):
        request["debit_account_id"], request["credit_account_id"] = pot.id, clearing.id
    before = await balances(db, clearing, pot)
    with pytest.raises(TransferMismatch) as info:
        await transfer(db, "fund", **{**request, **change})
    assert info.value.type == "transfer_exists"
    assert await balances(db, clearing, pot) == before


async def test_currencies_do_not_mix(db: Database) -> None:
    eur = await account(db, "provider_clearing:sandbox:EUR")
    usd = await account(db, "pot:2", currency="USD")
    with pytest.raises(InvalidInput):
        await transfer(db, "x", debit_account_id=eur.id, credit_account_id=usd.id, amount_minor=1)
    assert await balances(db, eur, usd) == [(0, 0, 0, 0), (0, 0, 0, 0)]


@pytest.mark.parametrize("amount_minor", [0, -1, True, 10**15 + 1])
async def test_amounts_are_positive_whole_and_bounded(db: Database, amount_minor: int) -> None:
    a = await account(db, "a")
    b = await account(db, "b")
    with pytest.raises(InvalidInput):
        await transfer(
            db, "x", debit_account_id=a.id, credit_account_id=b.id, amount_minor=amount_minor
        )


@pytest.mark.parametrize(
    "flags", [TransferFlag.POST_PENDING, TransferFlag.VOID_PENDING, TransferFlag.EXPIRE_PENDING]
)
async def test_create_transfer_takes_no_resolution_flag(db: Database, flags: TransferFlag) -> None:
    # A resolution names its pending transfer: `resolve_pending` writes it. Passed here, the
    # flag was dropped and the amount posted as an ordinary transfer.
    a = await account(db, "a")
    b = await account(db, "b")
    with pytest.raises(InvalidInput):
        await transfer(
            db, "x", debit_account_id=a.id, credit_account_id=b.id, amount_minor=5, flags=flags
        )
    assert await balances(db, a, b) == [(0, 0, 0, 0), (0, 0, 0, 0)]


# --- debits must not exceed credits


async def test_an_overdraft_is_refused_reservations_included(db: Database) -> None:
    _, pot, payee = await funded(db, 100)
    pending = {"debit_account_id": pot.id, "credit_account_id": payee.id}
    await transfer(db, "p1", **pending, amount_minor=60, flags=TransferFlag.PENDING)
    before = await balances(db, pot, payee)
    async with db.read() as conn:
        count = await transfer_count(conn)
    for flags in (TransferFlag.NONE, TransferFlag.PENDING):
        with pytest.raises(ExceedsCredits) as info:
            await transfer(db, f"p2-{int(flags)}", **pending, amount_minor=41, flags=flags)
        assert info.value.type == "insufficient_funds"
        assert info.value.extra["available_minor"] == 40
    # Nothing written when refused: no row, no balance moved.
    assert await balances(db, pot, payee) == before == [(60, 0, 0, 100), (0, 0, 60, 0)]
    async with db.read() as conn:
        assert await transfer_count(conn) == count
        assert await ledger.get_transfer(conn, "p2-0") is None
    # Exactly what is available still goes through; voiding the reservation frees it again.
    await transfer(db, "p3", **pending, amount_minor=40, flags=TransferFlag.PENDING)
    with pytest.raises(ExceedsCredits):
        await transfer(db, "p4", **pending, amount_minor=1)
    await resolve(db, "p1:resolved", "p1", TransferFlag.VOID_PENDING)
    await transfer(db, "p4", **pending, amount_minor=60)
    assert await balances(db, pot, payee) == [(40, 60, 0, 100), (0, 0, 40, 60)]


async def test_a_replay_is_answered_even_when_the_money_is_gone(db: Database) -> None:
    _, pot, payee = await funded(db, 100)
    request = {"debit_account_id": pot.id, "credit_account_id": payee.id, "amount_minor": 100}
    first, created = await transfer(db, "spend", **request)
    assert created
    again, created = await transfer(db, "spend", **request)
    assert (again, created) == (first, False)


# --- pending transfers


@pytest.mark.parametrize(
    ("resolution", "state", "after"),
    [
        (TransferFlag.POST_PENDING, TransferState.POSTED, [(0, 30, 0, 100), (0, 0, 0, 30)]),
        (TransferFlag.VOID_PENDING, TransferState.VOIDED, [(0, 0, 0, 100), (0, 0, 0, 0)]),
        (TransferFlag.EXPIRE_PENDING, TransferState.EXPIRED, [(0, 0, 0, 100), (0, 0, 0, 0)]),
    ],
)
async def test_a_pending_transfer_is_posted_voided_or_expired_once(
    db: Database,
    resolution: TransferFlag,
    state: TransferState,
    after: list[tuple[int, int, int, int]],
) -> None:
    _, pot, payee = await funded(db, 100)
    pending, _ = await transfer(
        db,
        "proposal:1",
        debit_account_id=pot.id,
        credit_account_id=payee.id,
        amount_minor=30,
        code=TransferCode.PAYOUT,
        ref_kind=RefKind.PROPOSAL,
        flags=TransferFlag.PENDING,
        pot_id=1,
    )
    assert await balances(db, pot, payee) == [(30, 0, 0, 100), (0, 0, 30, 0)]
    done, created = await resolve(db, "proposal:1:resolved", "proposal:1", resolution)
    assert created
    assert (done.pending_id, done.flags, done.amount_minor) == ("proposal:1", resolution, 30)
    assert await balances(db, pot, payee) == after
    async with db.read() as conn:
        assert await ledger.transfer_state(conn, pending) is state
        listed = await ledger.list_pot_transfers(conn, 1)
        assert [(t.id, s) for t, s in listed] == [("proposal:1", state)]
        count = await transfer_count(conn)

    # A replay of the resolution: the same transfer, nothing changes.
    again, created = await resolve(db, "proposal:1:resolved", "proposal:1", resolution)
    assert (again, created) == (done, False)
    # Any other resolution, under another id or the same one, is refused.
    for other in (TransferFlag.POST_PENDING, TransferFlag.VOID_PENDING):
        with pytest.raises(PendingResolved) as info:
            await resolve(db, "proposal:1:again", "proposal:1", other)
        assert info.value.extra["transfer_id"] == "proposal:1:resolved"
    if resolution is not TransferFlag.VOID_PENDING:
        with pytest.raises(TransferMismatch):
            await resolve(db, "proposal:1:resolved", "proposal:1", TransferFlag.VOID_PENDING)
    assert await balances(db, pot, payee) == after
    async with db.read() as conn:
        assert await transfer_count(conn) == count


async def test_only_a_pending_transfer_can_be_resolved(db: Database) -> None:
    clearing, pot, _ = await funded(db, 100)
    with pytest.raises(NotFound):
        await resolve(db, "fund:resolved", "fund", TransferFlag.POST_PENDING)
    with pytest.raises(NotFound):
        await resolve(db, "ghost:resolved", "ghost", TransferFlag.POST_PENDING)
    with pytest.raises(InvalidInput):
        await resolve(db, "fund:resolved", "fund", TransferFlag.PENDING)
    assert await balances(db, clearing, pot) == [(0, 100, 0, 0), (0, 0, 0, 100)]


# --- concurrent writers (PostgreSQL: SQLite runs one writer at a time)


def postgres_only(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL runs writers concurrently; SQLite one at a time")


async def test_concurrent_reservations_never_exceed_the_balance(db: Database) -> None:
    postgres_only(db)
    _, pot, payee = await funded(db, 1_000)

    async def reserve(n: int) -> bool:
        try:
            await transfer(
                db,
                f"r{n}",
                debit_account_id=pot.id,
                credit_account_id=payee.id,
                amount_minor=30 + n,
                flags=TransferFlag.PENDING,
            )
        except ExceedsCredits:
            return False
        return True

    results = await asyncio.gather(*(reserve(n) for n in range(50)))
    reserved = sum(30 + n for n, ok in enumerate(results) if ok)
    assert 0 < reserved <= 1_000
    assert await balances(db, pot) == [(reserved, 0, 0, 1_000)]
    async with db.read() as conn:
        assert await transfer_count(conn) == 1 + sum(results)


async def test_concurrent_replays_write_one_transfer(db: Database) -> None:
    postgres_only(db)
    clearing, pot, _ = await funded(db, 0 + 1)
    request = {"debit_account_id": clearing.id, "credit_account_id": pot.id, "amount_minor": 7}
    results = await asyncio.gather(*(transfer(db, "same", **request) for _ in range(20)))
    assert sum(created for _, created in results) == 1
    assert len({t for t, _ in results}) == 1
    assert await balances(db, clearing, pot) == [(0, 8, 0, 0), (0, 0, 0, 8)]


async def test_concurrent_uses_of_one_id_for_different_transfers(db: Database) -> None:
    """Requests under one id with different accounts lock different rows, so nothing
    serializes them before the insert: the losers get TransferMismatch, never a driver
    error, and only the winner's balances move."""
    postgres_only(db)
    pairs = []
    for n in range(10):
        pairs.append((await account(db, f"d{n}"), await account(db, f"c{n}")))

    async def attempt(n: int) -> bool:
        debit, credit = pairs[n]
        try:
            await transfer(
                db,
                "contested",
                debit_account_id=debit.id,
                credit_account_id=credit.id,
                amount_minor=5,
            )
        except TransferMismatch:
            return False
        return True

    results = await asyncio.gather(*(attempt(n) for n in range(10)))
    assert sum(results) == 1
    winner = results.index(True)
    for n, (debit, credit) in enumerate(pairs):
        moved = 5 if n == winner else 0
        assert await balances(db, debit, credit) == [(0, moved, 0, 0), (0, 0, 0, moved)]


async def test_concurrent_resolutions_resolve_once(db: Database) -> None:
    postgres_only(db)
    _, pot, payee = await funded(db, 100)
    await transfer(
        db,
        "p",
        debit_account_id=pot.id,
        credit_account_id=payee.id,
        amount_minor=40,
        flags=TransferFlag.PENDING,
    )
    flags = [TransferFlag.POST_PENDING, TransferFlag.VOID_PENDING, TransferFlag.EXPIRE_PENDING]

    async def attempt(n: int) -> TransferFlag | None:
        # Half replay one resolution id; the rest race with ids of their own.
        transfer_id = "p:resolved" if n % 2 else f"p:other{n}"
        try:
            done, _ = await resolve(db, transfer_id, "p", flags[n % 3])
        except (PendingResolved, TransferMismatch):
            return None
        return done.flags

    results = await asyncio.gather(*(attempt(n) for n in range(20)))
    winners = {flag for flag in results if flag is not None}
    assert len(winners) == 1
    async with db.read() as conn:
        assert await transfer_count(conn) == 3
    posted = 40 if winners == {TransferFlag.POST_PENDING} else 0
    assert await balances(db, pot, payee) == [(0, posted, 0, 100), (0, 0, 0, posted)]
