"""Contributions to pots: one row per payment asked of a provider."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ClauseElement, and_, bindparam, func, insert, or_, select, update

from colletta.domain.ledger import TransferCode
from colletta.domain.pots import Contribution, ContributionStatus
from colletta.store.db import Conn, Prepared
from colletta.store.schema import contributions, ledger_transfers, users

_C = contributions.c
# The money of these is in the pot (or on its way back out through a refund).
_HELD = (ContributionStatus.POSTED.value, ContributionStatus.REFUNDING.value)


def _contribution(row: Any) -> Contribution:
    return Contribution(
        id=row.id,
        pot_id=row.pot_id,
        chat_id=row.chat_id,
        user_id=row.user_id,
        client_id=row.client_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        provider=row.provider,
        payment_id=row.payment_id,
        checkout_url=row.checkout_url,
        status=ContributionStatus(row.status),
        transfer_id=row.transfer_id,
        refund_transfer_id=row.refund_transfer_id,
        refunded_minor=row.refunded_minor,
        created_at_ms=row.created_at_ms,
        posted_at_ms=row.posted_at_ms,
    )


async def insert_contribution(conn: Conn, c: Contribution) -> None:
    await conn.execute(
        insert(contributions).values(
            id=c.id,
            pot_id=c.pot_id,
            chat_id=c.chat_id,
            user_id=c.user_id,
            client_id=c.client_id,
            amount_minor=c.amount_minor,
            currency=c.currency,
            provider=c.provider,
            payment_id=c.payment_id,
            checkout_url=c.checkout_url,
            status=c.status.value,
            transfer_id=c.transfer_id,
            refund_transfer_id=c.refund_transfer_id,
            refunded_minor=c.refunded_minor,
            created_at_ms=c.created_at_ms,
            posted_at_ms=c.posted_at_ms,
        )
    )


# Built once: the webhook path runs these for every payment.
_BY_ID = select(contributions).where(_C.id == bindparam("b_id"))
_GET = Prepared(_BY_ID)
_GET_FOR_UPDATE = Prepared(_BY_ID.with_for_update())


async def get_contribution(
    conn: Conn, contribution_id: int, *, for_update: bool = False
) -> Contribution | None:
    query = _GET_FOR_UPDATE if for_update else _GET
    row = (await conn.execute(query, {"b_id": contribution_id})).first()
    return None if row is None else _contribution(row)


async def get_by_client(
    conn: Conn, pot_id: int, user_id: int, client_id: str
) -> Contribution | None:
    row = (
        await conn.execute(
            select(contributions).where(
                and_(_C.pot_id == pot_id, _C.user_id == user_id, _C.client_id == client_id)
            )
        )
    ).first()
    return None if row is None else _contribution(row)


_UPDATES: dict[tuple[str, ...], Prepared] = {}


def _update_of(columns: tuple[str, ...]) -> Prepared:
    """`UPDATE contributions SET <columns> WHERE id = ?`, built once per set of columns."""
    if (found := _UPDATES.get(columns)) is None:
        found = _UPDATES[columns] = Prepared(
            update(contributions)
            .where(_C.id == bindparam("b_id"))
            .values({_C[name]: bindparam(f"v_{name}") for name in columns})
        )
    return found


async def update_contribution(conn: Conn, contribution_id: int, **values: Any) -> None:
    if isinstance(status := values.get("status"), ContributionStatus):
        values["status"] = status.value
    if not values or any(isinstance(v, ClauseElement) for v in values.values()):
        await conn.execute(update(contributions).where(_C.id == contribution_id).values(**values))
        return
    columns = tuple(sorted(values))
    params = {f"v_{name}": values[name] for name in columns}
    params["b_id"] = contribution_id
    await conn.execute(_update_of(columns), params)


# `status IN (...)` spelled out: a prepared statement takes no expanding IN list.
_IS_HELD = or_(*(_C.status == status for status in _HELD))
_HELD_BY = Prepared(
    select(func.sum(_C.amount_minor - _C.refunded_minor)).where(
        _C.pot_id == bindparam("b_pot_id"), _C.user_id == bindparam("b_user_id"), _IS_HELD
    )
)
_HOLDS_ANY = Prepared(
    select(_C.id)
    .where(
        _C.pot_id == bindparam("b_pot_id"),
        _C.user_id == bindparam("b_user_id"),
        _IS_HELD,
        _C.amount_minor > _C.refunded_minor,
    )
    .limit(1)
)


async def held_by(conn: Conn, pot_id: int, user_id: int) -> int:
    """What `user_id` has in the pot now: posted contributions less what went back."""
    total = await conn.scalar(_HELD_BY, {"b_pot_id": pot_id, "b_user_id": user_id})
    return int(total or 0)


async def holds_any(conn: Conn, pot_id: int, user_id: int) -> bool:
    """`held_by(...) > 0`, without adding up all of the user's contributions."""
    return await conn.scalar(_HOLDS_ANY, {"b_pot_id": pot_id, "b_user_id": user_id}) is not None


async def held_per_contributor(conn: Conn, pot_id: int) -> dict[int, int]:
    """Per contributor, what they have in the pot now (only those above zero)."""
    rows = await conn.execute(
        select(_C.user_id, func.sum(_C.amount_minor - _C.refunded_minor))
        .where(and_(_C.pot_id == pot_id, _C.status.in_(_HELD)))
        .group_by(_C.user_id)
    )
    return {user_id: int(amount) for user_id, amount in rows if amount and amount > 0}


async def list_contributions(
    conn: Conn,
    pot_id: int,
    *,
    user_id: int | None = None,
    statuses: tuple[ContributionStatus, ...] | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[Contribution]:
    query = select(contributions).where(_C.pot_id == pot_id).order_by(_C.id).limit(limit)
    if user_id is not None:
        query = query.where(_C.user_id == user_id)
    if statuses is not None:
        query = query.where(_C.status.in_([s.value for s in statuses]))
    if after_id is not None:
        query = query.where(_C.id > after_id)
    return [_contribution(row) for row in await conn.execute(query)]


async def count_posted_by(conn: Conn, pot_id: int, user_id: int) -> int:
    """How many of `user_id`'s contributions to the pot are in it (to count contributors)."""
    return int(
        await conn.scalar(
            select(func.count()).where(
                and_(_C.pot_id == pot_id, _C.user_id == user_id, _C.status.in_(_HELD))
            )
        )
        or 0
    )


async def list_posted_held(conn: Conn, pot_id: int) -> list[tuple[int, int]]:
    """(id, what it still has in the pot) of every posted contribution, oldest first: what a
    pot's remainder is split over when it is given back."""
    rows = await conn.execute(
        select(_C.id, _C.amount_minor - _C.refunded_minor)
        .where(and_(_C.pot_id == pot_id, _C.status == ContributionStatus.POSTED.value))
        .order_by(_C.id)
    )
    return [(row[0], int(row[1])) for row in rows]


async def get_contributors(conn: Conn, contribution_ids: list[int]) -> dict[int, int]:
    """Contribution id → the contributor's user id."""
    if not contribution_ids:
        return {}
    rows = await conn.execute(
        select(_C.id, _C.user_id).where(_C.id.in_(sorted(set(contribution_ids))))
    )
    return {row.id: row.user_id for row in rows}


_T = ledger_transfers.c
_CONTRIBUTION = TransferCode.CONTRIBUTION.value


async def recent_posted(
    conn: Conn, pot_id: int, since_ms: int, limit: int
) -> list[tuple[int, int, int]]:
    """The pot's newest contributions posted since `since_ms` (at most `limit`), as
    (amount_minor, user_id, the user's account created_at_ms). Read through the ledger's
    (pot_id, created_at_ms) index: a range of a pot's transfers, however large the pot."""
    rows = await conn.execute(
        select(_T.amount_minor, _C.user_id, users.c.created_at_ms)
        .select_from(
            ledger_transfers.join(contributions, _C.id == _T.ref_id).join(
                users, users.c.id == _C.user_id
            )
        )
        .where(_T.pot_id == pot_id, _T.created_at_ms >= since_ms, _T.code == _CONTRIBUTION)
        .order_by(_T.created_at_ms.desc())
        .limit(limit)
    )
    return [(int(a), int(u), int(c)) for a, u, c in rows]


async def first_posted_at(conn: Conn, pot_id: int) -> int | None:
    """When the pot's first contribution was posted (the ledger's pot index, first row)."""
    found = await conn.scalar(
        select(_T.created_at_ms)
        .where(_T.pot_id == pot_id, _T.code == _CONTRIBUTION)
        .order_by(_T.created_at_ms)
        .limit(1)
    )
    return None if found is None else int(found)
