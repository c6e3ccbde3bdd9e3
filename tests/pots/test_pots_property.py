"""Property (DESIGN.md §4.5): whatever contributions, payer decisions, duplicated, delayed,
reordered and replayed webhooks, provider outages and failures, proposals, votes, deadlines,
freezes, refunds-all, closes and finishes come, in whatever order, the pots keep their books.

The machine drives the real actions and the app's own provider, the sandbox, with a fake
clock: the sandbox's cruelty duplicates, delays, reorders and fails webhooks and makes calls
raise ProviderError; `flush` delivers what is due through the webhook path (signature
checked); the payer confirms or declines on the checkout token, or never does. The pot
worker's tasks run when a rule says so (`pot_tasks.run_due_tasks`). After every step:

- `check_ledger` finds nothing wrong (both sides: the ledger and the business rows);
- every pot's account is never below zero, available or not;
- each pot's balance is what an independent model says from the webhooks the provider
  delivered: payments confirmed, less refunds and payouts the provider made; its
  `raised_minor` is the payments less the refunds, its reservations are its open proposals
  and refunds in flight;
- money is conserved: the clearing account gave each pot what the pots received, the pots
  gave back and paid out what the clearing and payee accounts received;
- every contribution is refunded at most once: one posted REFUND transfer at most, one
  successful refund at the provider at most, `refunded_minor` within its amount and equal to
  both;
- a refund's reservation is released only when the provider failed that very attempt, a
  payout's only when it failed it (or the vote decided);
- whatever an action refuses changes nothing, and neither does an earlier webhook replayed
  verbatim (or refused, once its signature is out of tolerance).

At the end the machine runs to quiescence (every webhook delivered, every task run, time
moved on past every deadline and window) and checks that a pot that ended is empty and that
an all-or-nothing pot that missed its goal gave every contribution back in full.

Runs on SQLite, and on PostgreSQL when COLLETTA_TEST_DATABASE_URL is set; derandomized in CI.
A longer hunt: COLLETTA_POTS_PROPERTY_EXAMPLES=500.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import orjson
import pytest
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select

from colletta.actions import pot_admin, pot_tasks, webhooks
from colletta.actions.accounts import access_caller, do_create_operator, do_login, do_register
from colletta.actions.callers import Caller
from colletta.actions.chats import do_create_chat
from colletta.actions.context import Context
from colletta.actions.contributions import do_contribute
from colletta.actions.members import do_add_member
from colletta.actions.pots import do_create_pot
from colletta.actions.proposals import do_create_proposal, do_vote_proposal
from colletta.actions.refunds import ATTEMPT_FIELD
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.domain.ledger import ExceedsCredits, TransferCode, TransferFlag
from colletta.domain.pot_admin import GoalNotReached, SpendingPending
from colletta.domain.pots import (
    AlreadyVoted,
    ContributionStatus,
    FundingModel,
    PotClosed,
    PotFrozen,
    PotStatus,
    ProposalStatus,
    clearing_account_key,
    payee_account_key,
)
from colletta.domain.spending import ProposalClosed
from colletta.errors import (
    ColettaError,
    Forbidden,
    Gone,
    InvalidInput,
    Unavailable,
    WebhookRefused,
)
from colletta.payments import signing
from colletta.payments.sandbox import CHECKOUT_PATH, CHECKOUT_TTL_S, Cruelty, SandboxProvider
from colletta.services import build_context, start_context, stop_context
from colletta.store import contributions as contribution_store
from colletta.store import pot_tasks as task_store
from colletta.store.db import Conn
from colletta.store.ledger_check import check_ledger
from colletta.store.schema import (
    chat_events,
    contributions,
    ledger_accounts,
    ledger_transfers,
    metadata,
    pots,
    proposal_votes,
    proposals,
)
from colletta.store.schema import (
    pot_tasks as pot_tasks_table,
)
from tests.conftest import IN_CI, PASSWORD

T = TypeVar("T")
# More for a long hunt: COLLETTA_POTS_PROPERTY_EXAMPLES=500.
EXAMPLES = int(os.environ.get("COLLETTA_POTS_PROPERTY_EXAMPLES", "30"))
SECOND_MS = 1_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
CURRENCIES = ["EUR", "EUR", "JPY"]
MEMBERS = ["owner", "ann", "ben", "cat"]
PAYEE = "Camping Shop"
# Mostly short, so that webhooks, retries and votes happen before the deadlines.
TIME_STEPS = [SECOND_MS, 30 * SECOND_MS, MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS]
TIME_STEPS += [30 * MINUTE_MS, HOUR_MS, HOUR_MS, 6 * HOUR_MS, DAY_MS]


# --- the model


@dataclass
class PotRef:
    """A pot as the machine opened it."""

    id: int
    currency: str
    model: FundingModel
    goal_minor: int
    ended_by_hand: bool = False  # refund-all or finish asked: not a missed goal


@dataclass
class ContributionRef:
    """A contribution the machine started: its client id (for a retry) and its checkout
    token once the provider answered."""

    id: int
    pot_id: int
    user: str
    amount_minor: int
    currency: str
    client_id: str
    token: str | None = None
    issued_ms: int = 0


@dataclass
class ProposalRef:
    id: int
    pot_id: int
    proposer: str
    amount_minor: int
    votes: set[str] = field(default_factory=set)


@dataclass
class Delivered:
    """A webhook the sandbox delivered, as it went out."""

    body: bytes
    headers: dict[str, str]
    sent_ms: int


@dataclass
class Books:
    """What the provider told us, from the webhooks delivered: the model's side of the books.
    Each event counts once (by the object it is about), however often it came."""

    payments: dict[int, int] = field(default_factory=dict)  # contribution → amount paid in
    failed_payments: set[int] = field(default_factory=set)
    # refund id at the provider → (contribution, amount)
    refunds: dict[str, tuple[int, int]] = field(default_factory=dict)
    failed_refunds: set[str] = field(default_factory=set)  # attempts: refund transfer ids
    payouts: dict[str, tuple[int, int]] = field(default_factory=dict)  # id → (proposal, amount)
    failed_payouts: dict[str, int] = field(default_factory=dict)  # id → proposal
    pot_of: dict[int, int] = field(default_factory=dict)  # contribution or proposal → pot

    def take(self, body: bytes) -> None:
        data = orjson.loads(body)
        kind, obj = data["type"], data["data"]["object"]
        meta = obj["metadata"]
        amount = int(obj["amount_minor"])
        pot_id = int(meta["pot_id"])
        if kind.startswith("payment."):
            cid = int(meta["contribution_id"])
            self.pot_of[cid] = pot_id
            if kind == "payment.succeeded":
                self.payments[cid] = amount
            else:
                self.failed_payments.add(cid)
        elif kind.startswith("refund."):
            cid = int(meta["contribution_id"])
            if kind == "refund.succeeded":
                self.refunds[obj["id"]] = (cid, amount)
            else:
                # The attempt (its transfer id) the provider failed.
                self.failed_refunds.add(meta.get(ATTEMPT_FIELD, ""))
        else:
            pid = int(meta["proposal_id"])
            self.pot_of[pid] = pot_id
            if kind == "payout.paid":
                self.payouts[obj["id"]] = (pid, amount)
            else:
                self.failed_payouts[obj["id"]] = pid

    def refunded(self, contribution_id: int) -> list[int]:
        return [amount for cid, amount in self.refunds.values() if cid == contribution_id]

    def balance(self, pot_id: int) -> int:
        paid_in = sum(a for cid, a in self.payments.items() if self.pot_of[cid] == pot_id)
        back = sum(a for cid, a in self.refunds.values() if self.pot_of[cid] == pot_id)
        out = sum(a for pid, a in self.payouts.values() if self.pot_of[pid] == pot_id)
        return paid_in - back - out

    def raised(self, pot_id: int) -> int:
        paid_in = sum(a for cid, a in self.payments.items() if self.pot_of[cid] == pot_id)
        back = sum(a for cid, a in self.refunds.values() if self.pot_of[cid] == pot_id)
        return paid_in - back


class ErrorLog(logging.Handler):
    """Errors logged by the app: a task that raised (the worker swallows it), a webhook the
    sandbox gave up on, a provider's inconsistency. None may happen."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()} {record.exc_text or ''}")


# --- what is read after every step


@dataclass
class Snapshot:
    pots: dict[int, Any]
    accounts: dict[str, Any]  # by key
    transfers: list[Any]
    contributions: dict[int, Any]
    proposals: dict[int, Any]
    votes: list[Any]
    tasks: list[Any]
    events: int
    problems: list[Any]

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a refused action must leave as it was."""
        return (
            sorted((k, tuple(v)) for k, v in self.pots.items()),
            sorted((k, tuple(v)) for k, v in self.accounts.items()),
            sorted(tuple(t) for t in self.transfers),
            sorted((k, tuple(v)) for k, v in self.contributions.items()),
            sorted((k, tuple(v)) for k, v in self.proposals.items()),
            sorted(tuple(v) for v in self.votes),
            sorted(tuple(t) for t in self.tasks),
            self.events,
        )


async def read_snapshot(conn: Conn) -> Snapshot:
    async def rows(table: Any) -> list[Any]:
        return list(await conn.execute(select(table)))

    return Snapshot(
        pots={r.id: r for r in await rows(pots)},
        accounts={r.key: r for r in await rows(ledger_accounts)},
        transfers=await rows(ledger_transfers),
        contributions={r.id: r for r in await rows(contributions)},
        proposals={r.id: r for r in await rows(proposals)},
        votes=await rows(proposal_votes),
        tasks=await rows(pot_tasks_table),
        events=len(await rows(chat_events)),
        problems=await check_ledger(conn),
    )


def available_of(account: Any) -> int:
    return int(account.credits_posted - account.debits_posted - account.debits_pending)


def transfer_states(transfers: list[Any]) -> dict[str, str]:
    """Each transfer that is not a resolution: posted, pending, or voided (voided or expired)."""
    resolution = {t.pending_id: t.flags for t in transfers if t.pending_id is not None}
    states = {}
    for t in transfers:
        if t.pending_id is not None:
            continue
        if not t.flags & TransferFlag.PENDING:
            states[t.id] = "posted"
        elif t.id not in resolution:
            states[t.id] = "pending"
        elif resolution[t.id] & TransferFlag.POST_PENDING:
            states[t.id] = "posted"
        else:
            states[t.id] = "voided"
    return states


Expected = type[ColettaError] | None  # the refusal an action must answer with, or None


class PotMachine(RuleBasedStateMachine):
    # One event loop, one Context (the app's services, the sandbox its default provider) for
    # every example; each example starts from an empty database and a calm sandbox.
    runner: ClassVar[asyncio.Runner]
    ctx: ClassVar[Context]
    clock: ClassVar[FakeClock]
    sandbox: ClassVar[SandboxProvider]
    deliver: ClassVar[Any]  # the services' delivery: the webhook endpoint's code path
    errors: ClassVar[ErrorLog]

    pot_refs = Bundle("pots")
    contribution_refs = Bundle("contributions")
    proposal_refs = Bundle("proposals")

    def __init__(self) -> None:
        super().__init__()
        self.books = Books()
        self.delivered: list[Delivered] = []
        self.delivery_errors: list[str] = []
        self.pots: dict[int, PotRef] = {}
        self.contribs: dict[int, ContributionRef] = {}
        self.props: dict[int, ProposalRef] = {}
        self.callers: dict[str, Caller] = {}
        self.serial = 0
        self.errors.records.clear()
        self.run(self._start())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    async def _start(self) -> None:
        # Whatever an earlier example left waiting is dropped, not delivered here.
        async def nowhere(body: bytes, headers: dict[str, str]) -> None:
            return None

        self.sandbox.deliver = nowhere
        await self.sandbox.flush(everything=True)
        self.sandbox.cruelty = Cruelty(seed=0)
        self.sandbox.deliver = self._deliver
        async with self.ctx.db.write() as tx:
            for table in reversed(metadata.sorted_tables):
                await tx.conn.execute(delete(table))
        operator = await do_create_operator(self.ctx, "operator", PASSWORD)
        self.callers["operator"] = await self._login(operator.username)
        for name in MEMBERS:
            await do_register(self.ctx, name, PASSWORD)
            self.callers[name] = await self._login(name)
        chat = await do_create_chat(self.ctx, self.callers["owner"], "group", "Camp")
        self.chat_id = int(chat["id"])
        for name in MEMBERS[1:]:
            await do_add_member(self.ctx, self.callers["owner"], self.chat_id, self.user(name))

    async def _login(self, username: str) -> Caller:
        result = await do_login(self.ctx, username, PASSWORD, None)
        return await access_caller(self.ctx, result.token)

    def user(self, name: str) -> int:
        return self.callers[name].user_id

    async def _deliver(self, body: bytes, headers: dict[str, str]) -> None:
        """The sandbox's delivery, recorded: what the provider told us, and the webhook as it
        went (for replays). A delivery the app fails on is a bug: the sandbox would retry."""
        try:
            await self.deliver(body, headers)
        except Exception as exc:
            self.delivery_errors.append(f"{type(exc).__name__}: {exc}")
            raise
        self.books.take(body)
        self.delivered.append(Delivered(body, dict(headers), self.clock.now_ms()))

    async def _outcome(self, coroutine: Coroutine[Any, Any, Any]) -> BaseException | None:
        try:
            await coroutine
        except ColettaError as exc:
            return exc
        return None

    async def _snapshot(self) -> Snapshot:
        async with self.ctx.db.read() as conn:
            return await read_snapshot(conn)

    def refused(
        self, what: str, before: Snapshot, outcome: BaseException | None, expected: Expected
    ) -> None:
        """The outcome is the expected one; a refusal changed nothing."""
        assert type(outcome) is (type(None) if expected is None else expected), (
            outcome,
            expected,
        )
        label = "ok" if expected is None else expected.__name__
        event(f"{what}: {label}")
        if outcome is not None:
            after = self.run(self._snapshot())
            assert after.fingerprint() == before.fingerprint(), outcome

    # --- pots

    POT_FIELDS: ClassVar[dict[str, st.SearchStrategy[Any]]] = {
        "currency": st.sampled_from(CURRENCIES),
        "model": st.sampled_from(FundingModel),
        "weighting": st.sampled_from(["member", "contribution"]),
        "goal": st.integers(100, 2_500),
        "member_cap": st.none() | st.integers(100, 3_000),
        "pot_cap": st.none() | st.integers(500, 6_000),
        "deadline_ms": st.sampled_from([2 * HOUR_MS, 6 * HOUR_MS, DAY_MS, 3 * DAY_MS]),
        "window_s": st.sampled_from([60, 3_600, 86_400]),
        "quorum": st.sampled_from([1, 50, 100]),
        "majority": st.sampled_from([50, 66]),
    }

    @initialize(target=pot_refs, **POT_FIELDS)
    def first_pot(self, **fields: Any) -> int:
        return self.open_pot(**fields)

    @precondition(lambda self: len(self.pots) < 3)
    @rule(target=pot_refs, **POT_FIELDS)
    def open_pot(
        self,
        currency: str,
        model: FundingModel,
        weighting: str,
        goal: int,
        member_cap: int | None,
        pot_cap: int | None,
        deadline_ms: int,
        window_s: int,
        quorum: int,
        majority: int,
    ) -> int:
        """Both models, caps or none, votes by member or by contribution."""
        fields = {
            "title": "Tents",
            "currency": currency,
            "goal_minor": goal,
            "deadline_at_ms": self.clock.now_ms() + deadline_ms,
            "model": model.value,
            "vote_weighting": weighting,
            "member_cap_minor": member_cap,
            "pot_cap_minor": pot_cap,
            "quorum_pct": quorum,
            "majority_pct": majority,
            "proposal_window_s": window_s,
        }
        view = self.run(do_create_pot(self.ctx, self.callers["owner"], self.chat_id, fields))
        pot_id = int(view["id"])
        self.pots[pot_id] = PotRef(pot_id, currency, model, goal)
        return pot_id

    # --- contributions

    @rule(
        target=contribution_refs,
        pot_id=pot_refs,
        who=st.sampled_from(MEMBERS),
        amount=st.integers(0, 9).flatmap(
            lambda n: st.integers(-2, 0) if n == 0 else st.integers(1, 1_500)
        ),
        wrong_currency=st.integers(0, 9).map(lambda n: n == 0),
        then=st.sampled_from(["confirm", "confirm+deliver", "confirm+deliver", "decline", "later"]),
    )
    def contribute(
        self, pot_id: int, who: str, amount: int, wrong_currency: bool, then: str
    ) -> Any:
        """Valid and invalid amounts; invalid ones change nothing."""
        ref = self.pots[pot_id]
        currency = "USD" if wrong_currency else ref.currency
        before = self.run(self._snapshot())
        pot = before.pots[pot_id]
        mine = self.run(self._held_by(pot_id, self.user(who)))
        expected: Expected = None
        if amount <= 0 or currency != ref.currency:
            expected = InvalidInput
        elif pot.frozen:
            expected = PotFrozen
        elif pot.status != PotStatus.OPEN.value:
            expected = PotClosed
        elif (pot.member_cap_minor is not None and mine + amount > pot.member_cap_minor) or (
            pot.pot_cap_minor is not None and pot.raised_minor + amount > pot.pot_cap_minor
        ):
            expected = InvalidInput
        client_id = self.next_id("c")
        view: dict[str, Any] = {}

        async def call() -> None:
            view.update(
                await do_contribute(
                    self.ctx, self.callers[who], pot_id, amount, currency, client_id
                )
            )

        outcome = self.run(self._outcome(call()))
        if isinstance(outcome, Unavailable) and expected is None:
            # The provider was down: the contribution waits, without a payment, for a retry.
            found = self.run(self._by_client(pot_id, self.user(who), client_id))
            assert found is not None
            assert found.status is ContributionStatus.PENDING
            assert found.payment_id is None
            ref_c = ContributionRef(found.id, pot_id, who, amount, currency, client_id)
            self.contribs[found.id] = ref_c
            event("contribute: provider down")
            return ref_c
        self.refused("contribute", before, outcome, expected)
        if outcome is not None:
            return multiple()
        ref_c = ContributionRef(int(view["id"]), pot_id, who, amount, currency, client_id)
        self._got_checkout(ref_c, view)
        self.contribs[ref_c.id] = ref_c
        if then != "later":
            self.payer_decides(ref_c, then.startswith("confirm"))
        if then.endswith("+deliver"):
            self.run(self.sandbox.flush())
        return ref_c

    def _got_checkout(self, ref: ContributionRef, view: dict[str, Any]) -> None:
        url = view["checkout_url"]
        if url is not None and ref.token is None:
            assert url.startswith(CHECKOUT_PATH)
            ref.token = url[len(CHECKOUT_PATH) :]
            ref.issued_ms = self.clock.now_ms()

    def members(self, pot_id: int, anyone: bool, *also: str) -> list[str]:
        """Who has money in the pot (and `also`), or everyone."""
        if anyone:
            return MEMBERS
        holders = self.run(self._holders(pot_id))
        return [name for name in MEMBERS if self.user(name) in holders or name in also] or MEMBERS

    async def _holders(self, pot_id: int) -> dict[int, int]:
        async with self.ctx.db.read() as conn:
            return await contribution_store.held_per_contributor(conn, pot_id)

    async def _held_by(self, pot_id: int, user_id: int) -> int:
        async with self.ctx.db.read() as conn:
            return await contribution_store.held_by(conn, pot_id, user_id)

    async def _by_client(self, pot_id: int, user_id: int, client_id: str) -> Any:
        async with self.ctx.db.read() as conn:
            return await contribution_store.get_by_client(conn, pot_id, user_id, client_id)

    @rule(ref=contribution_refs)
    def retry_contribution(self, ref: ContributionRef) -> None:
        """The same client_id again: the same contribution, and its payment once the
        provider answers."""
        view: dict[str, Any] = {}

        async def call() -> None:
            view.update(
                await do_contribute(
                    self.ctx,
                    self.callers[ref.user],
                    ref.pot_id,
                    ref.amount_minor,
                    ref.currency,
                    ref.client_id,
                )
            )

        outcome = self.run(self._outcome(call()))
        if outcome is not None:
            assert isinstance(outcome, Unavailable), outcome
            assert ref.token is None
            return
        assert int(view["id"]) == ref.id
        self._got_checkout(ref, view)

    @rule(ref=contribution_refs, confirm=st.integers(0, 3).map(lambda n: n > 0))
    def payer_decides(self, ref: ContributionRef, confirm: bool) -> None:
        """On the sandbox's checkout page; the webhook follows later (a second answer is told
        the first and sends nothing)."""
        if ref.token is None:
            return
        waiting = self.sandbox.waiting
        try:
            decision = self.sandbox.decide(ref.token, confirm=confirm)
        except Gone:
            assert self.clock.now_ms() - ref.issued_ms > CHECKOUT_TTL_S * 1000
            event("payer: page expired")
            return
        if decision.already:
            assert self.sandbox.waiting == waiting
        event(f"payer: {decision.outcome.value}")

    # --- the provider

    @rule(everything=st.booleans())
    def deliver_webhooks(self, everything: bool) -> None:
        """What is due (or all that waits), duplicated and reordered as the cruelty says."""
        self.run(self.sandbox.flush(everything=everything))

    @precondition(lambda self: self.delivered)
    @rule(data=st.data(), fresh=st.booleans())
    def replay_webhook(self, data: st.DataObject, fresh: bool) -> None:
        """An earlier webhook body again, verbatim, through the endpoint's code: signed now
        (a provider's retry), or with its old signature (refused once out of tolerance).
        Either way it changes nothing: it was applied once already."""
        sent = data.draw(st.sampled_from(self.delivered))
        now_ms = self.clock.now_ms()
        headers = sent.headers
        if fresh:
            header = signing.signature_header(
                [self.sandbox.webhook_secret], sent.body, now_ms // 1000
            )
            headers = {**headers, signing.SIGNATURE_HEADER: header}
        stale = not fresh and now_ms // 1000 - sent.sent_ms // 1000 > signing.TOLERANCE_S
        before = self.run(self._snapshot())
        outcome = self.run(
            self._outcome(webhooks.do_receive_webhook(self.ctx, "sandbox", sent.body, headers))
        )
        assert isinstance(outcome, WebhookRefused) if stale else outcome is None, outcome
        after = self.run(self._snapshot())
        assert after.fingerprint()[:-1] == before.fingerprint()[:-1]
        event(f"replay: {'refused' if stale else 'accepted'}")

    CRUELTY: ClassVar[dict[str, st.SearchStrategy[Any]]] = {
        "error": st.sampled_from([0.0, 0.0, 0.2, 0.5]),
        "fail": st.sampled_from([0.0, 0.0, 0.2, 0.5]),
        "delay_s": st.sampled_from([0.0, 0.0, 30.0, 600.0]),
        "duplicate": st.sampled_from([0.0, 0.3, 1.0]),
        "reorder": st.booleans(),
        "seed": st.integers(1, 2**16),
    }

    @initialize(**CRUELTY)
    def provider_starts(self, **cruelty: Any) -> None:
        self.provider_behaves(**cruelty)

    @rule(**CRUELTY)
    def provider_behaves(
        self,
        error: float,
        fail: float,
        delay_s: float,
        duplicate: float,
        reorder: bool,
        seed: int,
    ) -> None:
        """Outages (ProviderError on calls), failed payments, refunds and payouts, delayed,
        duplicated and reordered webhooks; seeded, so an example repeats exactly."""
        self.sandbox.cruelty = Cruelty(
            error_share=error,
            fail_share=fail,
            delay_max_s=delay_s,
            duplicate_share=duplicate,
            reorder=reorder,
            seed=seed,
        )

    # --- time and the worker

    @rule(
        step_ms=st.sampled_from(TIME_STEPS),
        then_run=st.integers(0, 2).map(lambda n: n > 0),
    )
    def time_passes(self, step_ms: int, then_run: bool) -> None:
        """The clock moves on; the sandbox's sender delivers what fell due (as its background
        task would); then, maybe, the pot worker runs."""
        self.clock.advance(step_ms)
        self.run(self.sandbox.flush())
        if then_run:
            self.run_tasks()

    @rule()
    def run_tasks(self) -> None:
        """The pot worker's due tasks: deadlines, vote windows, refunds, payouts, refund-all."""
        ran = self.run(pot_tasks.run_due_tasks(self.ctx))
        event(f"tasks ran: {min(ran, 3)}")

    # --- spending

    @rule(
        target=proposal_refs,
        pot_id=pot_refs,
        anyone=st.integers(0, 3).map(lambda n: n == 0),
        over=st.integers(0, 3).map(lambda n: n == 0),
        data=st.data(),
    )
    def propose(self, pot_id: int, anyone: bool, over: bool, data: st.DataObject) -> Any:
        """Spending within the available balance, or over it (refused: nothing changes), by
        a contributor or the organiser, now and then by anyone; mostly in a pot that can
        spend."""
        before = self.run(self._snapshot())
        spendable = [
            p.id
            for p in before.pots.values()
            if not p.frozen
            and (p.status == "closed" or (p.status == "open" and p.model == "keep_what_you_raise"))
            and available_of(before.accounts[f"pot:{p.id}"]) > 0
        ]
        if spendable and not anyone:
            pot_id = data.draw(st.sampled_from(sorted(spendable)))
        who = data.draw(st.sampled_from(self.members(pot_id, anyone, "owner")))
        pot = before.pots[pot_id]
        account = before.accounts[f"pot:{pot_id}"]
        available = available_of(account)
        if over or available <= 0:
            amount = available + data.draw(st.integers(1, 500))
        else:
            amount = data.draw(st.integers(1, available))
        held = self.run(self._held_by(pot_id, self.user(who)))
        expected: Expected = None
        if pot.frozen:
            expected = PotFrozen
        elif not (
            pot.status == PotStatus.CLOSED.value
            or (
                pot.status == PotStatus.OPEN.value
                and pot.model == FundingModel.KEEP_WHAT_YOU_RAISE.value
            )
        ):
            expected = PotClosed
        elif held <= 0 and who != "owner":
            expected = Forbidden
        elif amount > available:
            expected = ExceedsCredits
        made: list[tuple[dict[str, Any], bool]] = []

        async def call() -> None:
            made.append(
                await do_create_proposal(
                    self.ctx,
                    self.callers[who],
                    pot_id,
                    self.next_id("p"),
                    "Four tents",
                    amount,
                    PAYEE,
                )
            )

        outcome = self.run(self._outcome(call()))
        self.refused("propose", before, outcome, expected)
        if outcome is not None:
            return multiple()
        view, created = made[0]
        assert created
        ref = ProposalRef(int(view["id"]), pot_id, who, amount)
        self.props[ref.id] = ref
        return ref

    @rule(
        ref=proposal_refs,
        anyone=st.integers(0, 3).map(lambda n: n == 0),
        approve=st.integers(0, 2).map(lambda n: n > 0),
        data=st.data(),
    )
    def vote(self, ref: ProposalRef, anyone: bool, approve: bool, data: st.DataObject) -> None:
        """One vote per contributor (now and then anyone, or on any proposal); a second is
        refused."""
        before = self.run(self._snapshot())
        voting = [p for p in self.props.values() if before.proposals[p.id].status == "voting"]
        if voting and not anyone:
            ref = data.draw(st.sampled_from(sorted(voting, key=lambda p: p.id)))
        who = data.draw(st.sampled_from(self.members(ref.pot_id, anyone)))
        proposal = before.proposals[ref.id]
        held = self.run(self._held_by(ref.pot_id, self.user(who)))
        expected: Expected = None
        if (
            proposal.status != ProposalStatus.VOTING.value
            or self.clock.now_ms() >= proposal.closes_at_ms
        ):
            expected = ProposalClosed
        elif held <= 0:
            expected = Forbidden
        elif who in ref.votes:
            expected = AlreadyVoted
        outcome = self.run(
            self._outcome(do_vote_proposal(self.ctx, self.callers[who], ref.id, approve))
        )
        self.refused("vote", before, outcome, expected)
        if outcome is None:
            ref.votes.add(who)
            after = self.run(self._snapshot())
            status = after.proposals[ref.id].status
            if status == ProposalStatus.PASSED.value:
                # Never on the proposer's approval alone.
                approvers = {
                    v.user_id for v in after.votes if v.proposal_id == ref.id and v.approve
                }
                assert approvers - {self.user(ref.proposer)}, approvers

    # --- the operator and the organiser

    @rule(
        pot_id=pot_refs,
        action=st.sampled_from(
            ["freeze", "unfreeze", "unfreeze", "refund_all", "refund_all", "close", "finish"]
        ),
        by_operator=st.booleans(),
    )
    def manage(self, pot_id: int, action: str, by_operator: bool) -> None:
        """The operator freezes, unfreezes or refunds all; the organiser refunds all (not
        while frozen), closes early (all-or-nothing: once the goal is met) or finishes."""
        before = self.run(self._snapshot())
        pot = before.pots[pot_id]
        states = transfer_states(before.transfers)
        payouts_pending = any(
            t.pot_id == pot_id and t.code == TransferCode.PAYOUT and states.get(t.id) == "pending"
            for t in before.transfers
        )
        stoppable = pot.status in ("open", "closed")
        expected: Expected = None
        operator, owner = self.callers["operator"], self.callers["owner"]
        call: Coroutine[Any, Any, Any]
        if action == "freeze":
            expected = None if stoppable else PotClosed
            call = pot_admin.do_freeze_pot(self.ctx, operator, pot_id, "a report")
        elif action == "unfreeze":
            expected = None if pot.status != "settled" else PotClosed
            call = pot_admin.do_unfreeze_pot(self.ctx, operator, pot_id)
        elif action == "refund_all":
            if not stoppable:
                expected = PotClosed
            elif pot.frozen and not by_operator:
                expected = PotFrozen
            call = pot_admin.do_refund_all(self.ctx, operator if by_operator else owner, pot_id)
        elif action == "close":
            if pot.frozen:
                expected = PotFrozen
            elif pot.status != "open":
                expected = PotClosed
            elif pot.model == "all_or_nothing" and pot.raised_minor < pot.goal_minor:
                expected = GoalNotReached
            call = pot_admin.do_close_pot(self.ctx, owner, pot_id)
        else:
            if pot.frozen:
                expected = PotFrozen
            elif pot.status != "closed":
                expected = PotClosed
            elif payouts_pending:
                expected = SpendingPending
            call = pot_admin.do_finish_pot(self.ctx, owner, pot_id)
        outcome = self.run(self._outcome(call))
        self.refused("manage", before, outcome, expected)
        if outcome is None and action in ("refund_all", "finish"):
            self.pots[pot_id].ended_by_hand = True

    # --- after every step

    @invariant()
    def books_hold(self) -> None:
        self.check(self.run(self._snapshot()))

    def check(self, snap: Snapshot) -> None:
        assert self.delivery_errors == []
        assert self.errors.records == []
        assert snap.problems == [], snap.problems
        states = transfer_states(snap.transfers)
        by_id = {t.id: t for t in snap.transfers}

        def amounts(code: TransferCode, state: str, **where: Any) -> Counter[int]:
            """Σ amount per ref (or per pot), over non-resolution transfers in `state`."""
            out: Counter[int] = Counter()
            for t in snap.transfers:
                if t.pending_id is None and t.code == code and states[t.id] == state:
                    out[t.ref_id if where.get("by") == "ref" else t.pot_id] += t.amount_minor
            return out

        posted_in = amounts(TransferCode.CONTRIBUTION, "posted")
        posted_back = amounts(TransferCode.REFUND, "posted")
        posted_out = amounts(TransferCode.PAYOUT, "posted")
        refunds_posted = amounts(TransferCode.REFUND, "posted", by="ref")
        refunds_pending = amounts(TransferCode.REFUND, "pending", by="ref")
        refunds_count: Counter[int] = Counter(
            t.ref_id
            for t in snap.transfers
            if t.pending_id is None
            and t.code == TransferCode.REFUND
            and states[t.id] in ("posted", "pending")
        )

        for pot_id, pot in snap.pots.items():
            account = snap.accounts[f"pot:{pot_id}"]
            balance = account.credits_posted - account.debits_posted
            available = balance - account.debits_pending
            assert balance >= 0, (pot_id, balance)
            assert available >= 0, (pot_id, available)
            assert pot.raised_minor == posted_in[pot_id] - posted_back[pot_id], pot_id
            assert balance == posted_in[pot_id] - posted_back[pot_id] - posted_out[pot_id]
            # The model: what the provider's webhooks said.
            assert balance == self.books.balance(pot_id), (pot_id, balance)
            assert pot.raised_minor == self.books.raised(pot_id), pot_id
            # Reserved: refunds in flight and proposals voting or passed, nothing else.
            in_flight = sum(
                refunds_pending[c.id]
                for c in snap.contributions.values()
                if c.pot_id == pot_id and c.status == ContributionStatus.REFUNDING.value
            )
            spending = sum(
                p.amount_minor
                for p in snap.proposals.values()
                if p.pot_id == pot_id and p.status in ("voting", "passed")
            )
            assert account.debits_pending == in_flight + spending, pot_id
            holders = {
                c.user_id
                for c in snap.contributions.values()
                if c.pot_id == pot_id
                and c.status in ("posted", "refunding")
                and c.amount_minor > c.refunded_minor
            }
            assert pot.contributor_count == len(holders), pot_id
            if pot.status == PotStatus.SETTLED.value:
                assert available == 0, pot_id
                assert spending == 0, pot_id

        for c in snap.contributions.values():
            status = ContributionStatus(c.status)
            assert 0 <= c.refunded_minor <= c.amount_minor, c.id
            # Refunded at most once: one refund in flight or posted at a time, and the
            # provider made at most one, of what the ledger posted.
            assert refunds_count[c.id] <= 1, c.id
            assert refunds_posted[c.id] == c.refunded_minor <= c.amount_minor, c.id
            given_back = self.books.refunded(c.id)
            assert len(given_back) <= 1, (c.id, given_back)
            assert sum(given_back) == c.refunded_minor, (c.id, given_back)
            assert (c.id in self.books.payments) == (status not in ("pending", "failed")), c.id
            if status is ContributionStatus.FAILED:
                assert c.id in self.books.failed_payments
            if status is ContributionStatus.REFUNDING:
                assert states.get(c.refund_transfer_id) == "pending", c.id
            else:
                assert refunds_pending[c.id] == 0, c.id
            if c.transfer_id is not None:
                assert by_id[c.transfer_id].amount_minor == c.amount_minor

        # A refund's reservation is released only when the provider failed that very attempt.
        for t in snap.transfers:
            if t.pending_id is None and t.code == TransferCode.REFUND and states[t.id] == "voided":
                assert t.id in self.books.failed_refunds, t.id

        paid = {pid for pid, _ in self.books.payouts.values()}
        for p in snap.proposals.values():
            assert (p.status == ProposalStatus.PAID.value) == (p.id in paid), p.id
            failed = p.id in self.books.failed_payouts.values()
            assert (p.status == ProposalStatus.FAILED.value) == failed, p.id
            expected_state = {
                "voting": "pending",
                "passed": "pending",
                "paid": "posted",
            }.get(p.status, "voided")
            assert states[p.transfer_id] == expected_state, (p.id, p.status)
        assert len(paid) == len(self.books.payouts)  # one payout per proposal

        # Money is conserved, per currency: what the clearing account gave, the pots got;
        # what the pots gave back and paid out, the clearing and payee accounts got.
        for currency in {ref.currency for ref in self.pots.values()}:
            mine = [p for p in snap.pots.values() if p.currency == currency]
            pot_accounts = [snap.accounts[f"pot:{p.id}"] for p in mine]
            clearing = snap.accounts.get(clearing_account_key("sandbox", currency))
            payees = snap.accounts.get(payee_account_key(currency))

            def four(row: Any) -> tuple[int, int, int, int]:
                if row is None:
                    return (0, 0, 0, 0)
                return (
                    row.debits_pending,
                    row.debits_posted,
                    row.credits_pending,
                    row.credits_posted,
                )

            c_dp, c_dpo, c_cp, c_cpo = four(clearing)
            _, _, y_cp, y_cpo = four(payees)
            assert c_dpo == sum(a.credits_posted for a in pot_accounts), currency
            assert c_cpo + y_cpo == sum(a.debits_posted for a in pot_accounts), currency
            assert c_cp + y_cp == sum(a.debits_pending for a in pot_accounts), currency
            assert c_dp == 0 == sum(a.credits_pending for a in pot_accounts), currency
            pot_ids = {p.id for p in mine}
            assert c_dpo == sum(
                a for cid, a in self.books.payments.items() if self.books.pot_of[cid] in pot_ids
            )
            assert c_cpo == sum(
                a for cid, a in self.books.refunds.values() if self.books.pot_of[cid] in pot_ids
            )
            assert y_cpo == sum(
                a for pid, a in self.books.payouts.values() if self.books.pot_of[pid] in pot_ids
            )

    # --- the end

    def teardown(self) -> None:
        self.run(self._quiesce())
        snap = self.run(self._snapshot())
        self.check(snap)
        self.check_end(snap)

    async def _quiesce(self) -> None:
        """Every webhook delivered and every task run, with time moving on to the next due
        task, by a provider that no longer misbehaves; frozen pots unfrozen by the operator
        (a frozen pot holds its payouts)."""
        self.sandbox.cruelty = Cruelty(seed=1)
        async with self.ctx.db.read() as conn:
            frozen = list(
                await conn.execute(
                    select(pots.c.id).where(pots.c.frozen & (pots.c.status != "settled"))
                )
            )
        for (pot_id,) in frozen:
            await pot_admin.do_unfreeze_pot(self.ctx, self.callers["operator"], pot_id)
        for _ in range(100):
            await self.sandbox.flush(everything=True)
            await pot_tasks.run_due_tasks(self.ctx)
            await self.sandbox.flush(everything=True)
            async with self.ctx.db.read() as conn:
                next_ms = await task_store.next_due_ms(conn)
            if next_ms is None and self.sandbox.waiting == 0:
                return
            if next_ms is not None:
                self.clock.advance(max(next_ms - self.clock.now_ms(), 0) + SECOND_MS)
        raise AssertionError("the pots never came to rest")

    def check_end(self, snap: Snapshot) -> None:
        states = transfer_states(snap.transfers)
        assert "pending" not in states.values()
        for pot_id, pot in snap.pots.items():
            ref = self.pots[pot_id]
            account = snap.accounts[f"pot:{pot_id}"]
            balance = account.credits_posted - account.debits_posted
            assert pot.status in ("closed", "settled"), (pot_id, pot.status)
            mine = [c for c in snap.contributions.values() if c.pot_id == pot_id]
            if pot.status == "settled":
                assert balance == 0, pot_id
                assert all(c.status in ("refunded", "failed", "pending") for c in mine)
            missed = (
                ref.model is FundingModel.ALL_OR_NOTHING
                and not ref.ended_by_hand
                and pot.status == "settled"
            )
            if missed:
                # The goal was missed at the deadline: everything went back, in full, once.
                event("end: all-or-nothing missed its goal")
                for c in mine:
                    if c.status == "refunded":
                        assert c.refunded_minor == c.amount_minor, c.id
                        assert self.books.refunded(c.id) == [c.amount_minor], c.id
                assert not any(
                    p.pot_id == pot_id and p.status == "paid" for p in snap.proposals.values()
                )


@pytest.mark.timeout(600)
def test_pots_keep_their_books(settings: Settings, clock: FakeClock) -> None:
    """On the database of `settings` (SQLite, and PostgreSQL when configured), with the
    tests' settings: the pot worker off (the machine runs its tasks), the clock fake."""
    errors = ErrorLog()
    logging.getLogger("colletta").addHandler(errors)
    with asyncio.Runner() as runner:
        ctx = build_context(settings, clock)
        runner.run(start_context(ctx))
        # The sandbox sends what is due from a background task; the machine sends it itself
        # (flush), so that nothing arrives between its steps.
        runner.run(ctx.providers.aclose())
        sandbox = ctx.providers.default
        assert isinstance(sandbox, SandboxProvider)
        PotMachine.runner = runner
        PotMachine.ctx = ctx
        PotMachine.clock = clock
        PotMachine.sandbox = sandbox
        PotMachine.deliver = staticmethod(sandbox.deliver)
        PotMachine.errors = errors
        try:
            run_state_machine_as_test(
                PotMachine,
                settings=hypothesis_settings(
                    # The rules are the same on both databases; PostgreSQL is here for its
                    # SQL and locking, which half the walks exercise as well (CI time).
                    max_examples=EXAMPLES
                    if settings.resolved_database_url.startswith("sqlite")
                    else max(1, EXAMPLES // 2),
                    # CI runs the same examples each time; a local run explores anew.
                    derandomize=IN_CI,
                    stateful_step_count=50,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                ),
            )
        finally:
            logging.getLogger("colletta").removeHandler(errors)
            runner.run(stop_context(ctx))
