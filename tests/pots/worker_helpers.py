"""What the pot worker's tests share: the provider double on the app's Context, and pots and
money made through the actions (the pot routes are another branch's)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from colletta.actions.accounts import access_caller, do_create_operator
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.contributions import do_contribute
from colletta.actions.pot_tasks import run_due_tasks
from colletta.actions.pots import do_create_pot
from colletta.actions.provider_events import on_provider_event
from colletta.domain.ledger import AccountFlag, RefKind, TransferCode, TransferFlag
from colletta.domain.pot_admin import LedgerTotals, ledger_totals
from colletta.domain.pots import (
    Contribution,
    Pot,
    ProposalStatus,
    TaskKind,
    payee_account_key,
    proposal_transfer_id,
    resolution_transfer_id,
)
from colletta.ids import new_id
from colletta.payments.provider import Providers
from colletta.store import contributions as contribution_store
from colletta.store import ledger as ledger_store
from colletta.store import pot_tasks as task_store
from colletta.store import pots as pot_store
from colletta.store.schema import contributions, proposals
from tests.conftest import PASSWORD, Person
from tests.pots.worker_provider import DoubleProvider

HOUR_MS = 3_600_000


@dataclass
class Money:
    """One node's Context with the double as its payment provider."""

    ctx: Context
    double: DoubleProvider

    @classmethod
    def install(cls, ctx: Context, double: DoubleProvider | None = None) -> Money:
        double = double or DoubleProvider()
        ctx.providers = Providers([double], double.name)
        return cls(ctx, double)

    def now_ms(self) -> int:
        return self.ctx.clock.now_ms()

    def advance(self, delta_ms: int) -> None:
        self.ctx.clock.advance(delta_ms)  # type: ignore[attr-defined]

    async def caller(self, person: Person) -> Caller:
        return await access_caller(self.ctx, person.token)

    async def pot(self, owner: Person, chat_id: str, **fields: Any) -> int:
        values = {
            "title": "Tents for the camp",
            "currency": "EUR",
            "goal_minor": 10_000,
            "deadline_at_ms": self.now_ms() + HOUR_MS,
            **fields,
        }
        view = await do_create_pot(self.ctx, await self.caller(owner), int(chat_id), values)
        return int(view["id"])

    async def give(
        self, person: Person, pot_id: int, amount_minor: int, *, paid: bool = True
    ) -> int:
        """A contribution, confirmed by the provider's webhook unless `paid` is False."""
        view = await do_contribute(
            self.ctx,
            await self.caller(person),
            pot_id,
            amount_minor,
            "EUR",
            secrets.token_hex(6),
        )
        if paid:
            await on_provider_event(self.ctx, self.double.pay(view["id"]))
        return int(view["id"])

    async def run(self) -> int:
        return await run_due_tasks(self.ctx)

    async def run_until_idle(self, *, step_ms: int = HOUR_MS, rounds: int = 50) -> None:
        """Run what is due, moving the clock on while anything is left to do."""
        for _ in range(rounds):
            await self.run()
            if not await self.tasks():
                return
            self.advance(step_ms)
        raise AssertionError("pot tasks never finished")

    async def tasks(self, pot_id: int | None = None) -> int:
        async with self.ctx.db.read() as conn:
            return await task_store.count_tasks(conn, pot_id)

    async def task_due(self, kind: TaskKind, item_id: int) -> tuple[int, int] | None:
        """(due_at_ms, attempts) of a task, if queued."""
        async with self.ctx.db.read() as conn:
            from colletta.store.schema import pot_tasks

            row = (
                await conn.execute(
                    select(pot_tasks.c.due_at_ms, pot_tasks.c.attempts).where(
                        (pot_tasks.c.kind == kind.value) & (pot_tasks.c.item_id == item_id)
                    )
                )
            ).first()
        return None if row is None else (row[0], row[1])

    async def get_pot(self, pot_id: int) -> Pot:
        async with self.ctx.db.read() as conn:
            pot = await pot_store.get_pot(conn, pot_id)
        assert pot is not None
        return pot

    async def contributions(self, pot_id: int) -> list[Contribution]:
        async with self.ctx.db.read() as conn:
            return await contribution_store.list_contributions(conn, pot_id, limit=100_000)

    async def totals(self, pot_id: int) -> LedgerTotals:
        pot = await self.get_pot(pot_id)
        async with self.ctx.db.read() as conn:
            by_code = await ledger_store.sum_by_code(conn, pot_id)
            account = (await ledger_store.get_accounts(conn, [pot.account_id]))[pot.account_id]
        return ledger_totals(pot.currency, by_code, account)

    async def check_books(self, pot_id: int) -> LedgerTotals:
        """The ledger adds up, the pot's running totals equal it, and what the provider gave
        back equals the refunds the ledger posted, payment by payment."""
        totals = await self.totals(pot_id)
        assert totals.balanced, totals
        pot = await self.get_pot(pot_id)
        assert pot.raised_minor == totals.raised_minor - totals.refunded_minor
        mine = {c.payment_id: c.refunded_minor for c in await self.contributions(pot_id)}
        given_back = self.double.refunded_by_payment()
        assert {p: given_back.get(p, 0) for p in mine if p} == {
            p: minor for p, minor in mine.items() if p
        }
        return totals

    async def spend(self, pot_id: int, amount_minor: int, *, post: bool = True) -> int:
        """A spending proposal's reservation (and its payout posted, unless `post` is False),
        written as the proposals work will: pot → payees, PAYOUT, ref PROPOSAL."""
        pot = await self.get_pot(pot_id)
        proposal_id = new_id()
        transfer_id = proposal_transfer_id(proposal_id)
        now_ms = self.now_ms()
        async with self.ctx.db.write() as tx:
            payees = await ledger_store.ensure_account(
                tx.conn, payee_account_key(pot.currency), pot.currency, AccountFlag.NONE, now_ms
            )
            await ledger_store.create_transfer(
                tx.conn,
                transfer_id,
                debit_account_id=pot.account_id,
                credit_account_id=payees.id,
                amount_minor=amount_minor,
                code=TransferCode.PAYOUT,
                flags=TransferFlag.PENDING,
                ref_kind=RefKind.PROPOSAL,
                ref_id=proposal_id,
                pot_id=pot.id,
                now_ms=now_ms,
            )
            await tx.conn.execute(
                proposals.insert().values(
                    id=proposal_id,
                    pot_id=pot.id,
                    chat_id=pot.chat_id,
                    proposer_id=pot.created_by,
                    client_id=secrets.token_hex(6),
                    title="Four tents",
                    amount_minor=amount_minor,
                    payee="Camping Shop",
                    status=(ProposalStatus.PAID if post else ProposalStatus.VOTING).value,
                    transfer_id=transfer_id,
                    closes_at_ms=now_ms + HOUR_MS,
                    created_at_ms=now_ms,
                )
            )
            if post:
                await ledger_store.resolve_pending(
                    tx.conn,
                    resolution_transfer_id(transfer_id),
                    transfer_id,
                    TransferFlag.POST_PENDING,
                    now_ms=now_ms,
                )
        return proposal_id

    async def proposal_status(self, proposal_id: int) -> str:
        async with self.ctx.db.read() as conn:
            return str(
                await conn.scalar(select(proposals.c.status).where(proposals.c.id == proposal_id))
            )

    async def refunded_of(self, pot_id: int) -> dict[int, int]:
        async with self.ctx.db.read() as conn:
            rows = await conn.execute(
                select(contributions.c.id, contributions.c.refunded_minor).where(
                    contributions.c.pot_id == pot_id
                )
            )
            return {row[0]: row[1] for row in rows}


async def operator(http: httpx.AsyncClient, ctx: Context) -> Person:
    """The server's operator, logged in."""
    username = f"op{secrets.token_hex(4)}"
    user = await do_create_operator(ctx, username, PASSWORD)
    login = await http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Person(str(user.id), username, login.json()["token"], http)


def events_of(page: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [e for e in page if e["type"] == type_]
