"""A contribution from end to end on the real server: the member pays on the sandbox's
checkout page, the provider's signed webhook confirms it, and every member sees the new total
live and on resume; on PostgreSQL, 200 at once add up exactly."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from colletta.clock import FakeClock
from colletta.store.ledger_check import check_ledger
from tests.conftest import MakePerson, Person, Server
from tests.live_client import Live

DAY_MS = 86_400_000


async def _pot(
    admin: Person, members: list[Person], clock: FakeClock, **extra: Any
) -> tuple[str, str]:
    chat = await admin.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Trip"})
    for member in members:
        await admin.ok("POST", f"/api/v1/chats/{chat['id']}/members", json={"user_id": member.id})
    pot = await admin.ok(
        "POST",
        f"/api/v1/chats/{chat['id']}/pots",
        json={
            "title": "Tent",
            "currency": "EUR",
            "goal_minor": 50_000,
            "deadline_at_ms": clock.now_ms() + 7 * DAY_MS,
            **extra,
        },
    )
    return str(chat["id"]), str(pot["id"])


async def _pay(client: httpx.AsyncClient, checkout_url: str, decision: str = "confirm") -> str:
    """What the payer does: open the checkout page, press the button."""
    page = await client.get(checkout_url)
    assert page.status_code == 200
    assert 'value="confirm"' in page.text
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    target = action.group(1) if action else checkout_url
    done = await client.post(
        target,
        content=f"decision={decision}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code < 400, done.text
    return done.text


async def test_a_member_pays_on_the_checkout_page_and_the_chat_sees_it_live_and_on_resume(
    server: Server, server_person: MakePerson, server_http: httpx.AsyncClient, clock: FakeClock
) -> None:
    admin, alice, bob = await server_person(), await server_person(), await server_person()
    chat_id, pot_id = await _pot(admin, [alice, bob], clock)
    live = await Live.open(server.ws_url, bob.token)
    try:
        started = await alice.ok(
            "POST",
            f"/api/v1/pots/{pot_id}/contributions",
            json={"client_id": "tent-1", "amount_minor": 1_250, "currency": "EUR"},
        )
        assert started["status"] == "pending"
        # Nothing counts before the payer confirms.
        assert (await bob.ok("GET", f"/api/v1/pots/{pot_id}"))["raised_minor"] == 0
        await _pay(server_http, started["checkout_url"])
        frame = await live.next_of("pot.contribution_posted")
        assert frame["chat_id"] == chat_id
        assert (frame["pot_id"], frame["amount_minor"], frame["user_id"]) == (
            pot_id,
            1_250,
            alice.id,
        )
        assert (frame["pot"]["raised_minor"], frame["pot"]["raised"]) == (1_250, "12.50")
        seq = frame["seq"]
    finally:
        await live.close()
    # A second confirmation on the same page changes nothing.
    await _pay(server_http, started["checkout_url"])
    mine = await alice.ok("GET", f"/api/v1/contributions/{started['id']}")
    assert mine["status"] == "posted"
    # Reconnecting from just before it, the event is replayed with the same seq.
    resumed = await Live.open(server.ws_url, bob.token, {chat_id: seq - 1})
    try:
        replayed = await resumed.next_of("pot.contribution_posted")
        assert (replayed["seq"], replayed["pot"]["raised_minor"]) == (seq, 1_250)
    finally:
        await resumed.close()
    seen = await bob.ok("GET", f"/api/v1/pots/{pot_id}")
    assert (seen["raised_minor"], seen["contributor_count"]) == (1_250, 1)
    async with server.app.state.ctx.db.read() as conn:
        assert await check_ledger(conn) == []


async def test_a_declined_payment_never_counts(
    server: Server, server_person: MakePerson, server_http: httpx.AsyncClient, clock: FakeClock
) -> None:
    admin, alice = await server_person(), await server_person()
    _, pot_id = await _pot(admin, [alice], clock)
    started = await alice.ok(
        "POST",
        f"/api/v1/pots/{pot_id}/contributions",
        json={"client_id": "no", "amount_minor": 900, "currency": "EUR"},
    )
    await _pay(server_http, started["checkout_url"], "decline")
    await server.app.state.ctx.providers.default.flush(everything=True)
    mine = await alice.ok("GET", f"/api/v1/contributions/{started['id']}")
    assert mine["status"] == "failed"
    assert (await admin.ok("GET", f"/api/v1/pots/{pot_id}"))["raised_minor"] == 0


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_200_contributions_at_once_add_up_exactly(
    server: Server, server_person: MakePerson, server_http: httpx.AsyncClient, clock: FakeClock
) -> None:
    admin = await server_person()
    members = [await server_person() for _ in range(20)]
    _, pot_id = await _pot(admin, members, clock, member_cap_minor=100_000)
    amounts = [100 + i for i in range(200)]

    async def contribute(i: int) -> dict[str, Any]:
        who = members[i % len(members)]
        return await who.ok(  # type: ignore[no-any-return]
            "POST",
            f"/api/v1/pots/{pot_id}/contributions",
            json={"client_id": f"c{i}", "amount_minor": amounts[i], "currency": "EUR"},
        )

    started = await asyncio.gather(*(contribute(i) for i in range(200)))
    # Every payer confirms at once (twice, for good measure), and the webhooks race in.
    await asyncio.gather(*(_pay(server_http, s["checkout_url"]) for s in started * 2))
    await server.app.state.ctx.providers.default.flush(everything=True)
    pot = await admin.ok("GET", f"/api/v1/pots/{pot_id}")
    assert (pot["raised_minor"], pot["balance_minor"]) == (sum(amounts), sum(amounts))
    assert pot["contributor_count"] == len(members)
    async with server.app.state.ctx.db.read() as conn:
        assert await check_ledger(conn) == []
