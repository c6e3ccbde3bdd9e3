"""Spending a pot (DESIGN.md §4.3): who may propose and vote, how a vote is counted, and
where each contributor's money went. No storage here; `domain.pots.decide` says when a vote
is over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from colletta.domain.chats import Role
from colletta.domain.pots import Pot, Proposal, Tally, VoteWeighting, can_manage_pot
from colletta.errors import Conflict

# A passed proposal whose pot holds its payouts is looked at again this often, in case the
# hold was lifted without the payouts being resumed (`actions.payouts.resume_payouts`).
HELD_RECHECK_MS = 3_600_000


class ProposalClosed(Conflict):
    type = "proposal_closed"
    title = "Voting on this proposal is over"


@dataclass(frozen=True, slots=True)
class Vote:
    proposal_id: int
    user_id: int
    approve: bool
    # What the vote counted for when cast: 1, or what the voter held in the pot then.
    weight: int
    created_at_ms: int


def can_propose(pot: Pot, user_id: int, role: Role, held_minor: int) -> bool:
    """Contributors propose spending, and so do the pot's organiser and the chat's admins
    (often the ones holding the receipts); only contributors vote, so proposing gives no
    power over the money."""
    return held_minor > 0 or can_manage_pot(pot, user_id, role)


def vote_weight(pot: Pot, held_minor: int) -> int:
    """What a contributor's vote counts for: 1 each, or what they hold in the pot."""
    if held_minor <= 0:
        return 0
    return held_minor if pot.vote_weighting is VoteWeighting.CONTRIBUTION else 1


def count_votes(
    pot: Pot, proposal: Proposal, votes: Iterable[Vote], held_now: Mapping[int, int]
) -> Tally:
    """The tally of a proposal: votes count with the weight they were cast with; whoever
    contributes now and has not voted may still cast their current weight."""
    yes = no = voters = 0
    voted: set[int] = set()
    other_approval = False
    for vote in votes:
        voted.add(vote.user_id)
        voters += 1
        if vote.approve:
            yes += vote.weight
            other_approval = other_approval or vote.user_id != proposal.proposer_id
        else:
            no += vote.weight
    waiting = [
        vote_weight(pot, held)
        for user_id, held in held_now.items()
        if held > 0 and user_id not in voted
    ]
    return Tally(
        yes_weight=yes,
        no_weight=no,
        eligible_weight=yes + no + sum(waiting),
        voters=voters,
        eligible_voters=voters + len(waiting),
        other_approval=other_approval,
    )


# --- where the money went


def split_pro_rata(amount_minor: int, stakes: Mapping[int, int]) -> dict[int, int]:
    """`amount_minor` split over `stakes` in proportion, in whole minor units, adding up to
    `amount_minor` exactly (largest remainder; ties go to the larger stake, then the smaller
    key). Stakes at or below zero take nothing; with no positive stake nothing is split."""
    positive = {key: stake for key, stake in stakes.items() if stake > 0}
    total = sum(positive.values())
    if total == 0 or amount_minor <= 0:
        return {}
    shares: dict[int, int] = {}
    remainders: list[tuple[int, int, int]] = []
    for key, stake in positive.items():
        share, remainder = divmod(amount_minor * stake, total)
        shares[key] = share
        remainders.append((remainder, stake, key))
    left = amount_minor - sum(shares.values())
    remainders.sort(key=lambda r: (-r[0], -r[1], r[2]))
    for _, _, key in remainders[:left]:
        shares[key] += 1
    return shares


class MoveKind(StrEnum):
    CONTRIBUTION = "contribution"  # posted into the pot by `user_id`
    REFUND = "refund"  # posted back out to `user_id`
    PAYOUT = "payout"  # posted out to a payee: proposal `ref_id`


@dataclass(frozen=True, slots=True)
class Move:
    """One posted movement of a pot's money, in the order the ledger posted them."""

    kind: MoveKind
    ref_id: int  # the contribution or the proposal
    user_id: int | None  # the contributor (contributions and refunds)
    amount_minor: int
    at_ms: int


@dataclass(frozen=True, slots=True)
class Stakes:
    """Each contributor's money, replayed from the pot's history: given in, given back, and
    their share of every payout."""

    contributed: dict[int, int]
    refunded: dict[int, int]
    # Per payout (proposal id): each contributor's share, adding up to the payout exactly.
    payouts: dict[int, dict[int, int]]

    def spent(self, user_id: int) -> int:
        return sum(shares.get(user_id, 0) for shares in self.payouts.values())

    def remaining(self, user_id: int) -> int:
        """What is still theirs in the pot (reservations for open proposals included)."""
        return (
            self.contributed.get(user_id, 0) - self.refunded.get(user_id, 0) - self.spent(user_id)
        )


def replay_stakes(moves: Iterable[Move]) -> Stakes:
    """The rule for "where my money went": money in a pot belongs to its contributors in
    proportion to what each still has in it, so each payout takes from every contributor in
    proportion to their stake just before it was posted (what they put in, less refunds and
    their shares of earlier payouts). Nobody's share ever exceeds their stake, and the stakes
    always add up to the pot's posted balance."""
    contributed: dict[int, int] = {}
    refunded: dict[int, int] = {}
    stake: dict[int, int] = {}
    payouts: dict[int, dict[int, int]] = {}
    for move in moves:
        if move.kind is MoveKind.PAYOUT:
            shares = split_pro_rata(move.amount_minor, stake)
            payouts[move.ref_id] = shares
            for user_id, share in shares.items():
                stake[user_id] -= share
            continue
        assert move.user_id is not None
        sign = 1 if move.kind is MoveKind.CONTRIBUTION else -1
        totals = contributed if sign > 0 else refunded
        totals[move.user_id] = totals.get(move.user_id, 0) + move.amount_minor
        stake[move.user_id] = stake.get(move.user_id, 0) + sign * move.amount_minor
    return Stakes(contributed, refunded, payouts)
