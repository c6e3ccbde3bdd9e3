"""Where my money went: the pro-rata rule (hypothesis) and GET /pots/{id}/my-share on both
backends. The API test uses the provider double (tests/pots/provider_double.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from colletta.actions.payouts import run_payout
from colletta.actions.refunds import run_refund, start_refund
from colletta.domain.spending import Move, MoveKind, replay_stakes, split_pro_rata
from colletta.store import contributions as contribution_store
from colletta.store import pots as pot_store
from tests.pots.conftest import MakePot, Pot, contribute

stakes_st = st.dictionaries(st.integers(1, 50), st.integers(0, 10**12), max_size=30)


@given(st.integers(0, 10**12), stakes_st)
def test_shares_add_up_to_the_payout_exactly(amount: int, stakes: dict[int, int]) -> None:
    shares = split_pro_rata(amount, stakes)
    if amount == 0 or not any(s > 0 for s in stakes.values()):
        assert shares == {}
        return
    assert sum(shares.values()) == amount
    total = sum(s for s in stakes.values() if s > 0)
    for key, share in shares.items():
        exact = amount * stakes[key] / total
        assert exact - 1 < share < exact + 1  # each within one minor unit of its exact part
    assert set(shares) == {k for k, s in stakes.items() if s > 0}


@given(
    st.lists(
        st.tuples(st.sampled_from(["in", "out", "pay"]), st.integers(1, 8), st.integers(1, 10**6)),
        max_size=60,
    )
)
def test_replayed_stakes_match_the_pot(ops: list[tuple[str, int, int]]) -> None:
    """Whatever the history, each payout's shares add up to it, nobody pays more than they
    had in, and the stakes add up to the pot's balance."""
    moves: list[Move] = []
    balance = 0
    held: dict[int, int] = {}
    for n, (op, user, amount) in enumerate(ops):
        if op == "in":
            moves.append(Move(MoveKind.CONTRIBUTION, n, user, amount, n))
            balance += amount
            held[user] = held.get(user, 0) + amount
        elif op == "out" and held.get(user, 0) > 0:
            # A refund gives back at most what the contributor put in and has not been refunded.
            back = min(amount, held[user])
            moves.append(Move(MoveKind.REFUND, n, user, back, n))
            held[user] -= back
            balance -= back
        elif op == "pay" and 0 < amount <= balance:
            moves.append(Move(MoveKind.PAYOUT, n, None, amount, n))
            balance -= amount
    stakes = replay_stakes(moves)
    users = set(stakes.contributed)
    for move in moves:
        if move.kind is MoveKind.PAYOUT:
            assert sum(stakes.payouts[move.ref_id].values()) == move.amount_minor
    assert sum(stakes.remaining(u) for u in users) == balance
    kinds = [m.kind for m in moves]
    if MoveKind.PAYOUT not in kinds or MoveKind.REFUND not in kinds[kinds.index(MoveKind.PAYOUT) :]:
        # Refunds after spending are the one way to give back more than is left.
        assert all(stakes.remaining(u) >= 0 for u in users)


async def _paid(pot: Pot, amount_minor: int, key: str) -> str:
    proposal = (await pot.propose("alice", amount_minor, client_id=key)).json()["id"]
    await pot.vote("alice", proposal, True)
    assert (await pot.vote("bob", proposal, True)).json()["status"] == "passed"
    assert await run_payout(pot.ctx, int(proposal)) is None
    return str(proposal)


async def _share(pot: Pot, name: str) -> dict[str, Any]:
    who = pot.owner if name == "owner" else pot[name]
    return await who.ok("GET", f"/api/v1/pots/{pot.id}/my-share")  # type: ignore[no-any-return]


async def test_each_contributor_sees_their_share_of_each_payout(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000, "carol": 0, "dave": 2500})
    # Dave's money goes back before anything is spent.
    async with pot.ctx.db.write() as tx:
        [dave_gave] = await contribution_store.list_contributions(
            tx.conn, int(pot.id), user_id=int(pot["dave"].id)
        )
        found = await pot_store.get_pot(tx.conn, int(pot.id), for_update=True)
        assert found is not None
        await start_refund(pot.ctx, tx, found, dave_gave)
    assert await run_refund(pot.ctx, pot.double, dave_gave.id) is None
    pot.clock.advance(1)
    first = await _paid(pot, 1000, "first")  # 6000 : 4000 → 600 + 400
    pot.clock.advance(1)
    await contribute(pot.ctx, pot.double, pot["carol"], pot.id, 5000)
    pot.clock.advance(1)
    # Stakes now 5400 : 3600 : 5000 of 14000; 3000 splits 1157.14 / 771.43 / 1071.43: the
    # unit left goes to the larger remainder (a tie: the larger stake, Carol's).
    second = await _paid(pot, 3000, "second")
    shares = {name: await _share(pot, name) for name in ("alice", "bob", "carol", "dave")}
    assert [(p["proposal_id"], p["share_minor"]) for p in shares["alice"]["payouts"]] == [
        (first, 600),
        (second, 1157),
    ]
    assert {n: s["spent_minor"] for n, s in shares.items()} == {
        "alice": 1757,
        "bob": 1171,
        "carol": 1072,
        "dave": 0,
    }
    assert {n: s["remaining_minor"] for n, s in shares.items()} == {
        "alice": 4243,
        "bob": 2829,
        "carol": 3928,
        "dave": 0,
    }
    assert (shares["dave"]["contributed_minor"], shares["dave"]["refunded_minor"]) == (2500, 2500)
    balance = (await pot.view())["balance_minor"]
    assert sum(s["remaining_minor"] for s in shares.values()) == balance
    owner = await _share(pot, "owner")
    assert (owner["contributed_minor"], owner["spent_minor"]) == (0, 0)
    assert [p["share_minor"] for p in owner["payouts"]] == [0, 0]
