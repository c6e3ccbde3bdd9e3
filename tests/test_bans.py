"""Removal bans from rejoining by oneself until an admin adds the user back or lifts the ban."""

from __future__ import annotations

from tests.conftest import MakePerson, Person
from tests.test_invites import member_ids as _member_ids
from tests.test_messages import make_group


async def _banned_ids(admin: Person, chat_id: str) -> list[str]:
    return [b["user_id"] for b in (await admin.ok("GET", f"/api/v1/chats/{chat_id}/bans"))["bans"]]


async def _invite(admin: Person, chat_id: str, **options: object) -> str:
    invite = await admin.ok("POST", f"/api/v1/chats/{chat_id}/invites", json=options)
    return str(invite["code"])


async def test_a_removed_member_cannot_rejoin_through_a_valid_link_until_the_ban_is_lifted(
    person: MakePerson,
) -> None:
    owner, troll = await person(), await person()
    chat_id = await make_group(owner)
    link = await _invite(owner, chat_id)
    approval_link = await _invite(owner, chat_id, requires_approval=True)
    await troll.ok("POST", f"/api/v1/invites/{link}/join")
    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{troll.id}")

    for code in (link, approval_link):
        refused = await troll.call("POST", f"/api/v1/invites/{code}/join")
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("/forbidden")
    assert troll.id not in await _member_ids(owner, chat_id)
    assert (await owner.ok("GET", f"/api/v1/chats/{chat_id}/join-requests"))["requests"] == []
    bans = (await owner.ok("GET", f"/api/v1/chats/{chat_id}/bans"))["bans"]
    assert [(b["user_id"], b["username"], b["by_user_id"]) for b in bans] == [
        (troll.id, troll.username, owner.id)
    ]

    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/bans/{troll.id}")
    assert await _banned_ids(owner, chat_id) == []
    again = await owner.call("DELETE", f"/api/v1/chats/{chat_id}/bans/{troll.id}")
    assert again.status_code == 404
    joined = await troll.ok("POST", f"/api/v1/invites/{link}/join")
    assert joined["status"] == "joined"


async def test_an_admin_adding_a_removed_member_back_lifts_the_ban(person: MakePerson) -> None:
    owner, admin, member = await person(), await person(), await person()
    chat_id = await make_group(owner, admin, member)
    await owner.ok("PATCH", f"/api/v1/chats/{chat_id}/members/{admin.id}", json={"role": "admin"})
    await admin.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{member.id}")
    assert await _banned_ids(owner, chat_id) == [member.id]
    await admin.ok("POST", f"/api/v1/chats/{chat_id}/members", json={"user_id": member.id})
    assert await _banned_ids(owner, chat_id) == []
    # Leaving by oneself is no removal: the way back through a link stays open.
    await member.ok("POST", f"/api/v1/chats/{chat_id}/leave")
    assert await _banned_ids(owner, chat_id) == []
    joined = await member.ok("POST", f"/api/v1/invites/{await _invite(owner, chat_id)}/join")
    assert joined["status"] == "joined"


async def test_a_removed_subscriber_cannot_subscribe_again(person: MakePerson) -> None:
    owner, reader = await person(), await person()
    channel = await owner.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "News", "is_public": True}
    )
    chat_id = channel["id"]
    await reader.ok("POST", f"/api/v1/chats/{chat_id}/subscribe")
    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{reader.id}")
    refused = await reader.call("POST", f"/api/v1/chats/{chat_id}/subscribe")
    assert refused.status_code == 403, refused.text
    assert reader.id not in await _member_ids(owner, chat_id)
    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/bans/{reader.id}")
    await reader.ok("POST", f"/api/v1/chats/{chat_id}/subscribe")


async def test_a_join_request_made_before_the_removal_is_not_approvable(
    person: MakePerson,
) -> None:
    owner, user = await person(), await person()
    chat_id = await make_group(owner)
    code = await _invite(owner, chat_id, requires_approval=True)
    await user.ok("POST", f"/api/v1/invites/{code}/join")  # pending …
    await owner.ok("POST", f"/api/v1/chats/{chat_id}/members", json={"user_id": user.id})
    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{user.id}")  # … then removed
    assert (await owner.ok("GET", f"/api/v1/chats/{chat_id}/join-requests"))["requests"] == []
    approve = await owner.call("POST", f"/api/v1/chats/{chat_id}/join-requests/{user.id}/approve")
    assert approve.status_code == 404
    assert user.id not in await _member_ids(owner, chat_id)
