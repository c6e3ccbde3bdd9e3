"""Pots in tests: the app's Context, the provider double on it, and a group whose members
have money in a pot (contributions made and confirmed through the double)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from colletta.actions.accounts import access_caller
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.contributions import do_contribute, on_payment_event
from colletta.clock import FakeClock
from colletta.payments.provider import Providers
from tests.conftest import MakePerson, Person
from tests.pots.provider_double import ProviderDouble
from tests.test_messages import make_group

DAY_MS = 86_400_000


@pytest.fixture
def ctx(app: Any) -> Context:
    context: Context = app.state.ctx
    return context


@pytest.fixture
def double(ctx: Context) -> ProviderDouble:
    """The in-memory provider as this node's only (and default) provider."""
    provider = ProviderDouble()
    ctx.providers = Providers([provider], provider.name)
    return provider


async def caller_of(ctx: Context, person: Person) -> Caller:
    return await access_caller(ctx, person.token)


async def contribute(
    ctx: Context, double: ProviderDouble, person: Person, pot_id: str, amount_minor: int
) -> str:
    """A contribution paid and confirmed at the provider; its id."""
    started = await do_contribute(
        ctx,
        await caller_of(ctx, person),
        int(pot_id),
        amount_minor,
        "EUR",
        f"c{len(double.calls)}",
    )
    payment = next(
        r for r in double.made("start_payment") if r.call.key == f"contribution:{started['id']}"
    )
    await on_payment_event(ctx, double.payment_event(payment.id))
    return str(started["id"])


@dataclass
class Pot:
    """A group with a pot; `people[name]` are its members, most with money in it."""

    ctx: Context
    double: ProviderDouble
    clock: FakeClock
    id: str
    chat_id: str
    owner: Person
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    async def view(self, name: str = "owner") -> dict[str, Any]:
        who = self.owner if name == "owner" else self.people[name]
        return await who.ok("GET", f"/api/v1/pots/{self.id}")  # type: ignore[no-any-return]

    async def propose(self, name: str, amount_minor: int, **extra: Any) -> Any:
        body = {
            "client_id": extra.pop("client_id", f"p{amount_minor}-{name}"),
            "title": extra.pop("title", "Tent"),
            "amount_minor": amount_minor,
            "payee": extra.pop("payee", "Camping Shop"),
            **extra,
        }
        who = self.owner if name == "owner" else self.people[name]
        return await who.call("POST", f"/api/v1/pots/{self.id}/proposals", json=body)

    async def vote(self, name: str, proposal_id: str, approve: bool) -> Any:
        who = self.owner if name == "owner" else self.people[name]
        return await who.call(
            "POST", f"/api/v1/proposals/{proposal_id}/votes", json={"approve": approve}
        )

    async def proposal(self, proposal_id: str, name: str = "owner") -> dict[str, Any]:
        who = self.owner if name == "owner" else self.people[name]
        return await who.ok("GET", f"/api/v1/proposals/{proposal_id}")  # type: ignore[no-any-return]


MakePot = Any


@pytest.fixture
def make_pot(ctx: Context, double: ProviderDouble, clock: FakeClock, person: MakePerson) -> MakePot:
    """make_pot({"alice": 6000, "bob": 4000, "dave": 0}, **pot_fields): the owner's group
    with those members, each having given that much (0: a member who gave nothing)."""

    async def make(amounts: dict[str, int], chat_kind: str = "group", **fields: Any) -> Pot:
        owner = await person()
        people = {name: await person() for name in amounts}
        chat_id = await make_group(owner, *people.values(), kind=chat_kind)
        body = {
            "title": "Camping gear",
            "currency": "EUR",
            "goal_minor": 100_000,
            "deadline_at_ms": clock.now_ms() + 30 * DAY_MS,
            **fields,
        }
        pot = await owner.ok("POST", f"/api/v1/chats/{chat_id}/pots", json=body)
        made = Pot(ctx, double, clock, pot["id"], chat_id, owner, people)
        for name, amount in amounts.items():
            if amount:
                await contribute(ctx, double, people[name], pot["id"], amount)
        return made

    return make
