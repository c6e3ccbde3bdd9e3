"""`colletta admin check-ledger` (DESIGN.md §4, docs/ledger.md): what must hold between the
ledger's accounts, its transfers and the rows they belong to, checked by a few aggregate
queries (each one pass over the transfers, on SQLite and PostgreSQL alike).

`check_accounts` holds the ledger to itself: every ledger balances, every account's balances
are what its transfers add up to, no flag is broken, every transfer is well formed and every
resolution matches its pending transfer. `check_references` holds it to the business rows:
every transfer belongs to a contribution or proposal that names it, and back, and each pot's
running total is what its transfers say. On PostgreSQL run both inside `begin_snapshot` so
that they see one moment of a live database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.sql.selectable import CTE

from colletta.domain.ledger import (
    RESOLUTIONS,
    AccountFlag,
    RefKind,
    TransferCode,
    TransferFlag,
)
from colletta.domain.pots import ContributionStatus
from colletta.store.db import Conn
from colletta.store.schema import contributions, ledger_accounts, ledger_transfers, pots, proposals

# A badly broken ledger is reported, not listed whole: at most this many problems per query.
PROBLEMS_MAX = 1000

_A = ledger_accounts.c
_BALANCES = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
_RESOLUTIONS = [int(flag) for flag in RESOLUTIONS]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: `code` is stable (docs/ledger.md lists them), `text` names the rows."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class LedgerSize:
    accounts: int
    transfers: int
    currencies: int


# Codes of `check_references`: the business rows' side.
REFERENCE_CODES = frozenset(
    {
        "transfer_unreferenced",
        "contribution_transfer_missing",
        "contribution_refund_missing",
        "proposal_transfer_missing",
        "pot_account_wrong",
        "pot_raised_mismatch",
    }
)


async def begin_snapshot(conn: Conn) -> None:
    """PostgreSQL, first thing in a read: every later query of it sees the same snapshot
    (READ COMMITTED would give each query its own, and a live ledger would seem off)."""
    await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


async def check_ledger(conn: Conn) -> list[Problem]:
    return [*await check_accounts(conn), *await check_references(conn)]


async def ledger_size(conn: Conn) -> LedgerSize:
    accounts, currencies = (
        await conn.execute(
            select(func.count(), func.count(_A.currency.distinct())).select_from(ledger_accounts)
        )
    ).one()
    transfers = await conn.scalar(select(func.count()).select_from(ledger_transfers))
    return LedgerSize(accounts=accounts, transfers=int(transfers), currencies=currencies)


# --- the ledger against itself


async def check_accounts(conn: Conn) -> list[Problem]:
    return [
        *await _check_ledgers_balance(conn),
        *await _check_balances(conn),
        *await _check_transfers(conn),
    ]


async def _check_ledgers_balance(conn: Conn) -> list[Problem]:
    """Per currency, Σ debits = Σ credits over the accounts, posted and pending apart."""
    rows = await conn.execute(
        select(_A.currency, *(func.sum(_A[column]).label(column) for column in _BALANCES))
        .group_by(_A.currency)
        .order_by(_A.currency)
    )
    problems = []
    for row in rows:
        sums = row._mapping
        for kind in ("posted", "pending"):
            debits, credits = int(sums[f"debits_{kind}"]), int(sums[f"credits_{kind}"])
            if debits != credits:
                problems.append(
                    Problem(
                        f"ledger_unbalanced_{kind}",
                        f"{row.currency} ledger: {kind} debits {debits} ≠ {kind} credits {credits}",
                    )
                )
    return problems


def _effects(*, codes: tuple[TransferCode, ...] = ()) -> CTE:
    """Each transfer that is not a resolution, with what it counts for now: a posted transfer
    is posted; a pending one is pending until a resolution names it, then posted
    (POST_PENDING) or nothing (void, expire)."""
    t = ledger_transfers.alias("t")
    r = ledger_transfers.alias("r")
    pending = _has(t.c.flags, TransferFlag.PENDING)
    posted = case(
        (not_(pending), t.c.amount_minor),
        (_has(r.c.flags, TransferFlag.POST_PENDING), t.c.amount_minor),
        else_=literal_column("0", BigInteger),
    )
    reserved = case(
        (and_(pending, r.c.id.is_(None)), t.c.amount_minor),
        else_=literal_column("0", BigInteger),
    )
    query = (
        select(
            t.c.debit_account_id,
            t.c.credit_account_id,
            t.c.code,
            posted.label("posted"),
            reserved.label("pending"),
        )
        .select_from(t.outerjoin(r, r.c.pending_id == t.c.id))
        .where(t.c.pending_id.is_(None))
    )
    if codes:
        query = query.where(t.c.code.in_([int(code) for code in codes]))
    return query.cte("effects")


def _has(flags: ColumnElement[int], flag: TransferFlag | AccountFlag) -> ColumnElement[bool]:
    return flags.bitwise_and(int(flag)) != 0


async def _check_balances(conn: Conn) -> list[Problem]:
    """Every account's four balances against the sums of its transfers, and its flags."""
    effects = _effects()
    zero = literal_column("0", BigInteger)
    sides = union_all(
        select(
            effects.c.debit_account_id.label("account_id"),
            effects.c.pending.label("debits_pending"),
            effects.c.posted.label("debits_posted"),
            zero.label("credits_pending"),
            zero.label("credits_posted"),
        ),
        select(effects.c.credit_account_id, zero, zero, effects.c.pending, effects.c.posted),
    ).subquery("sides")
    sums = (
        select(
            sides.c.account_id,
            *(func.sum(sides.c[column]).label(column) for column in _BALANCES),
        )
        .group_by(sides.c.account_id)
        .subquery("sums")
    )
    recomputed = {column: func.coalesce(sums.c[column], 0) for column in _BALANCES}
    overdrawn = and_(
        _has(_A.flags, AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS),
        _A.debits_posted + _A.debits_pending > _A.credits_posted,
    )
    overcredited = and_(
        _has(_A.flags, AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS),
        _A.credits_posted + _A.credits_pending > _A.debits_posted,
    )
    rows = await conn.execute(
        select(
            _A.id,
            _A.key,
            _A.currency,
            *(_A[column] for column in _BALANCES),
            *(value.label(f"sum_{column}") for column, value in recomputed.items()),
            overdrawn.label("overdrawn"),
            overcredited.label("overcredited"),
        )
        .select_from(ledger_accounts.outerjoin(sums, sums.c.account_id == _A.id))
        .where(
            or_(
                overdrawn,
                overcredited,
                *(_A[column] != value for column, value in recomputed.items()),
            )
        )
        .order_by(_A.id)
        .limit(PROBLEMS_MAX)
    )
    problems = []
    for row in rows:
        account = f"account {row.key} ({row.id})"
        values = row._mapping
        wrong = [
            f"{column} {values[column]} but its transfers say {int(values[f'sum_{column}'])}"
            for column in _BALANCES
            if values[column] != int(values[f"sum_{column}"])
        ]
        if wrong:
            problems.append(Problem("balance_mismatch", f"{account}: {'; '.join(wrong)}"))
        if row.overdrawn:
            problems.append(
                Problem(
                    "debits_exceed_credits",
                    f"{account}: debits {row.debits_posted} posted + {row.debits_pending} "
                    f"pending exceed credits {row.credits_posted} posted",
                )
            )
        if row.overcredited:
            problems.append(
                Problem(
                    "credits_exceed_debits",
                    f"{account}: credits {row.credits_posted} posted + {row.credits_pending} "
                    f"pending exceed debits {row.debits_posted} posted",
                )
            )
    return problems


async def _check_transfers(conn: Conn) -> list[Problem]:
    """Every transfer well formed: a positive amount between two accounts of its currency,
    posted or pending; every resolution names a pending transfer and repeats its fields."""
    t = ledger_transfers.alias("t")
    p = ledger_transfers.alias("p")
    debit = ledger_accounts.alias("debit")
    credit = ledger_accounts.alias("credit")
    is_resolution = t.c.pending_id.is_not(None)
    malformed = or_(
        t.c.amount_minor <= 0,
        t.c.debit_account_id == t.c.credit_account_id,
        debit.c.currency != t.c.currency,
        credit.c.currency != t.c.currency,
        and_(not_(is_resolution), t.c.flags.not_in([0, int(TransferFlag.PENDING)])),
        and_(is_resolution, t.c.flags.not_in(_RESOLUTIONS)),
    )
    orphan = and_(is_resolution, or_(p.c.id.is_(None), p.c.flags != int(TransferFlag.PENDING)))
    same = ("debit_account_id", "credit_account_id", "amount_minor", "currency", "code")
    differs = and_(
        is_resolution,
        p.c.id.is_not(None),
        or_(*(t.c[name] != p.c[name] for name in (*same, "ref_kind", "ref_id"))),
    )
    rows = await conn.execute(
        select(
            t.c.id,
            t.c.pending_id,
            malformed.label("malformed"),
            orphan.label("orphan"),
            differs.label("differs"),
        )
        .select_from(
            t.join(debit, debit.c.id == t.c.debit_account_id)
            .join(credit, credit.c.id == t.c.credit_account_id)
            .outerjoin(p, p.c.id == t.c.pending_id)
        )
        .where(or_(malformed, orphan, differs))
        .order_by(t.c.id)
        .limit(PROBLEMS_MAX)
    )
    problems = []
    for row in rows:
        if row.malformed:
            problems.append(
                Problem(
                    "transfer_malformed",
                    f"transfer {row.id}: its amount, accounts, currency or flags are not "
                    "those of a posted, pending or resolving transfer",
                )
            )
        if row.orphan:
            problems.append(
                Problem(
                    "resolution_orphan",
                    f"transfer {row.id} resolves {row.pending_id}, which is no pending transfer",
                )
            )
        if row.differs:
            problems.append(
                Problem(
                    "resolution_mismatch",
                    f"transfer {row.id} resolves {row.pending_id} with other accounts, amount, "
                    "currency, code or reference",
                )
            )
    return problems


# --- the ledger against the business rows


async def check_references(conn: Conn) -> list[Problem]:
    return [
        *await _check_transfers_referenced(conn),
        *await _check_contributions(conn),
        *await _check_proposals(conn),
        *await _check_pots(conn),
    ]


async def _check_transfers_referenced(conn: Conn) -> list[Problem]:
    """Every transfer belongs to the row its ref names, and that row names it (a resolution:
    names its pending transfer): a contribution by `transfer_id` (CONTRIBUTION) or
    `refund_transfer_id` or an earlier attempt's id (REFUND), a proposal by `transfer_id`
    (PAYOUT)."""
    t = ledger_transfers.alias("t")
    c = contributions.alias("c")
    p = proposals.alias("p")
    named = func.coalesce(t.c.pending_id, t.c.id)
    rows = await conn.execute(
        select(t.c.id, t.c.code, t.c.ref_kind, t.c.ref_id)
        .select_from(
            t.outerjoin(
                c,
                and_(
                    t.c.ref_kind == RefKind.CONTRIBUTION.value,
                    c.c.id == t.c.ref_id,
                    or_(
                        and_(t.c.code == int(TransferCode.CONTRIBUTION), c.c.transfer_id == named),
                        and_(
                            t.c.code == int(TransferCode.REFUND),
                            # The current attempt, or an earlier one the provider failed
                            # (domain.pots.refund_transfer_id: refund:<contribution>:<n>).
                            or_(
                                c.c.refund_transfer_id == named,
                                named.like(literal("refund:") + cast(c.c.id, String) + ":%"),
                            ),
                        ),
                    ),
                ),
            ).outerjoin(
                p,
                and_(
                    t.c.ref_kind == RefKind.PROPOSAL.value,
                    p.c.id == t.c.ref_id,
                    t.c.code == int(TransferCode.PAYOUT),
                    p.c.transfer_id == named,
                ),
            )
        )
        .where(and_(c.c.id.is_(None), p.c.id.is_(None)))
        .order_by(t.c.id)
        .limit(PROBLEMS_MAX)
    )
    return [
        Problem(
            "transfer_unreferenced",
            f"transfer {row.id} ({_code_label(row.code)}) belongs to {row.ref_kind} "
            f"{row.ref_id}, which does not name it",
        )
        for row in rows
    ]


def _code_label(code: int) -> str:
    try:
        return TransferCode(code).label
    except ValueError:
        return f"code {code}"


async def _check_contributions(conn: Conn) -> list[Problem]:
    """A contribution the provider confirmed names its transfer; one being refunded or
    refunded names its refund's too; both exist."""
    c = contributions.c
    moved = [s.value for s in (ContributionStatus.POSTED, *_REFUNDS)]
    refunds = [s.value for s in _REFUNDS]
    transfer = ledger_transfers.alias("transfer")
    refund = ledger_transfers.alias("refund")
    no_transfer = and_(c.status.in_(moved), transfer.c.id.is_(None))
    no_refund = and_(c.status.in_(refunds), refund.c.id.is_(None))
    rows = await conn.execute(
        select(
            c.id,
            c.status,
            c.transfer_id,
            c.refund_transfer_id,
            no_transfer.label("no_transfer"),
            no_refund.label("no_refund"),
        )
        .select_from(
            contributions.outerjoin(transfer, transfer.c.id == c.transfer_id).outerjoin(
                refund, refund.c.id == c.refund_transfer_id
            )
        )
        .where(or_(no_transfer, no_refund))
        .order_by(c.id)
        .limit(PROBLEMS_MAX)
    )
    problems = []
    for row in rows:
        if row.no_transfer:
            problems.append(
                Problem(
                    "contribution_transfer_missing",
                    f"contribution {row.id} is {row.status} but its transfer "
                    f"{row.transfer_id} does not exist",
                )
            )
        if row.no_refund:
            problems.append(
                Problem(
                    "contribution_refund_missing",
                    f"contribution {row.id} is {row.status} but its refund transfer "
                    f"{row.refund_transfer_id} does not exist",
                )
            )
    return problems


_REFUNDS = (ContributionStatus.REFUNDING, ContributionStatus.REFUNDED)


async def _check_proposals(conn: Conn) -> list[Problem]:
    """A proposal reserves its funds when it is made: its transfer exists."""
    p = proposals.c
    t = ledger_transfers.c
    rows = await conn.execute(
        select(p.id, p.transfer_id)
        .select_from(proposals.outerjoin(ledger_transfers, t.id == p.transfer_id))
        .where(t.id.is_(None))
        .order_by(p.id)
        .limit(PROBLEMS_MAX)
    )
    return [
        Problem(
            "proposal_transfer_missing",
            f"proposal {row.id}: its transfer {row.transfer_id} does not exist",
        )
        for row in rows
    ]


async def _check_pots(conn: Conn) -> list[Problem]:
    """Each pot's account is `pot:<id>` in the pot's currency, and its `raised_minor` is its
    posted contributions less its posted refunds."""
    effects = _effects(codes=(TransferCode.CONTRIBUTION, TransferCode.REFUND))
    contributed = case(
        (effects.c.code == int(TransferCode.CONTRIBUTION), effects.c.posted),
        else_=literal_column("0", BigInteger),
    )
    refunded = case(
        (effects.c.code == int(TransferCode.REFUND), effects.c.posted),
        else_=literal_column("0", BigInteger),
    )
    sides = union_all(
        select(effects.c.credit_account_id.label("account_id"), contributed.label("net")),
        select(effects.c.debit_account_id, -refunded),
    ).subquery("sides")
    nets = (
        select(sides.c.account_id, func.sum(sides.c.net).label("net"))
        .group_by(sides.c.account_id)
        .subquery("nets")
    )
    account = ledger_accounts.alias("account")
    # domain.pots.pot_account_key, in SQL.
    key = literal("pot:", String) + cast(pots.c.id, String)
    net = func.coalesce(nets.c.net, 0)
    wrong_account = or_(
        account.c.id.is_(None), account.c.key != key, account.c.currency != pots.c.currency
    )
    rows = await conn.execute(
        select(
            pots.c.id,
            pots.c.account_id,
            pots.c.currency,
            pots.c.raised_minor,
            account.c.key,
            account.c.currency.label("account_currency"),
            net.label("net"),
            wrong_account.label("wrong_account"),
        )
        .select_from(
            pots.outerjoin(account, account.c.id == pots.c.account_id).outerjoin(
                nets, nets.c.account_id == pots.c.account_id
            )
        )
        .where(or_(wrong_account, pots.c.raised_minor != net))
        .order_by(pots.c.id)
        .limit(PROBLEMS_MAX)
    )
    problems = []
    for row in rows:
        if row.wrong_account:
            found = (
                "no account" if row.key is None else f"account {row.key} in {row.account_currency}"
            )
            problems.append(
                Problem(
                    "pot_account_wrong",
                    f"pot {row.id} ({row.currency}) has account {row.account_id}: {found}",
                )
            )
        if row.raised_minor != int(row.net):
            problems.append(
                Problem(
                    "pot_raised_mismatch",
                    f"pot {row.id}: raised_minor {row.raised_minor} but its posted "
                    f"contributions less refunds are {int(row.net)}",
                )
            )
    return problems
