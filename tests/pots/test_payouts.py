"""Payouts of passed proposals, on SQLite and PostgreSQL: paid once whatever the provider
answers, however its webhooks arrive, through crashes, and never while the pot is frozen or
under review. Uses the provider double (tests/pots/provider_double.py) for contributions and
payouts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from colletta.actions import pot_admin
from colletta.actions.payouts import resume_payouts, run_payout
from colletta.actions.pot_tasks import PAYOUT_WAIT_MS, run_due_tasks
from colletta.actions.provider_events import on_provider_event
from colletta.actions.refunds import CONFIRM_WAIT_MS, RETRY_FIRST_MS
from colletta.domain.pots import TaskKind, payee_account_key
from colletta.domain.safety import ALLOWED, Outcome, Verdict
from colletta.domain.spending import HELD_RECHECK_MS
from colletta.payments.provider import Outcome as MoveOutcome
from colletta.store import ledger as ledger_store
from colletta.store import pots as pot_store
from colletta.store.schema import chat_events, ledger_accounts, ledger_transfers, pot_tasks
from tests.pots.conftest import MakePot, Pot, caller_of
from tests.pots.provider_double import Crash
from tests.pots.worker_helpers import operator


async def _passed(pot: Pot, amount_minor: int = 3000, key: str = "passed") -> str:
    proposal = (await pot.propose("alice", amount_minor, client_id=key)).json()["id"]
    await pot.vote("alice", proposal, True)
    assert (await pot.vote("bob", proposal, True)).json()["status"] == "passed"
    return str(proposal)


async def _ledger_balances(pot: Pot) -> None:
    """Σ debits = Σ credits, posted and pending, over every account."""
    a = ledger_accounts.c
    async with pot.ctx.db.read() as conn:
        row = (
            await conn.execute(
                select(
                    func.sum(a.debits_posted),
                    func.sum(a.credits_posted),
                    func.sum(a.debits_pending),
                    func.sum(a.credits_pending),
                )
            )
        ).one()
    assert row[0] == row[1]
    assert row[2] == row[3]


async def _resolutions(pot: Pot, proposal_id: str) -> int:
    t = ledger_transfers.c
    async with pot.ctx.db.read() as conn:
        count = await conn.scalar(
            select(func.count()).where(t.pending_id == f"proposal:{proposal_id}")
        )
    return int(count or 0)


async def _payout_due(pot: Pot, proposal_id: str) -> int | None:
    k = pot_tasks.c
    async with pot.ctx.db.read() as conn:
        due = await conn.scalar(
            select(k.due_at_ms).where(
                k.kind == TaskKind.PAYOUT.value, k.item_id == int(proposal_id)
            )
        )
    return None if due is None else int(due)


async def _statuses_told(pot: Pot, proposal_id: str) -> list[str]:
    """The statuses `pot.proposal_resolved` told the chat, in order."""
    import orjson

    async with pot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(chat_events.c.payload)
            .where(
                chat_events.c.chat_id == int(pot.chat_id),
                chat_events.c.type == "pot.proposal_resolved",
            )
            .order_by(chat_events.c.seq)
        )
        payloads = [orjson.loads(row.payload) for row in rows]
    return [p["status"] for p in payloads if p["proposal_id"] == proposal_id]


async def test_a_passed_proposal_is_paid_once(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    proposal = await _passed(pot)
    assert await _payout_due(pot, proposal) == pot.clock.now_ms()
    assert await run_payout(pot.ctx, int(proposal)) is None
    paid = await pot.proposal(proposal)
    [made] = pot.double.made("payout")
    assert (paid["status"], paid["payout_id"]) == ("paid", made.id)
    assert made.call.key == f"proposal:{proposal}"
    assert (made.call.amount_minor, made.call.currency, made.call.target) == (
        3000,
        "EUR",
        "Camping Shop",
    )
    assert made.call.metadata == {"proposal_id": proposal, "pot_id": pot.id}
    view = await pot.view()
    assert (view["balance_minor"], view["available_minor"], view["reserved_minor"]) == (
        7000,
        7000,
        0,
    )
    async with pot.ctx.db.read() as conn:
        payees = await ledger_store.get_account(conn, payee_account_key("EUR"))
    assert payees is not None
    assert payees.credits_posted == 3000
    assert await _payout_due(pot, proposal) is None
    # The worker again, or a late run: nothing more is asked or written.
    assert await run_payout(pot.ctx, int(proposal)) is None
    assert len([c for c in pot.double.calls if c.op == "payout"]) == 1
    assert await _resolutions(pot, proposal) == 1
    assert await _statuses_told(pot, proposal) == ["passed", "paid"]
    await _ledger_balances(pot)


@pytest.mark.parametrize("how", ["failed", "declined"])
async def test_a_refused_payout_frees_the_money(make_pot: MakePot, how: str) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    proposal = await _passed(pot, 8000)
    if how == "failed":
        pot.double.payout_outcome = MoveOutcome.FAILED
    else:
        pot.double.declines.add("payout")
    assert await run_payout(pot.ctx, int(proposal)) is None
    assert (await pot.proposal(proposal))["status"] == "failed"
    view = await pot.view()
    assert (view["available_minor"], view["reserved_minor"]) == (10_000, 0)
    assert await _payout_due(pot, proposal) is None
    assert await _statuses_told(pot, proposal) == ["passed", "failed"]
    # The money is free: a new proposal may take it.
    assert (await pot.propose("bob", 10_000)).status_code == 201
    await _ledger_balances(pot)


async def test_an_unreachable_provider_is_asked_again(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    proposal = await _passed(pot)
    pot.double.unreachable.add("payout")
    assert await run_payout(pot.ctx, int(proposal)) == pot.clock.now_ms() + RETRY_FIRST_MS
    assert (await pot.proposal(proposal))["status"] == "passed"
    assert (await pot.view())["reserved_minor"] == 3000
    assert await run_payout(pot.ctx, int(proposal)) is None
    assert (await pot.proposal(proposal))["status"] == "paid"


async def test_payout_webhooks_apply_once_whatever_their_order(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    proposal = await _passed(pot)
    pot.double.payout_outcome = MoveOutcome.PENDING
    assert await run_payout(pot.ctx, int(proposal)) == pot.clock.now_ms() + CONFIRM_WAIT_MS
    waiting = await pot.proposal(proposal)
    [made] = pot.double.made("payout")
    assert (waiting["status"], waiting["payout_id"]) == ("passed", made.id)
    paid = pot.double.settle_payout(made.id, paid=True)
    failed_late = pot.double.settle_payout(made.id, paid=False)
    for event in (paid, paid, failed_late, paid):
        await on_provider_event(pot.ctx, event)
    assert (await pot.proposal(proposal))["status"] == "paid"
    assert await _resolutions(pot, proposal) == 1
    assert (await pot.view())["balance_minor"] == 7000
    # The worker's next look changes nothing either.
    assert await run_payout(pot.ctx, int(proposal)) is None
    assert await _statuses_told(pot, proposal) == ["passed", "paid"]
    # An event for another amount, or for nothing of ours, is ignored.
    stranger = pot.double.settle_payout(made.id)
    await on_provider_event(pot.ctx, type(stranger)(**{**stranger.__dict__, "metadata": {}}))
    await _ledger_balances(pot)


async def test_a_pending_payout_that_fails_frees_the_money(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    proposal = await _passed(pot)
    pot.double.payout_outcome = MoveOutcome.PENDING
    await run_payout(pot.ctx, int(proposal))
    [made] = pot.double.made("payout")
    failed = pot.double.settle_payout(made.id, paid=False)
    await on_provider_event(pot.ctx, failed)
    await on_provider_event(pot.ctx, failed)
    assert (await pot.proposal(proposal))["status"] == "failed"
    assert (await pot.view())["available_minor"] == 10_000
    assert await run_payout(pot.ctx, int(proposal)) is None
    assert await _resolutions(pot, proposal) == 1


async def test_a_crash_between_provider_and_ledger_pays_once(make_pot: MakePot) -> None:
    """The node dies after the provider paid and before the ledger knew: the next attempt
    asks with the same key, the provider answers with the same payout, the ledger posts it
    once."""
    pot = await make_pot({"alice": 6000, "bob": 4000})
    proposal = await _passed(pot)
    pot.double.crash_after.add("payout")
    with pytest.raises(Crash):
        await run_payout(pot.ctx, int(proposal))
    assert (await pot.proposal(proposal))["status"] == "passed"
    assert await _payout_due(pot, proposal) is not None  # the task is still there
    assert await run_payout(pot.ctx, int(proposal)) is None
    calls = [c for c in pot.double.calls if c.op == "payout"]
    assert len(calls) == 2
    assert {c.key for c in calls} == {f"proposal:{proposal}"}
    assert len(pot.double.made("payout")) == 1
    assert (await pot.proposal(proposal))["status"] == "paid"
    assert await _resolutions(pot, proposal) == 1
    assert (await pot.view())["balance_minor"] == 7000
    await _ledger_balances(pot)


async def _set_pot(pot: Pot, **values: Any) -> None:
    async with pot.ctx.db.write() as tx:
        await pot_store.update_pot(tx.conn, int(pot.id), **values)


@pytest.mark.parametrize("hold", ["frozen", "review"])
async def test_held_payouts_wait_then_proceed(make_pot: MakePot, hold: str) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    before = await _passed(pot, 1000)
    if hold == "frozen":
        await _set_pot(pot, frozen=True, frozen_reason="a moderator looks")
    else:
        await _set_pot(pot, verdict=Verdict(Outcome.REVIEW, ("test.rule",), "looks odd"))
    assert (await pot.view())["payouts_held"] is True
    now = pot.clock.now_ms()
    assert await run_payout(pot.ctx, int(before)) == now + HELD_RECHECK_MS
    assert pot.double.calls[-1].op != "payout"
    if hold == "review":
        # Under review the vote goes on; what passes waits for the hold to end.
        during = await _passed(pot, 1000, "during")
        assert await _payout_due(pot, during) == now + HELD_RECHECK_MS
    assert (await pot.proposal(before))["status"] == "passed"
    # Lifting the hold lets every passed payout go at once.
    pot.clock.advance(1000)
    async with pot.ctx.db.write() as tx:
        if hold == "frozen":
            await pot_store.update_pot(tx.conn, int(pot.id), frozen=False, frozen_reason=None)
        else:
            await pot_store.update_pot(tx.conn, int(pot.id), verdict=ALLOWED)
        resumed = await resume_payouts(pot.ctx, tx, int(pot.id))
    assert resumed == (1 if hold == "frozen" else 2)
    # (The worker would have moved `before`'s task to the recheck time; now it is due.)
    due = await _payout_due(pot, before)
    assert due is not None
    assert due <= pot.clock.now_ms()
    if hold == "review":
        assert await _payout_due(pot, during) == pot.clock.now_ms()
    assert await run_payout(pot.ctx, int(before)) is None
    assert (await pot.proposal(before))["status"] == "paid"


async def test_a_frozen_pot_takes_no_proposals(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    await _set_pot(pot, frozen=True, frozen_reason="held")
    refused = await pot.propose("alice", 1000)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/pot_frozen")


async def test_concurrent_proposals_never_overspend(make_pot: MakePot) -> None:
    """20 proposals at once, each its own request and transaction: exactly as many as the
    balance covers are reserved, the rest are refused, and the ledger balances."""
    pot = await make_pot({"alice": 6000, "bob": 4000})
    answers = await asyncio.gather(
        *(pot.propose("alice", 700, client_id=f"c{i}") for i in range(20))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 14 + [409] * 6, [a.text for a in answers if a.status_code >= 500]
    view = await pot.view()
    assert (view["reserved_minor"], view["available_minor"]) == (9800, 200)
    await _ledger_balances(pot)
    # Paying some and failing others keeps every number exact.
    ids = [a.json()["id"] for a in answers if a.status_code == 201]
    for proposal in ids[:5]:
        await pot.vote("alice", proposal, True)
        await pot.vote("bob", proposal, True)
    pot.double.payout_outcome = MoveOutcome.SUCCEEDED
    await asyncio.gather(*(run_payout(pot.ctx, int(p)) for p in ids[:5]))
    view = await pot.view()
    assert (view["balance_minor"], view["reserved_minor"], view["available_minor"]) == (
        10_000 - 3500,
        9800 - 3500,
        200,
    )
    await _ledger_balances(pot)


async def test_a_frozen_pot_refunded_all_waits_for_its_held_payout_until_unfrozen(
    make_pot: MakePot, http: httpx.AsyncClient
) -> None:
    """Refund-all of a frozen pot whose passed payout the freeze holds: the refunds wait for
    that payout, so the operator may unfreeze the pot being given back; then the payout is
    asked at once and the rest goes back. (Unfreezing was refused for a refunding pot: the
    money was stuck for good.)"""
    pot = await make_pot({"alice": 6000, "bob": 4000})
    op = await caller_of(pot.ctx, await operator(http, pot.ctx))
    passed = await _passed(pot, 1000)
    await pot_admin.do_freeze_pot(pot.ctx, op, int(pot.id), "reported")
    await pot_admin.do_refund_all(pot.ctx, op, int(pot.id))
    for _ in range(3):
        pot.clock.advance(HELD_RECHECK_MS)
        await run_due_tasks(pot.ctx)
    view = await pot.view()
    assert (view["status"], view["balance_minor"], view["reserved_minor"]) == (
        "refunding",
        10_000,
        1_000,
    )
    await pot_admin.do_unfreeze_pot(pot.ctx, op, int(pot.id))
    assert await _payout_due(pot, passed) == pot.clock.now_ms()
    for _ in range(3):
        await run_due_tasks(pot.ctx)
        pot.clock.advance(PAYOUT_WAIT_MS)
    assert (await pot.proposal(passed))["status"] == "paid"
    view = await pot.view()
    assert (view["status"], view["balance_minor"], view["reserved_minor"]) == ("settled", 0, 0)
    refunded = {r.call.target: r.call.amount_minor for r in pot.double.made("refund")}
    assert sorted(refunded.values()) == [3_600, 5_400]
    await _ledger_balances(pot)
