"""Spending proposals, their votes, and the posted history "where my money went" replays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from colletta.domain.ledger import RefKind, TransferCode, TransferFlag
from colletta.domain.pots import Proposal, ProposalStatus
from colletta.domain.spending import Move, MoveKind, Vote
from colletta.store.db import Conn
from colletta.store.schema import contributions, ledger_transfers, proposal_votes, proposals

_P = proposals.c
_V = proposal_votes.c
_T = ledger_transfers.c


def _proposal(row: Any) -> Proposal:
    return Proposal(
        id=row.id,
        pot_id=row.pot_id,
        chat_id=row.chat_id,
        proposer_id=row.proposer_id,
        client_id=row.client_id,
        title=row.title,
        amount_minor=row.amount_minor,
        payee=row.payee,
        receipt_media_id=row.receipt_media_id,
        status=ProposalStatus(row.status),
        transfer_id=row.transfer_id,
        payout_id=row.payout_id,
        closes_at_ms=row.closes_at_ms,
        created_at_ms=row.created_at_ms,
        resolved_at_ms=row.resolved_at_ms,
    )


def _vote(row: Any) -> Vote:
    return Vote(
        proposal_id=row.proposal_id,
        user_id=row.user_id,
        approve=bool(row.approve),
        weight=row.weight,
        created_at_ms=row.created_at_ms,
    )


async def insert_proposal(conn: Conn, p: Proposal) -> None:
    await conn.execute(
        insert(proposals).values(
            id=p.id,
            pot_id=p.pot_id,
            chat_id=p.chat_id,
            proposer_id=p.proposer_id,
            client_id=p.client_id,
            title=p.title,
            amount_minor=p.amount_minor,
            payee=p.payee,
            receipt_media_id=p.receipt_media_id,
            status=p.status.value,
            transfer_id=p.transfer_id,
            payout_id=p.payout_id,
            closes_at_ms=p.closes_at_ms,
            created_at_ms=p.created_at_ms,
            resolved_at_ms=p.resolved_at_ms,
        )
    )


async def get_proposal(
    conn: Conn, proposal_id: int, *, for_update: bool = False
) -> Proposal | None:
    query = select(proposals).where(_P.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else _proposal(row)


async def get_by_client(
    conn: Conn, pot_id: int, proposer_id: int, client_id: str
) -> Proposal | None:
    row = (
        await conn.execute(
            select(proposals).where(
                and_(_P.pot_id == pot_id, _P.proposer_id == proposer_id, _P.client_id == client_id)
            )
        )
    ).first()
    return None if row is None else _proposal(row)


async def list_proposals(
    conn: Conn,
    pot_id: int,
    *,
    statuses: Sequence[ProposalStatus] | None = None,
    after_id: int | None = None,
    limit: int | None = 100,
) -> list[Proposal]:
    """A pot's proposals, oldest first (ids are time-ordered); `limit` None: all."""
    query = select(proposals).where(_P.pot_id == pot_id).order_by(_P.id).limit(limit)
    if statuses is not None:
        query = query.where(_P.status.in_([s.value for s in statuses]))
    if after_id is not None:
        query = query.where(_P.id > after_id)
    return [_proposal(row) for row in await conn.execute(query)]


async def update_proposal(conn: Conn, proposal_id: int, **values: Any) -> None:
    if isinstance(status := values.get("status"), ProposalStatus):
        values["status"] = status.value
    await conn.execute(update(proposals).where(_P.id == proposal_id).values(**values))


async def insert_vote(conn: Conn, vote: Vote) -> None:
    await conn.execute(
        insert(proposal_votes).values(
            proposal_id=vote.proposal_id,
            user_id=vote.user_id,
            approve=vote.approve,
            weight=vote.weight,
            created_at_ms=vote.created_at_ms,
        )
    )


async def get_vote(conn: Conn, proposal_id: int, user_id: int) -> Vote | None:
    row = (
        await conn.execute(
            select(proposal_votes).where(and_(_V.proposal_id == proposal_id, _V.user_id == user_id))
        )
    ).first()
    return None if row is None else _vote(row)


async def list_votes(conn: Conn, proposal_ids: Sequence[int]) -> dict[int, list[Vote]]:
    """Every vote on these proposals, by proposal (in the order they were cast)."""
    out: dict[int, list[Vote]] = {proposal_id: [] for proposal_id in proposal_ids}
    if not proposal_ids:
        return out
    rows = await conn.execute(
        select(proposal_votes)
        .where(_V.proposal_id.in_(list(proposal_ids)))
        .order_by(_V.created_at_ms, _V.user_id)
    )
    for row in rows:
        out[row.proposal_id].append(_vote(row))
    return out


async def posted_moves(conn: Conn, pot_id: int) -> list[Move]:
    """Every posted movement of a pot's money, in the order the ledger posted it:
    contributions in, refunds and payouts out (a pending one counts once it is posted).
    Within one millisecond: contributions, then refunds, then payouts (their codes' order)."""
    posted = or_(_T.flags == int(TransferFlag.NONE), _T.flags == int(TransferFlag.POST_PENDING))
    rows = await conn.execute(
        select(
            _T.code,
            _T.ref_kind,
            _T.ref_id,
            _T.amount_minor,
            _T.created_at_ms,
            contributions.c.user_id,
        )
        .select_from(
            ledger_transfers.outerjoin(
                contributions,
                and_(_T.ref_kind == RefKind.CONTRIBUTION.value, contributions.c.id == _T.ref_id),
            )
        )
        .where(and_(_T.pot_id == pot_id, posted))
        .order_by(_T.created_at_ms, _T.code, _T.id)
    )
    kinds = {
        TransferCode.CONTRIBUTION: MoveKind.CONTRIBUTION,
        TransferCode.REFUND: MoveKind.REFUND,
        TransferCode.PAYOUT: MoveKind.PAYOUT,
    }
    return [
        Move(
            kind=kinds[TransferCode(row.code)],
            ref_id=row.ref_id,
            user_id=row.user_id,
            amount_minor=row.amount_minor,
            at_ms=row.created_at_ms,
        )
        for row in rows
    ]


async def payee_chats(conn: Conn, payee: str, limit: int) -> set[int]:
    """The chats (at most `limit`) whose pots proposed paying `payee` (ix_proposals_payee)."""
    rows = await conn.execute(select(_P.chat_id).where(_P.payee == payee).distinct().limit(limit))
    return {int(chat_id) for (chat_id,) in rows}
