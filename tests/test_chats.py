"""Chats: direct, groups, channels, roles, invites and the chat list, through the HTTP API."""

from __future__ import annotations

import asyncio

import pytest

from colletta.clock import FakeClock
from tests.conftest import MakePerson
from tests.test_messages import make_group, send


async def test_direct_chat_is_get_or_create(person: MakePerson) -> None:
    alice, bob = await person("alice_d"), await person("bob_d")
    first, second = await asyncio.gather(
        alice.ok("POST", "/api/v1/chats/direct", json={"user_id": bob.id}),
        bob.ok("POST", "/api/v1/chats/direct", json={"user_id": alice.id}),
    )
    assert first["id"] == second["id"]
    assert (first["kind"], first["title"], second["title"]) == ("direct", "bob_d", "alice_d")
    assert (
        await alice.call("POST", "/api/v1/chats/direct", json={"user_id": alice.id})
    ).status_code == 422
    assert (await alice.call("POST", f"/api/v1/chats/{first['id']}/leave")).status_code == 403


async def test_the_chat_list_titles_each_direct_chat_with_the_other_member(
    person: MakePerson,
) -> None:
    alice, bob, carol = await person("alice_l"), await person("bob_l"), await person("carol_l")
    for other in (bob, carol):
        await alice.ok("POST", "/api/v1/chats/direct", json={"user_id": other.id})
    await make_group(alice, bob)
    chats = (await alice.ok("GET", "/api/v1/chats"))["chats"]
    titles = sorted(c["title"] for c in chats if c["kind"] == "direct")
    assert titles == ["bob_l", "carol_l"]
    assert [c["title"] for c in (await carol.ok("GET", "/api/v1/chats"))["chats"]] == ["alice_l"]


async def test_group_roles_and_ownership(person: MakePerson) -> None:
    owner, admin, member = await person(), await person(), await person()
    chat_id = await make_group(owner, admin, member)
    base = f"/api/v1/chats/{chat_id}"
    await owner.ok("PATCH", f"{base}/members/{admin.id}", json={"role": "admin"})
    # An admin cannot make another admin's peer or act above itself.
    assert (
        await admin.call("PATCH", f"{base}/members/{member.id}", json={"role": "admin"})
    ).status_code == 403
    await admin.ok("PATCH", f"{base}/members/{member.id}", json={"role": "moderator"})
    assert (await member.call("DELETE", f"{base}/members/{admin.id}")).status_code == 403
    assert (await owner.call("POST", f"{base}/leave")).status_code == 409
    await owner.ok("POST", f"{base}/transfer", json={"user_id": admin.id})
    roles = {m["user_id"]: m["role"] for m in (await admin.ok("GET", f"{base}/members"))["members"]}
    assert roles == {owner.id: "admin", admin.id: "owner", member.id: "moderator"}
    await owner.ok("POST", f"{base}/leave")
    assert (await owner.call("GET", base)).status_code == 404


async def test_rename_and_describe_are_events(person: MakePerson) -> None:
    owner, member = await person(), await person()
    chat_id = await make_group(owner, member)
    updated = await owner.ok(
        "PATCH", f"/api/v1/chats/{chat_id}", json={"title": "Trip 2027", "description": "Lisbon"}
    )
    assert (updated["title"], updated["description"]) == ("Trip 2027", "Lisbon")
    assert (
        await member.call("PATCH", f"/api/v1/chats/{chat_id}", json={"title": "mine"})
    ).status_code == 403
    sync = await member.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
    assert sync["events"][-1]["type"] == "chat.updated"
    assert sync["events"][-1]["chat"]["title"] == "Trip 2027"
    assert "my_role" not in sync["events"][-1]["chat"]  # each member's own, not the editor's
    # and the chat as of the event: its last_seq is the event's own.
    assert sync["events"][-1]["chat"]["last_seq"] == sync["events"][-1]["seq"]


async def test_invite_link_with_use_limit_and_expiry(person: MakePerson, clock: FakeClock) -> None:
    owner, first, second = await person(), await person(), await person()
    chat_id = await make_group(owner)
    invite = await owner.ok(
        "POST", f"/api/v1/chats/{chat_id}/invites", json={"max_uses": 1, "expires_in_s": 3600}
    )
    info = await first.ok("GET", f"/api/v1/invites/{invite['code']}")
    assert info["chat"]["id"] == chat_id
    joined = await first.ok("POST", f"/api/v1/invites/{invite['code']}/join")
    assert (joined["status"], joined["chat"]["id"]) == ("joined", chat_id)
    used_up = await second.call("POST", f"/api/v1/invites/{invite['code']}/join")
    assert used_up.status_code == 410
    timed = await owner.ok("POST", f"/api/v1/chats/{chat_id}/invites", json={"expires_in_s": 60})
    clock.advance(61_000)
    assert (await second.call("POST", f"/api/v1/invites/{timed['code']}/join")).status_code == 410
    revoked = await owner.ok("POST", f"/api/v1/chats/{chat_id}/invites", json={})
    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/invites/{revoked['code']}")
    assert (await second.call("POST", f"/api/v1/invites/{revoked['code']}/join")).status_code == 410
    assert (
        await first.call("POST", f"/api/v1/chats/{chat_id}/invites", json={})
    ).status_code == 403


async def test_join_requests_need_an_admin(person: MakePerson) -> None:
    owner, hopeful, rejected = await person(), await person(), await person()
    chat_id = await make_group(owner)
    invite = await owner.ok(
        "POST", f"/api/v1/chats/{chat_id}/invites", json={"requires_approval": True}
    )
    for user in (hopeful, rejected):
        answer = await user.ok("POST", f"/api/v1/invites/{invite['code']}/join")
        assert answer == {"status": "requested", "chat": None}
        assert (await user.call("GET", f"/api/v1/chats/{chat_id}")).status_code == 404
    requests = await owner.ok("GET", f"/api/v1/chats/{chat_id}/join-requests")
    assert {r["user_id"] for r in requests["requests"]} == {hopeful.id, rejected.id}
    await owner.ok("POST", f"/api/v1/chats/{chat_id}/join-requests/{hopeful.id}/approve")
    await owner.ok("POST", f"/api/v1/chats/{chat_id}/join-requests/{rejected.id}/decline")
    assert (await hopeful.ok("GET", f"/api/v1/chats/{chat_id}"))["my_role"] == "member"
    assert (await rejected.call("GET", f"/api/v1/chats/{chat_id}")).status_code == 404
    assert (await owner.ok("GET", f"/api/v1/chats/{chat_id}/join-requests"))["requests"] == []


async def test_chat_list_by_activity_with_unread_counts(
    person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await person(), await person()
    quiet = await make_group(alice, bob)
    clock.advance(1000)
    busy = await make_group(alice, bob)
    clock.advance(1000)
    await send(alice, quiet, "wake up")
    clock.advance(1000)
    await send(alice, busy, "one")
    clock.advance(1000)
    last = await send(alice, busy, "two")
    listing = await bob.ok("GET", "/api/v1/chats")
    assert [c["id"] for c in listing["chats"]] == [busy, quiet]
    assert [c["unread_count"] for c in listing["chats"]] == [2, 1]
    assert listing["chats"][0]["last_message"]["text"] == "two"
    assert (await alice.ok("GET", "/api/v1/chats"))["chats"][0]["unread_count"] == 0
    await bob.ok("POST", f"/api/v1/chats/{busy}/read", json={"seq": last["seq"]})
    await bob.ok("POST", f"/api/v1/chats/{busy}/read", json={"seq": 1})  # never moves back
    listing = await bob.ok("GET", "/api/v1/chats")
    assert [c["unread_count"] for c in listing["chats"]] == [0, 1]
    assert listing["chats"][0]["read_seq"] == last["seq"]
    page = await bob.ok("GET", "/api/v1/chats", params={"limit": 1})
    rest = await bob.ok("GET", "/api/v1/chats", params={"limit": 1, "before": page["next"]})
    assert [c["id"] for c in page["chats"] + rest["chats"]] == [busy, quiet]
    assert rest["next"] is None


@pytest.mark.settings(read_receipts_max_members=3)
async def test_read_receipts_show_in_small_groups_only_never_in_channels(
    person: MakePerson,
) -> None:
    alice, bob, carol, dan = [await person() for _ in range(4)]
    small = await make_group(alice, bob, carol)
    big = await make_group(alice, bob, carol, dan)
    channel = (await alice.ok("POST", "/api/v1/chats", json={"kind": "channel", "title": "C"}))[
        "id"
    ]
    await alice.ok("POST", f"/api/v1/chats/{channel}/members", json={"user_id": bob.id})
    read = {}
    for chat_id in (small, big, channel):
        read[chat_id] = (await send(alice, chat_id, "seen?"))["seq"]
        await bob.ok("POST", f"/api/v1/chats/{chat_id}/read", json={"seq": read[chat_id]})
        await send(alice, chat_id, "not yet")  # moves Alice's own marker, not her receipt
    peer = {c["id"]: c["peer_read_seq"] for c in (await alice.ok("GET", "/api/v1/chats"))["chats"]}
    assert peer == {small: read[small], big: None, channel: None}


async def test_public_channels_are_listed_and_joinable(person: MakePerson) -> None:
    owner, reader = await person(), await person()
    public = await owner.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "Garden news", "is_public": True}
    )
    private = await owner.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "Garden board"}
    )
    found = await reader.ok("GET", "/api/v1/chats/public", params={"prefix": "garden"})
    assert [c["id"] for c in found["chats"]] == [public["id"]]
    await send(owner, public["id"], "preview me")
    preview = await reader.ok("GET", f"/api/v1/chats/{public['id']}/messages")
    assert [m["text"] for m in preview["messages"]] == ["preview me"]
    assert (
        await reader.call("POST", f"/api/v1/chats/{private['id']}/subscribe")
    ).status_code == 404
    member = await reader.ok("POST", f"/api/v1/chats/{public['id']}/subscribe")
    assert member["role"] == "member"
    assert (await reader.call("GET", f"/api/v1/chats/{public['id']}/members")).status_code == 403
