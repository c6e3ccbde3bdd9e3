"""Where my money went: a contributor's part of a pot, replayed from its posted history
(the rule is `domain.spending.replay_stakes`; docs/spending.md)."""

from __future__ import annotations

from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.pots import load_pot_access, require_member
from colletta.domain.pots import ProposalStatus
from colletta.domain.spending import MoveKind, replay_stakes
from colletta.store import proposals as store

SHARE_RULE = (
    "each payout takes from every contributor in proportion to what they still had in the "
    "pot just before it was paid (contributed, less refunds and earlier payouts), rounded "
    "to whole minor units by largest remainder so the shares add up to the payout"
)


async def access_my_share(ctx: Context, caller: Caller, pot_id: int) -> dict[str, Any]:
    """The caller's money in a pot: what they put in, what came back, their share of each
    payout, and what is still theirs in it."""
    async with ctx.db.read() as conn:
        access = await load_pot_access(conn, caller, pot_id)
        require_member(access)
        moves = await store.posted_moves(conn, pot_id)
        paid = {
            p.id: p
            for p in await store.list_proposals(
                conn, pot_id, statuses=(ProposalStatus.PAID,), limit=None
            )
        }
    stakes = replay_stakes(moves)
    me = caller.user_id
    payouts = []
    for move in moves:
        if move.kind is not MoveKind.PAYOUT or move.ref_id not in paid:
            continue
        proposal = paid[move.ref_id]
        payouts.append(
            {
                "proposal_id": str(proposal.id),
                "title": proposal.title,
                "payee": proposal.payee,
                "amount_minor": move.amount_minor,
                "share_minor": stakes.payouts[move.ref_id].get(me, 0),
                "paid_at_ms": move.at_ms,
            }
        )
    contributed = stakes.contributed.get(me, 0)
    refunded = stakes.refunded.get(me, 0)
    return {
        "pot_id": str(pot_id),
        "currency": access.pot.currency,
        "contributed_minor": contributed,
        "refunded_minor": refunded,
        "spent_minor": stakes.spent(me),
        "remaining_minor": stakes.remaining(me),
        "payouts": payouts,
        "rule": SHARE_RULE,
    }
