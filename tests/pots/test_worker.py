"""The pot worker: deadlines decide pots, refunds reach the provider once whatever fails or
repeats, two nodes never do the same work, and a node that dies mid-task leaves nothing
half-done (DESIGN.md §4, §6). The provider is the in-memory double (worker_provider.py);
the clock is fake: nothing here sleeps."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from colletta.actions import pot_tasks, refunds
from colletta.actions.provider_events import on_provider_event
from colletta.app import create_app
from colletta.config import Settings
from colletta.domain.pots import ContributionStatus, PotStatus, TaskKind, refund_transfer_id
from colletta.payments.provider import Outcome, ProviderError, ProviderEventKind
from tests.conftest import MakePerson, Person
from tests.pots.worker_helpers import HOUR_MS, Money, events_of
from tests.test_expiry import synced
from tests.test_messages import make_group


@pytest.fixture
def money(app: Any) -> Money:
    return Money.install(app.state.ctx)


async def _group(person: MakePerson, n: int) -> tuple[list[Person], str]:
    people = [await person() for _ in range(n)]
    return people, await make_group(people[0], *people[1:])


async def test_an_all_or_nothing_pot_that_missed_its_goal_gives_everything_back_once(
    money: Money, person: MakePerson
) -> None:
    (alice, bob, carol), chat_id = await _group(person, 3)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing", goal_minor=10_000)
    given = [
        await money.give(bob, pot_id, 1_000),
        await money.give(carol, pot_id, 2_550),
        await money.give(bob, pot_id, 333),
    ]
    unpaid = await money.give(carol, pot_id, 700, paid=False)
    assert await money.run() == 0  # nothing due before the deadline
    money.advance(HOUR_MS)
    await money.run_until_idle()

    pot = await money.get_pot(pot_id)
    assert pot.status is PotStatus.SETTLED
    assert pot.raised_minor == 0
    assert pot.contributor_count == 0
    by_id = {c.id: c for c in await money.contributions(pot_id)}
    assert {cid: (by_id[cid].status, by_id[cid].refunded_minor) for cid in given} == {
        given[0]: (ContributionStatus.REFUNDED, 1_000),
        given[1]: (ContributionStatus.REFUNDED, 2_550),
        given[2]: (ContributionStatus.REFUNDED, 333),
    }
    assert by_id[unpaid].status is ContributionStatus.PENDING
    assert money.double.refund_calls() == Counter({refund_transfer_id(cid, 0): 1 for cid in given})
    totals = await money.check_books(pot_id)
    assert (totals.raised_minor, totals.refunded_minor, totals.balance_minor) == (3_883, 3_883, 0)
    changes = [e["change"] for e in events_of(await synced(bob, chat_id), "pot.updated")]
    assert changes == ["refunding", "settled"]

    # The payment that arrives after the deadline goes straight back.
    await on_provider_event(money.ctx, money.double.pay(unpaid))
    await money.run_until_idle()
    assert money.double.refunded_by_payment()[money.double.payment_for(unpaid).id] == 700
    await money.check_books(pot_id)


@pytest.mark.parametrize(
    ("model", "raised"), [("all_or_nothing", 10_000), ("keep_what_you_raise", 2_000)]
)
async def test_a_pot_that_met_its_goal_or_keeps_what_it_raised_closes_at_its_deadline(
    money: Money, person: MakePerson, model: str, raised: int
) -> None:
    (alice, bob), chat_id = await _group(person, 2)
    pot_id = await money.pot(alice, chat_id, model=model, goal_minor=10_000)
    await money.give(bob, pot_id, raised)
    money.advance(HOUR_MS)
    await money.run_until_idle()
    pot = await money.get_pot(pot_id)
    assert (pot.status, pot.closed_at_ms, pot.raised_minor) == (
        PotStatus.CLOSED,
        money.now_ms(),
        raised,
    )
    assert money.double.refunds == {}
    assert await money.tasks(pot_id) == 0
    # Idempotent: the deadline decided once; running it again changes nothing.
    assert await pot_tasks.do_close_pot_at_deadline(money.ctx, pot_id) is None
    assert (await money.get_pot(pot_id)).status is PotStatus.CLOSED
    changes = [e["change"] for e in events_of(await synced(bob, chat_id), "pot.updated")]
    assert changes == ["closed"]


async def test_refunds_the_provider_refuses_are_retried_with_backoff_and_made_once(
    money: Money, person: MakePerson
) -> None:
    (alice, bob), chat_id = await _group(person, 2)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing")
    cid = await money.give(bob, pot_id, 1_500)
    money.double.will("refund", ProviderError, ProviderError, Outcome.FAILED)
    money.advance(HOUR_MS)
    await money.run()  # deadline → refunding; first refund call: unreachable
    first = await money.task_due(TaskKind.REFUND, cid)
    assert first is not None
    assert first[0] == money.now_ms() + 60_000
    money.advance(60_000)
    await money.run()  # unreachable again: waits twice as long
    second = await money.task_due(TaskKind.REFUND, cid)
    assert second is not None
    assert second[0] == money.now_ms() + 120_000
    money.advance(120_000)
    await money.run()  # refused: the reservation is voided and a new attempt queued
    contribution = {c.id: c for c in await money.contributions(pot_id)}[cid]
    assert contribution.status is ContributionStatus.REFUNDING
    assert contribution.refund_transfer_id == refund_transfer_id(cid, 1)
    assert (await money.get_pot(pot_id)).status is PotStatus.REFUNDING
    await money.run_until_idle(step_ms=60_000)
    assert money.double.refund_calls() == Counter(
        {refund_transfer_id(cid, 0): 3, refund_transfer_id(cid, 1): 1}
    )
    assert money.double.refunded_by_payment() == Counter({contribution.payment_id: 1_500})
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    totals = await money.check_books(pot_id)
    assert totals.refunded_minor == 1_500


async def test_a_refund_webhook_replayed_or_out_of_order_changes_nothing(
    money: Money, person: MakePerson
) -> None:
    (alice, bob), chat_id = await _group(person, 2)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing")
    cid = await money.give(bob, pot_id, 900)
    money.double.will("refund", Outcome.PENDING)
    money.advance(HOUR_MS)
    await money.run()
    due = await money.task_due(TaskKind.REFUND, cid)
    assert due is not None
    assert due[0] == money.now_ms() + refunds.CONFIRM_WAIT_MS
    key = refund_transfer_id(cid, 0)
    succeeded = money.double.settle_refund(key, Outcome.SUCCEEDED)
    for _ in range(3):
        await on_provider_event(money.ctx, succeeded)
    # A stale failure for the same refund, delivered late: the refund stands.
    stale = money.double._event(
        ProviderEventKind.REFUND_FAILED,
        succeeded.object_id,
        succeeded.payment_id,
        succeeded.amount_minor,
        succeeded.currency,
        succeeded.metadata,
    )
    await on_provider_event(money.ctx, stale)
    await money.run_until_idle()
    contribution = {c.id: c for c in await money.contributions(pot_id)}[cid]
    assert (contribution.status, contribution.refunded_minor) == (ContributionStatus.REFUNDED, 900)
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    assert money.double.refund_calls() == Counter({key: 1})
    await money.check_books(pot_id)
    refunded = events_of(await synced(bob, chat_id), "pot.contribution_refunded")
    assert len(refunded) == 1


async def test_a_node_that_dies_after_the_provider_call_is_finished_by_the_next_lease(
    money: Money, person: MakePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    (alice, bob), chat_id = await _group(person, 2)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing")
    cid = await money.give(bob, pot_id, 1_200)
    real_finish = refunds.finish_refund

    async def dies(*args: Any) -> None:
        raise ConnectionError("the node died before writing down the refund")

    monkeypatch.setattr(refunds, "finish_refund", dies)
    money.advance(HOUR_MS)
    await money.run()
    key = refund_transfer_id(cid, 0)
    assert money.double.refund_calls() == Counter({key: 1})
    contribution = {c.id: c for c in await money.contributions(pot_id)}[cid]
    assert contribution.status is ContributionStatus.REFUNDING
    monkeypatch.setattr(refunds, "finish_refund", real_finish)

    lease_ms = money.ctx.settings.pot_task_lease_s * 1000
    money.advance(lease_ms - 1)
    assert await money.run() == 0  # the lease holds: nobody else asks meanwhile
    money.advance(1)
    await money.run_until_idle()
    # The same key again: the provider answers with the refund it already made.
    assert money.double.refund_calls() == Counter({key: 2})
    assert len(money.double.refunds) == 1
    assert money.double.refunded_by_payment() == Counter({contribution.payment_id: 1_200})
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    await money.check_books(pot_id)


async def test_refunding_many_contributions_goes_page_by_page_and_resumes_after_a_crash(
    money: Money, person: MakePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    (alice, bob, carol), chat_id = await _group(person, 3)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing", goal_minor=1_000_000)
    given = [await money.give((bob, carol)[i % 2], pot_id, 100 + i) for i in range(11)]
    monkeypatch.setattr(pot_tasks, "REFUND_BATCH", 3)
    real_start = pot_tasks.start_refund
    started = 0

    async def dies_on_the_fifth(*args: Any, **kwargs: Any) -> None:
        nonlocal started
        started += 1
        if started == 5:
            raise ConnectionError("the node died mid-page")
        await real_start(*args, **kwargs)

    monkeypatch.setattr(pot_tasks, "start_refund", dies_on_the_fifth)
    money.advance(HOUR_MS)
    await money.run()
    statuses = Counter(c.status for c in await money.contributions(pot_id))
    # The first page committed; the second died whole.
    assert statuses == Counter({ContributionStatus.REFUNDED: 3, ContributionStatus.POSTED: 8})
    monkeypatch.setattr(pot_tasks, "start_refund", real_start)
    await money.run_until_idle(step_ms=60_000)
    by_id = {c.id: c for c in await money.contributions(pot_id)}
    assert [by_id[cid].refunded_minor for cid in given] == [100 + i for i in range(11)]
    assert set(money.double.refund_calls().values()) == {1}
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    await money.check_books(pot_id)


async def test_a_deadline_that_passes_while_frozen_waits_for_the_operator(
    money: Money, person: MakePerson
) -> None:
    from colletta.actions.pot_admin import freeze_pot

    (alice, bob), chat_id = await _group(person, 2)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing")
    await money.give(bob, pot_id, 500)
    await freeze_pot(money.ctx, pot_id, "looks like a scam")
    money.advance(2 * HOUR_MS)
    await money.run_until_idle()
    pot = await money.get_pot(pot_id)
    assert (pot.status, pot.frozen) == (PotStatus.OPEN, True)
    assert money.double.refunds == {}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # one SQLite file is one node
async def test_two_nodes_sweeping_the_same_tasks_refund_each_contribution_once(
    settings: Settings, app: Any, money: Money, person: MakePerson
) -> None:
    people, chat_id = await _group(person, 4)
    pot_id = await money.pot(people[0], chat_id, model="all_or_nothing", goal_minor=1_000_000)
    given = [await money.give(people[1 + i % 3], pot_id, 50 + i) for i in range(40)]
    money.advance(HOUR_MS)
    other = create_app(settings, clock=money.ctx.clock)
    async with other.router.lifespan_context(other):
        node_b = Money.install(other.state.ctx, money.double)
        for _ in range(10):
            await asyncio.gather(money.run(), node_b.run())
            if not await money.tasks():
                break
            money.advance(60_000)
    assert await money.tasks() == 0
    assert money.double.refund_calls() == Counter({refund_transfer_id(cid, 0): 1 for cid in given})
    assert (await money.get_pot(pot_id)).status is PotStatus.SETTLED
    totals = await money.check_books(pot_id)
    assert totals.refunded_minor == sum(50 + i for i in range(40))


async def test_a_lease_taken_over_is_not_ended_by_the_node_that_lost_it(
    money: Money, person: MakePerson
) -> None:
    from colletta.store import pot_tasks as task_store

    (alice,), chat_id = await _group(person, 1)
    pot_id = await money.pot(alice, chat_id)
    now_ms = money.now_ms() + HOUR_MS
    async with money.ctx.db.write() as tx:
        [first] = await task_store.lease_due(tx.conn, now_ms, 10, 60_000)
    async with money.ctx.db.write() as tx:
        [second] = await task_store.lease_due(tx.conn, now_ms + 60_000, 10, 60_000)
    assert (first.item_id, second.attempts) == (pot_id, 2)
    async with money.ctx.db.write() as tx:
        assert not await task_store.end_lease(tx.conn, first, None)
        assert await task_store.end_lease(tx.conn, second, None)
    assert await money.tasks(pot_id) == 0


async def test_a_failed_refunds_webhook_again_does_not_fail_the_next_attempt(
    money: Money, person: MakePerson
) -> None:
    """A refund's failure, delivered twice (as providers do), fails that attempt only: the
    next attempt, already asked of the provider, stands, and the payer is refunded once."""
    (alice, bob), chat_id = await _group(person, 2)
    pot_id = await money.pot(alice, chat_id, model="all_or_nothing")
    cid = await money.give(bob, pot_id, 900)
    money.double.will("refund", Outcome.PENDING, Outcome.PENDING, Outcome.PENDING)
    money.advance(HOUR_MS)
    await money.run()
    failed = money.double.settle_refund(refund_transfer_id(cid, 0), Outcome.FAILED)
    await on_provider_event(money.ctx, failed)
    money.advance(HOUR_MS)
    await money.run()  # attempt 1 asked of the provider: pending there
    assert money.double.refund_calls()[refund_transfer_id(cid, 1)] == 1
    await on_provider_event(money.ctx, failed)  # attempt 0's failure, again
    money.advance(HOUR_MS)
    await money.run()
    # The provider completes whatever it was asked: attempt 1, and any attempt after it.
    while pending := [k for k, m in money.double.refunds.items() if m.outcome is Outcome.PENDING]:
        for key in pending:
            await on_provider_event(money.ctx, money.double.settle_refund(key, Outcome.SUCCEEDED))
        await money.run()
    await money.run_until_idle()

    contribution = {c.id: c for c in await money.contributions(pot_id)}[cid]
    assert (contribution.status, contribution.refunded_minor) == (ContributionStatus.REFUNDED, 900)
    assert money.double.refunded_by_payment() == Counter({contribution.payment_id: 900})
    assert contribution.refund_transfer_id == refund_transfer_id(cid, 1)
    await money.check_books(pot_id)
