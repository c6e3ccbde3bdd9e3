"""The ledger's tables: accounts with running balances and immutable transfers (DESIGN.md §4).

Every change goes through `create_transfer`, inside the caller's transaction: it locks the two
accounts (in id order, so two transfers never deadlock), answers a replay with the transfer
already written, checks the accounts' flags against the locked balances, then writes the
transfer and the new balances. A pending transfer is resolved by a second transfer naming it
in `pending_id`, which is unique, so it is resolved at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert

from colletta.domain.ledger import (
    Account,
    AccountFlag,
    PendingResolved,
    RefKind,
    Transfer,
    TransferCode,
    TransferFlag,
    TransferMismatch,
    TransferState,
    check_credit,
    check_debit,
    check_transfer_id,
)
from colletta.domain.money import check_amount, check_currency
from colletta.errors import InvalidInput, NotFound
from colletta.ids import new_id
from colletta.store.db import Conn, Prepared
from colletta.store.schema import ledger_accounts, ledger_transfers

_A = ledger_accounts.c
_T = ledger_transfers.c


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        key=row.key,
        currency=row.currency,
        flags=AccountFlag(row.flags),
        debits_pending=row.debits_pending,
        debits_posted=row.debits_posted,
        credits_pending=row.credits_pending,
        credits_posted=row.credits_posted,
    )


def _transfer(row: Any) -> Transfer:
    return Transfer(
        id=row.id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        code=TransferCode(row.code),
        flags=TransferFlag(row.flags),
        pending_id=row.pending_id,
        timeout_at_ms=row.timeout_at_ms,
        ref_kind=RefKind(row.ref_kind),
        ref_id=row.ref_id,
        pot_id=row.pot_id,
        created_at_ms=row.created_at_ms,
    )


async def ensure_account(
    conn: Conn, key: str, currency: str, flags: AccountFlag, now_ms: int
) -> Account:
    """The account named `key`, created on first use (safe against a concurrent creator).

    A key names one account: asking for it in another currency or with other flags than it
    was created with is refused, never answered with the account as it is."""
    check_currency(currency)
    account = await get_account(conn, key)
    if account is None:
        await conn.execute(
            upsert(ledger_accounts)
            .values(id=new_id(), key=key, currency=currency, flags=int(flags), created_at_ms=now_ms)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        account = await get_account(conn, key)
        assert account is not None
    if (account.currency, account.flags) != (currency, flags):
        raise InvalidInput(
            f"account {key} is in {account.currency} with flags {int(account.flags)}, "
            f"not in {currency} with flags {int(flags)}"
        )
    return account


# The statements every transfer runs, built once (constructing one costs more than running
# it on SQLite).
_ACCOUNT_BY_KEY = Prepared(select(ledger_accounts).where(_A.key == bindparam("b_key")))
_LOCK_TWO = Prepared(
    select(ledger_accounts)
    .where(_A.id.in_([bindparam("b_first"), bindparam("b_second")]))
    .order_by(_A.id)
    .with_for_update()
)
_TRANSFER_BY_ID = Prepared(select(ledger_transfers).where(_T.id == bindparam("b_id")))
_INSERT_TRANSFER = Prepared(upsert(ledger_transfers).on_conflict_do_nothing().returning(_T.id))
_MOVES: dict[tuple[str, ...], Prepared] = {}


def _move_of(columns: tuple[str, ...]) -> Prepared:
    """`UPDATE ledger_accounts SET c = c + ? … WHERE id = ?`, built once per set of columns."""
    if (found := _MOVES.get(columns)) is None:
        found = _MOVES[columns] = Prepared(
            update(ledger_accounts)
            .where(_A.id == bindparam("b_id"))
            .values({_A[name]: _A[name] + bindparam(f"d_{name}") for name in columns})
        )
    return found


async def get_account(conn: Conn, key: str) -> Account | None:
    row = (await conn.execute(_ACCOUNT_BY_KEY, {"b_key": key})).first()
    return None if row is None else _account(row)


async def get_accounts(conn: Conn, ids: Iterable[int]) -> dict[int, Account]:
    rows = await conn.execute(select(ledger_accounts).where(_A.id.in_(list(ids))))
    return {row.id: _account(row) for row in rows}


async def _lock_accounts(conn: Conn, ids: Sequence[int]) -> dict[int, Account]:
    """Both accounts of a transfer, row-locked in id order (PostgreSQL; SQLite has one writer)."""
    wanted = sorted(set(ids))
    if len(wanted) == 2:
        rows = await conn.execute(_LOCK_TWO, {"b_first": wanted[0], "b_second": wanted[1]})
    else:
        rows = await conn.execute(
            select(ledger_accounts).where(_A.id.in_(wanted)).order_by(_A.id).with_for_update()
        )
    return {row.id: _account(row) for row in rows}


async def get_transfer(conn: Conn, transfer_id: str) -> Transfer | None:
    row = (await conn.execute(_TRANSFER_BY_ID, {"b_id": transfer_id})).first()
    return None if row is None else _transfer(row)


async def get_resolution(conn: Conn, pending_id: str) -> Transfer | None:
    """The transfer that posted, voided or expired `pending_id`, if any."""
    row = (await conn.execute(select(ledger_transfers).where(_T.pending_id == pending_id))).first()
    return None if row is None else _transfer(row)


async def transfer_state(conn: Conn, transfer: Transfer) -> TransferState:
    if TransferFlag.PENDING not in transfer.flags:
        return TransferState.POSTED
    resolution = await get_resolution(conn, transfer.id)
    return state_after(resolution)


def state_after(resolution: Transfer | None) -> TransferState:
    """The state of a pending transfer given what resolved it."""
    if resolution is None:
        return TransferState.PENDING
    return _state_of_flags(resolution.flags)


async def create_transfer(
    conn: Conn,
    transfer_id: str,
    *,
    debit_account_id: int,
    credit_account_id: int,
    amount_minor: int,
    code: TransferCode,
    ref_kind: RefKind,
    ref_id: int,
    now_ms: int,
    flags: TransferFlag = TransferFlag.NONE,
    pot_id: int | None = None,
    timeout_at_ms: int | None = None,
) -> tuple[Transfer, bool]:
    """Write a posted or pending transfer; (transfer, created). A replay of the same request
    returns the first transfer with created=False; the same id with other fields is a 409."""
    check_transfer_id(transfer_id)
    check_amount(amount_minor)
    if flags not in (TransferFlag.NONE, TransferFlag.PENDING):
        raise InvalidInput("a new transfer is posted or pending", field="flags")
    if debit_account_id == credit_account_id:
        raise InvalidInput("a transfer moves money between two accounts")
    accounts = await _lock_accounts(conn, (debit_account_id, credit_account_id))
    if len(accounts) != 2:
        raise NotFound("no such account")
    debit, credit = accounts[debit_account_id], accounts[credit_account_id]
    if debit.currency != credit.currency:
        raise InvalidInput("a transfer stays within one currency's ledger")
    wanted = Transfer(
        id=transfer_id,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount_minor=amount_minor,
        currency=debit.currency,
        code=code,
        flags=flags,
        pending_id=None,
        timeout_at_ms=timeout_at_ms,
        ref_kind=ref_kind,
        ref_id=ref_id,
        pot_id=pot_id,
        created_at_ms=now_ms,
    )
    if (existing := await _replayed(conn, wanted)) is not None:
        return existing, False
    check_debit(debit, amount_minor)
    check_credit(credit, amount_minor)
    column = "pending" if TransferFlag.PENDING in flags else "posted"
    return await _write(
        conn,
        wanted,
        {
            debit.id: {f"debits_{column}": amount_minor},
            credit.id: {f"credits_{column}": amount_minor},
        },
    )


async def resolve_pending(
    conn: Conn,
    transfer_id: str,
    pending_id: str,
    resolution: TransferFlag,
    *,
    now_ms: int,
) -> tuple[Transfer, bool]:
    """Post, void or expire the pending transfer `pending_id` with a transfer of its own id;
    (transfer, created). A replay returns the first; a second, different resolution is a 409."""
    check_transfer_id(transfer_id)
    if resolution not in (
        TransferFlag.POST_PENDING,
        TransferFlag.VOID_PENDING,
        TransferFlag.EXPIRE_PENDING,
    ):
        raise InvalidInput("a resolution posts, voids or expires")
    pending = await get_transfer(conn, pending_id)
    if pending is None or TransferFlag.PENDING not in pending.flags:
        raise NotFound("no such pending transfer")
    await _lock_accounts(conn, (pending.debit_account_id, pending.credit_account_id))
    wanted = Transfer(
        id=transfer_id,
        debit_account_id=pending.debit_account_id,
        credit_account_id=pending.credit_account_id,
        amount_minor=pending.amount_minor,
        currency=pending.currency,
        code=pending.code,
        flags=resolution,
        pending_id=pending_id,
        timeout_at_ms=None,
        ref_kind=pending.ref_kind,
        ref_id=pending.ref_id,
        pot_id=pending.pot_id,
        created_at_ms=now_ms,
    )
    if (existing := await _replayed(conn, wanted)) is not None:
        return existing, False
    if (done := await get_resolution(conn, pending_id)) is not None:
        raise _already_resolved(done)
    amount = pending.amount_minor
    posted = amount if resolution is TransferFlag.POST_PENDING else 0
    return await _write(
        conn,
        wanted,
        {
            pending.debit_account_id: {"debits_pending": -amount, "debits_posted": posted},
            pending.credit_account_id: {"credits_pending": -amount, "credits_posted": posted},
        },
    )


def _already_resolved(done: Transfer) -> PendingResolved:
    return PendingResolved(
        f"that transfer is already {state_after(done).value}", transfer_id=done.id
    )


async def _replayed(conn: Conn, wanted: Transfer) -> Transfer | None:
    """The transfer already written under `wanted.id`, if it is the same request."""
    existing = await get_transfer(conn, wanted.id)
    if existing is None:
        return None
    if not existing.same_request(wanted):
        raise TransferMismatch("that transfer id was used for another transfer")
    return existing


async def _write(
    conn: Conn, wanted: Transfer, moves: dict[int, dict[str, int]]
) -> tuple[Transfer, bool]:
    """Insert `wanted`, then move the balances (account id → column → delta).

    Both accounts are locked, but a concurrent request under the same id with other
    accounts, or a concurrent resolution of the same pending transfer, is not held by those
    locks: the insert then finds the other's row and stops (PostgreSQL waits for its
    transaction to end), and the caller gets the replay or the 409 it would have got had it
    come second, never a driver error; nothing is moved."""
    inserted = (await conn.execute(_INSERT_TRANSFER, _row(wanted))).first()
    if inserted is None:
        if (existing := await _replayed(conn, wanted)) is not None:
            return existing, False
        assert wanted.pending_id is not None  # the one other unique column
        done = await get_resolution(conn, wanted.pending_id)
        assert done is not None
        raise _already_resolved(done)
    for account_id, deltas in moves.items():
        columns = tuple(sorted(deltas))
        params = {f"d_{name}": deltas[name] for name in columns}
        params["b_id"] = account_id
        await conn.execute(_move_of(columns), params)
    return wanted, True


def _row(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "debit_account_id": transfer.debit_account_id,
        "credit_account_id": transfer.credit_account_id,
        "amount_minor": transfer.amount_minor,
        "currency": transfer.currency,
        "code": int(transfer.code),
        "flags": int(transfer.flags),
        "pending_id": transfer.pending_id,
        "timeout_at_ms": transfer.timeout_at_ms,
        "ref_kind": transfer.ref_kind.value,
        "ref_id": transfer.ref_id,
        "pot_id": transfer.pot_id,
        "created_at_ms": transfer.created_at_ms,
    }


async def list_pot_transfers(
    conn: Conn, pot_id: int, *, after: tuple[int, str] | None = None, limit: int = 100
) -> list[tuple[Transfer, TransferState]]:
    """A pot's transfers, oldest first, each with its state now; pending ones are listed once
    (their resolutions are not rows of their own in the view)."""
    query = (
        select(ledger_transfers, _resolution_flags())
        .where(and_(_T.pot_id == pot_id, _T.pending_id.is_(None)))
        .order_by(_T.created_at_ms, _T.id)
        .limit(limit)
    )
    if after is not None:
        at_ms, transfer_id = after
        query = query.where(
            or_(_T.created_at_ms > at_ms, and_(_T.created_at_ms == at_ms, _T.id > transfer_id))
        )
    out = []
    for row in await conn.execute(query):
        transfer = _transfer(row)
        if TransferFlag.PENDING not in transfer.flags:
            state = TransferState.POSTED
        elif row.resolution_flags is None:
            state = TransferState.PENDING
        else:
            state = _state_of_flags(TransferFlag(row.resolution_flags))
        out.append((transfer, state))
    return out


def _resolution_flags() -> Any:
    resolved = ledger_transfers.alias("resolved")
    return (
        select(resolved.c.flags)
        .where(resolved.c.pending_id == _T.id)
        .scalar_subquery()
        .label("resolution_flags")
    )


def _state_of_flags(flags: TransferFlag) -> TransferState:
    if TransferFlag.POST_PENDING in flags:
        return TransferState.POSTED
    if TransferFlag.EXPIRE_PENDING in flags:
        return TransferState.EXPIRED
    return TransferState.VOIDED


async def sum_by_code(conn: Conn, pot_id: int) -> dict[TransferCode, tuple[int, int]]:
    """Per code, (posted, pending) amounts of a pot's transfers."""
    resolved = ledger_transfers.alias("resolved")
    rows = await conn.execute(
        select(_T.code, _T.flags, resolved.c.flags.label("resolution"), func.sum(_T.amount_minor))
        .select_from(ledger_transfers.outerjoin(resolved, resolved.c.pending_id == _T.id))
        .where(and_(_T.pot_id == pot_id, _T.pending_id.is_(None)))
        .group_by(_T.code, _T.flags, resolved.c.flags)
    )
    totals: dict[TransferCode, tuple[int, int]] = {}
    for code, flags, resolution, amount in rows:
        posted, pending = totals.get(TransferCode(code), (0, 0))
        if not flags & TransferFlag.PENDING or (
            resolution is not None and resolution & TransferFlag.POST_PENDING
        ):
            posted += int(amount)
        elif resolution is None:
            pending += int(amount)
        totals[TransferCode(code)] = (posted, pending)
    return totals


async def count_transfers(conn: Conn, ref_kind: RefKind, ref_id: int, code: TransferCode) -> int:
    """How many transfers (not resolutions) of `code` a business row has."""
    return int(
        await conn.scalar(
            select(func.count()).where(
                and_(
                    _T.ref_kind == ref_kind.value,
                    _T.ref_id == ref_id,
                    _T.code == int(code),
                    _T.pending_id.is_(None),
                )
            )
        )
        or 0
    )
