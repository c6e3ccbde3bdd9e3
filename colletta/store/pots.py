"""Pots, their itemised purpose, their options and the votes on those options."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import and_, bindparam, delete, func, insert, select, update

from colletta.domain.pots import (
    FundingModel,
    Item,
    Option,
    Pot,
    PotStatus,
    ProposalStatus,
    Visibility,
    VoteWeighting,
)
from colletta.domain.safety import Outcome, Verdict
from colletta.store.db import Conn, Prepared
from colletta.store.schema import pot_items, pot_option_votes, pot_options, pots, proposals

_P = pots.c


def _pot(row: Any) -> Pot:
    return Pot(
        id=row.id,
        chat_id=row.chat_id,
        created_by=row.created_by,
        title=row.title,
        description=row.description,
        currency=row.currency,
        goal_minor=row.goal_minor,
        deadline_at_ms=row.deadline_at_ms,
        model=FundingModel(row.model),
        visibility=Visibility(row.visibility),
        vote_weighting=VoteWeighting(row.vote_weighting),
        member_cap_minor=row.member_cap_minor,
        pot_cap_minor=row.pot_cap_minor,
        quorum_pct=row.quorum_pct,
        majority_pct=row.majority_pct,
        proposal_window_s=row.proposal_window_s,
        status=PotStatus(row.status),
        frozen=bool(row.frozen),
        frozen_reason=row.frozen_reason,
        verdict=Verdict(
            Outcome(row.verdict), tuple(orjson.loads(row.verdict_rules)), row.verdict_reason
        ),
        raised_minor=row.raised_minor,
        contributor_count=row.contributor_count,
        account_id=row.account_id,
        created_at_ms=row.created_at_ms,
        closed_at_ms=row.closed_at_ms,
    )


def _verdict_values(verdict: Verdict) -> dict[str, Any]:
    return {
        "verdict": verdict.outcome.value,
        "verdict_rules": orjson.dumps(list(verdict.rule_ids)).decode(),
        "verdict_reason": verdict.reason,
    }


async def insert_pot(conn: Conn, pot: Pot, items: list[Item], options: list[Option]) -> None:
    await conn.execute(
        insert(pots).values(
            id=pot.id,
            chat_id=pot.chat_id,
            created_by=pot.created_by,
            title=pot.title,
            description=pot.description,
            currency=pot.currency,
            goal_minor=pot.goal_minor,
            deadline_at_ms=pot.deadline_at_ms,
            model=pot.model.value,
            visibility=pot.visibility.value,
            vote_weighting=pot.vote_weighting.value,
            member_cap_minor=pot.member_cap_minor,
            pot_cap_minor=pot.pot_cap_minor,
            quorum_pct=pot.quorum_pct,
            majority_pct=pot.majority_pct,
            proposal_window_s=pot.proposal_window_s,
            status=pot.status.value,
            frozen=pot.frozen,
            frozen_reason=pot.frozen_reason,
            raised_minor=pot.raised_minor,
            contributor_count=pot.contributor_count,
            account_id=pot.account_id,
            created_at_ms=pot.created_at_ms,
            closed_at_ms=pot.closed_at_ms,
            **_verdict_values(pot.verdict),
        )
    )
    await replace_items(conn, pot.id, items)
    for position, option in enumerate(options):
        await insert_option(conn, pot.id, option, position)


async def insert_option(conn: Conn, pot_id: int, option: Option, position: int) -> None:
    await conn.execute(
        insert(pot_options).values(
            id=option.id, pot_id=pot_id, position=position, title=option.title
        )
    )


async def replace_items(conn: Conn, pot_id: int, items: list[Item]) -> None:
    await conn.execute(delete(pot_items).where(pot_items.c.pot_id == pot_id))
    for position, item in enumerate(items):
        await conn.execute(
            insert(pot_items).values(
                pot_id=pot_id,
                position=position,
                what=item.what,
                quantity=item.quantity,
                price_minor=item.price_minor,
            )
        )


# Built once: every money path reads its pot (constructing a statement costs more than
# running it on SQLite).
_BY_ID = select(pots).where(_P.id == bindparam("b_id"))
_GET = Prepared(_BY_ID)
_GET_FOR_UPDATE = Prepared(_BY_ID.with_for_update())


async def get_pot(conn: Conn, pot_id: int, *, for_update: bool = False) -> Pot | None:
    row = (await conn.execute(_GET_FOR_UPDATE if for_update else _GET, {"b_id": pot_id})).first()
    return None if row is None else _pot(row)


async def list_chat_pots(conn: Conn, chat_id: int, limit: int) -> list[Pot]:
    rows = await conn.execute(
        select(pots).where(_P.chat_id == chat_id).order_by(_P.created_at_ms.desc()).limit(limit)
    )
    return [_pot(row) for row in rows]


async def get_items(conn: Conn, pot_id: int) -> list[Item]:
    rows = await conn.execute(
        select(pot_items).where(pot_items.c.pot_id == pot_id).order_by(pot_items.c.position)
    )
    return [Item(row.what, row.quantity, row.price_minor) for row in rows]


async def get_options(conn: Conn, pot_id: int) -> list[Option]:
    rows = await conn.execute(
        select(pot_options).where(pot_options.c.pot_id == pot_id).order_by(pot_options.c.position)
    )
    return [Option(row.id, row.title) for row in rows]


async def update_pot(conn: Conn, pot_id: int, **values: Any) -> None:
    """Set columns of a pot; a `verdict` value is a Verdict."""
    if (verdict := values.pop("verdict", None)) is not None:
        values.update(_verdict_values(verdict))
    for key, value in list(values.items()):
        if isinstance(value, PotStatus):
            values[key] = value.value
    await conn.execute(update(pots).where(_P.id == pot_id).values(**values))


_ADD_RAISED = Prepared(
    update(pots)
    .where(_P.id == bindparam("b_id"))
    .values(
        raised_minor=_P.raised_minor + bindparam("b_delta"),
        contributor_count=_P.contributor_count + bindparam("b_new"),
    )
)


async def add_raised(conn: Conn, pot_id: int, delta_minor: int, new_contributors: int) -> None:
    await conn.execute(
        _ADD_RAISED, {"b_id": pot_id, "b_delta": delta_minor, "b_new": new_contributors}
    )


async def insert_option_vote(
    conn: Conn, pot_id: int, user_id: int, option_id: int, now_ms: int
) -> None:
    await conn.execute(
        insert(pot_option_votes).values(
            pot_id=pot_id, user_id=user_id, option_id=option_id, created_at_ms=now_ms
        )
    )


async def get_option_vote(conn: Conn, pot_id: int, user_id: int) -> int | None:
    option_id = await conn.scalar(
        select(pot_option_votes.c.option_id).where(
            and_(pot_option_votes.c.pot_id == pot_id, pot_option_votes.c.user_id == user_id)
        )
    )
    return None if option_id is None else int(option_id)


async def get_option_voters(conn: Conn, pot_id: int) -> list[tuple[int, int]]:
    """(user_id, option_id) of every vote on the pot's options."""
    rows = await conn.execute(
        select(pot_option_votes.c.user_id, pot_option_votes.c.option_id).where(
            pot_option_votes.c.pot_id == pot_id
        )
    )
    return [(row.user_id, row.option_id) for row in rows]


async def count_chat_pots(conn: Conn, chat_id: int) -> int:
    return int(await conn.scalar(select(func.count()).where(_P.chat_id == chat_id)) or 0)


# --- spending proposals, as the pot's admin actions and ledger view see them


async def list_proposal_reservations(
    conn: Conn, pot_id: int, status: ProposalStatus
) -> list[tuple[int, str]]:
    """(id, reserving transfer id) of the pot's proposals in `status`."""
    rows = await conn.execute(
        select(proposals.c.id, proposals.c.transfer_id)
        .where(and_(proposals.c.pot_id == pot_id, proposals.c.status == status.value))
        .order_by(proposals.c.id)
    )
    return [(row.id, row.transfer_id) for row in rows]


async def resolve_proposal(
    conn: Conn, proposal_id: int, status: ProposalStatus, now_ms: int
) -> None:
    await conn.execute(
        update(proposals)
        .where(proposals.c.id == proposal_id)
        .values(status=status.value, resolved_at_ms=now_ms)
    )


async def get_proposal_labels(conn: Conn, proposal_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Proposal id → (title, payee)."""
    if not proposal_ids:
        return {}
    rows = await conn.execute(
        select(proposals.c.id, proposals.c.title, proposals.c.payee).where(
            proposals.c.id.in_(sorted(set(proposal_ids)))
        )
    )
    return {row.id: (row.title, row.payee) for row in rows}
