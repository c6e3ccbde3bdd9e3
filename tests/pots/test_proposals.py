"""Spending proposals through the HTTP API, on SQLite and PostgreSQL: reservations, who may
propose and vote, how votes decide, and the window's end. Payouts: test_payouts.py.
Uses the provider double (tests/pots/provider_double.py) for the contributions."""

from __future__ import annotations

import io
from typing import Any

import orjson
from PIL import Image
from sqlalchemy import select

from colletta.actions.proposals import close_vote
from colletta.domain.pots import TaskKind
from colletta.store import pot_tasks
from colletta.store import proposals as proposal_store
from colletta.store.schema import chat_events
from colletta.store.schema import pot_tasks as pot_tasks_table
from tests.pots.conftest import DAY_MS, MakePot, Pot, contribute
from tests.test_media import upload


async def _tasks(pot: Pot, kind: TaskKind) -> list[int]:
    async with pot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(pot_tasks_table.c.item_id).where(
                pot_tasks_table.c.pot_id == int(pot.id), pot_tasks_table.c.kind == kind.value
            )
        )
        return [row.item_id for row in rows]


async def _event_types(pot: Pot) -> list[str]:
    async with pot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(chat_events.c.type)
            .where(chat_events.c.chat_id == int(pot.chat_id))
            .order_by(chat_events.c.seq)
        )
        return [row.type for row in rows if row.type.startswith("pot.proposal")]


async def _window_ends(pot: Pot, proposal_id: str) -> dict[str, Any]:
    pot.clock.advance(3 * DAY_MS)
    await close_vote(pot.ctx, int(proposal_id))
    return await pot.proposal(proposal_id)


async def test_a_proposal_reserves_its_amount(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    response = await pot.propose("alice", 3000, receipt_media_id=None)
    assert response.status_code == 201, response.text
    proposal = response.json()
    assert proposal["status"] == "voting"
    assert proposal["proposer_id"] == pot["alice"].id
    assert proposal["tally"] == {
        "yes_weight": 0,
        "no_weight": 0,
        "eligible_weight": 2,
        "voters": 0,
        "eligible_voters": 2,
    }
    assert (proposal["my_vote"], proposal["can_vote"]) == (None, True)
    view = await pot.view()
    assert (view["balance_minor"], view["available_minor"], view["reserved_minor"]) == (
        10_000,
        7_000,
        3_000,
    )
    # A retry is the same proposal; the same key for something else is refused.
    again = await pot.propose("alice", 3000)
    assert (again.status_code, again.json()["id"]) == (200, proposal["id"])
    other = await pot.propose("alice", 3100, client_id="p3000-alice")
    assert other.status_code == 409
    assert (await pot.view())["reserved_minor"] == 3_000
    assert await _tasks(pot, TaskKind.PROPOSAL) == [int(proposal["id"])]
    listed = await pot["bob"].ok("GET", f"/api/v1/pots/{pot.id}/proposals")
    assert [p["id"] for p in listed["proposals"]] == [proposal["id"]]
    assert listed["proposals"][0]["can_vote"] is True
    assert await _event_types(pot) == ["pot.proposal_created"]


async def test_more_than_is_available_is_refused_and_changes_nothing(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000})
    assert (await pot.propose("alice", 8000)).status_code == 201
    refused = await pot.propose("bob", 2001)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/insufficient_funds")
    assert refused.json()["available_minor"] == 2000
    view = await pot.view()
    assert (view["available_minor"], view["reserved_minor"]) == (2000, 8000)
    async with pot.ctx.db.read() as conn:
        assert len(await proposal_store.list_proposals(conn, int(pot.id))) == 1
        assert await pot_tasks.count_tasks(conn, int(pot.id)) == 2  # deadline + one vote
    assert await _event_types(pot) == ["pot.proposal_created"]
    assert (await pot.propose("bob", 2000)).status_code == 201


async def test_bad_input_is_refused(make_pot: MakePot, person: Any) -> None:
    pot = await make_pot({"alice": 6000})
    for extra, status in (
        ({"title": ""}, 422),
        ({"payee": " "}, 422),
        ({"unknown": 1}, 422),
        ({"receipt_media_id": "123"}, 422),  # nobody's upload
    ):
        response = await pot.propose("alice", 100, **extra)
        assert response.status_code == status, (extra, response.text)
    assert (await pot.propose("alice", 0)).status_code == 422
    assert (await pot.view())["reserved_minor"] == 0


async def test_every_member_reads_a_proposals_receipt(make_pot: MakePot, person: Any) -> None:
    """A receipt is an upload no message carries: only its uploader could read it through the
    chat's media route, so the voters read it through the proposal's."""
    pot = await make_pot({"alice": 6000, "bob": 4000})
    outsider = await person()
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(image, "PNG")
    media = (await upload(pot["alice"], pot.chat_id, image.getvalue(), "quote.png")).json()
    chat_path = f"/api/v1/chats/{pot.chat_id}/media/{media['id']}"
    assert (await pot["bob"].call("GET", chat_path)).status_code == 404
    proposal = (await pot.propose("alice", 1000, receipt_media_id=media["id"])).json()
    assert proposal["receipt_media_id"] == media["id"]
    path = f"/api/v1/proposals/{proposal['id']}/receipt"
    for name in ("alice", "bob", "owner"):
        got = await (pot.owner if name == "owner" else pot[name]).call("GET", path)
        assert got.status_code == 200, (name, got.text)
        assert got.content == image.getvalue()
        assert got.headers["content-disposition"].startswith("inline;")
        thumb = await (pot.owner if name == "owner" else pot[name]).call("GET", path + "/thumbnail")
        assert (thumb.status_code, thumb.headers["content-type"]) == (200, "image/webp")
    assert (await outsider.call("GET", path)).status_code == 404
    assert (await outsider.call("GET", path + "/thumbnail")).status_code == 404
    # The chat's own route still keeps an unattached upload to its uploader.
    assert (await pot["bob"].call("GET", chat_path)).status_code == 404
    bare = (await pot.propose("bob", 500)).json()
    missing = await pot["alice"].call("GET", f"/api/v1/proposals/{bare['id']}/receipt")
    assert missing.status_code == 404


async def test_who_may_propose_and_vote(make_pot: MakePot, person: Any) -> None:
    pot = await make_pot({"alice": 6000, "bob": 4000, "dave": 0})
    outsider = await person()
    body = {"client_id": "x", "title": "Mine", "amount_minor": 100, "payee": "Me"}
    path = f"/api/v1/pots/{pot.id}/proposals"
    assert (await outsider.call("POST", path, json=body)).status_code == 404
    assert (await outsider.call("GET", path)).status_code == 404
    assert (await outsider.call("GET", f"/api/v1/pots/{pot.id}/my-share")).status_code == 404
    # A member who gave nothing neither proposes nor votes.
    assert (await pot.propose("dave", 100)).status_code == 403
    proposal = (await pot.propose("alice", 1000)).json()
    assert (await pot.vote("dave", proposal["id"], True)).status_code == 403
    assert (await outsider.call("GET", f"/api/v1/proposals/{proposal['id']}")).status_code == 404
    voted = await outsider.call(
        "POST", f"/api/v1/proposals/{proposal['id']}/votes", json={"approve": True}
    )
    assert voted.status_code == 404
    # One vote each.
    assert (await pot.vote("alice", proposal["id"], True)).status_code == 201
    second = await pot.vote("alice", proposal["id"], False)
    assert second.status_code == 409
    assert second.json()["type"].endswith("/already_voted")
    shown = await pot.proposal(proposal["id"], "alice")
    assert shown["my_vote"] == {"approve": True, "weight": 1}
    assert shown["can_vote"] is False
    assert shown["tally"]["yes_weight"] == 1
    bad = await pot["bob"].call(
        "POST", f"/api/v1/proposals/{proposal['id']}/votes", json={"approve": "yes"}
    )
    assert bad.status_code == 422


async def test_the_proposers_vote_alone_never_passes(make_pot: MakePot) -> None:
    """The only contributor proposes and approves: the vote runs its window and is
    rejected (their approval counted, nobody else's); the money is free again."""
    pot = await make_pot({"alice": 5000})
    proposal = (await pot.propose("alice", 5000)).json()
    after = (await pot.vote("alice", proposal["id"], True)).json()
    assert after["status"] == "voting"
    pot.clock.advance(DAY_MS)
    await close_vote(pot.ctx, int(proposal["id"]))  # early: nothing happens
    assert (await pot.proposal(proposal["id"]))["status"] == "voting"
    assert (await _window_ends(pot, proposal["id"]))["status"] == "rejected"
    view = await pot.view()
    assert (view["available_minor"], view["reserved_minor"]) == (5000, 0)
    assert await _tasks(pot, TaskKind.PROPOSAL) == []
    assert await _tasks(pot, TaskKind.PAYOUT) == []
    late = await pot.vote("alice", proposal["id"], True)
    assert late.status_code == 409
    assert late.json()["type"].endswith("/proposal_closed")


async def test_an_admin_cannot_bypass_the_vote(make_pot: MakePot) -> None:
    """The chat's owner gave nothing: they may propose, but not vote, and nothing lets them
    pay themselves; nobody voting expires the proposal."""
    pot = await make_pot({"alice": 3000, "bob": 3000})
    proposal = await pot.propose("owner", 6000, payee="The owner")
    assert proposal.status_code == 201
    assert (await pot.vote("owner", proposal.json()["id"], True)).status_code == 403
    assert (await _window_ends(pot, proposal.json()["id"]))["status"] == "expired"
    assert (await pot.view())["available_minor"] == 6000


async def test_an_admin_who_gave_votes_like_anyone(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 9000, "bob": 100}, vote_weighting="contribution")
    await contribute_as_owner(pot, 100)
    proposal = (await pot.propose("owner", 5000)).json()
    tallied = (await pot.vote("owner", proposal["id"], True)).json()
    assert tallied["tally"]["yes_weight"] == 100
    assert tallied["status"] == "voting"
    rejected = (await pot.vote("alice", proposal["id"], False)).json()
    assert rejected["status"] == "rejected"


async def contribute_as_owner(pot: Pot, amount_minor: int) -> None:
    await contribute(pot.ctx, pot.double, pot.owner, pot.id, amount_minor)


async def test_one_member_one_vote_decides_early_both_ways(make_pot: MakePot) -> None:
    pot = await make_pot({"a": 100, "b": 100, "c": 100, "d": 100})  # quorum 50, majority 50
    passing = (await pot.propose("a", 100)).json()["id"]
    assert (await pot.vote("a", passing, True)).json()["status"] == "voting"
    assert (await pot.vote("b", passing, True)).json()["status"] == "voting"  # 2 of 4: not >50%
    assert (await pot.vote("c", passing, True)).json()["status"] == "passed"
    assert await _tasks(pot, TaskKind.PAYOUT) == [int(passing)]
    assert (await pot.vote("d", passing, True)).status_code == 409

    failing = (await pot.propose("a", 100, client_id="f")).json()["id"]
    assert (await pot.vote("a", failing, True)).json()["status"] == "voting"
    assert (await pot.vote("b", failing, False)).json()["status"] == "voting"
    # 1 yes + 1 still to vote can no longer be more than half of 4.
    assert (await pot.vote("c", failing, False)).json()["status"] == "rejected"
    view = await pot.view()
    assert (view["reserved_minor"], view["available_minor"]) == (100, 300)
    assert (await _event_types(pot)).count("pot.proposal_resolved") == 2


async def test_votes_weighted_by_contribution(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 7000, "bob": 2000, "carol": 1000}, vote_weighting="contribution")
    # Alice alone holds 70%: her approval is a sure majority but not enough on its own.
    mine = (await pot.propose("alice", 1000)).json()["id"]
    after = (await pot.vote("alice", mine, True)).json()
    assert (after["status"], after["tally"]["yes_weight"]) == ("voting", 7000)
    assert (await pot.vote("carol", mine, True)).json()["status"] == "passed"
    # Bob and Carol approve, Alice's weight says no.
    theirs = (await pot.propose("bob", 1000)).json()["id"]
    await pot.vote("bob", theirs, True)
    assert (await pot.vote("carol", theirs, True)).json()["status"] == "voting"
    assert (await pot.vote("alice", theirs, False)).json()["status"] == "rejected"


async def test_the_window_end_decides_by_quorum_and_majority(make_pot: MakePot) -> None:
    pot = await make_pot({"a": 100, "b": 100, "c": 100, "d": 100}, quorum_pct=75)
    passed = (await pot.propose("a", 100)).json()["id"]
    await pot.vote("a", passed, True)
    await pot.vote("b", passed, False)
    await pot.vote("c", passed, True)  # 3 of 4 voted, 2 of 3 approve
    expired = (await pot.propose("a", 100, client_id="e")).json()["id"]
    await pot.vote("a", expired, True)
    await pot.vote("b", expired, True)  # 2 of 4 voted: no quorum
    rejected = (await pot.propose("a", 100, client_id="r")).json()["id"]
    await pot.vote("a", rejected, True)
    await pot.vote("b", rejected, False)
    await pot.vote("c", rejected, False)  # 1 of 3 approve
    statuses = {}
    pot.clock.advance(3 * DAY_MS)
    for proposal_id in (passed, expired, rejected):
        await close_vote(pot.ctx, int(proposal_id))
        statuses[proposal_id] = (await pot.proposal(proposal_id))["status"]
    assert statuses == {passed: "passed", expired: "expired", rejected: "rejected"}
    view = await pot.view()
    assert (view["reserved_minor"], view["available_minor"]) == (100, 300)
    # Closing again changes nothing.
    await close_vote(pot.ctx, int(passed))
    assert (await pot.proposal(passed))["status"] == "passed"


async def test_spending_waits_for_an_all_or_nothing_pot_to_close(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 6000}, model="all_or_nothing")
    refused = await pot.propose("alice", 1000)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/pot_closed")


async def _events(pot: Pot) -> list[dict[str, Any]]:
    async with pot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(chat_events.c.type, chat_events.c.payload)
            .where(chat_events.c.chat_id == int(pot.chat_id))
            .order_by(chat_events.c.seq)
        )
        return [
            {"type": row.type, **orjson.loads(row.payload)}
            for row in rows
            if row.type.startswith("pot.proposal")
        ]


async def test_events_name_people_only_where_the_pot_and_chat_allow(make_pot: MakePot) -> None:
    pot = await make_pot({"alice": 100, "bob": 100}, visibility="anonymous")
    proposal = (await pot.propose("alice", 100)).json()["id"]
    await pot.vote("alice", proposal, True)
    await pot.vote("bob", proposal, True)
    created, voted, _, resolved = await _events(pot)
    assert created["type"] == "pot.proposal_created"
    assert (created["by_user_id"], created["proposal"]["proposer_id"]) == (pot["alice"].id, None)
    assert created["proposal"]["tally"]["eligible_voters"] == 2
    assert (voted["type"], voted["user_id"], voted["approve"]) == ("pot.proposal_voted", None, True)
    assert voted["tally"]["yes_weight"] == 1
    assert (resolved["type"], resolved["status"]) == ("pot.proposal_resolved", "passed")
    assert resolved["proposal"]["status"] == "passed"
    # Live and replayed, a channel's subscribers never see who proposed: the API neither.
    channel = await make_pot({"alice": 100, "bob": 100}, chat_kind="channel")
    mine = (await channel.propose("alice", 100)).json()
    assert mine["proposer_id"] == channel["alice"].id
    assert (await channel.proposal(mine["id"], "bob"))["proposer_id"] is None
    assert (await channel.proposal(mine["id"]))["proposer_id"] == channel["alice"].id
    synced = await channel["bob"].ok("GET", f"/api/v1/sync?cursors={channel.chat_id}:0")
    [told] = [e for e in synced["events"] if e["type"] == "pot.proposal_created"]
    assert told["by_user_id"] is None
