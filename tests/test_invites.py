"""Invite links at their edges: the exact moment of expiry, and join requests of a revoked link."""

from __future__ import annotations

from colletta.clock import FakeClock
from tests.conftest import MakePerson, Person
from tests.test_messages import make_group


async def member_ids(person: Person, chat_id: str) -> list[str]:
    page = await person.ok("GET", f"/api/v1/chats/{chat_id}/members")
    return [m["user_id"] for m in page["members"]]


async def test_a_link_works_until_one_ms_before_its_expiry_and_is_gone_at_it(
    person: MakePerson, clock: FakeClock
) -> None:
    owner, early, late = await person(), await person(), await person()
    chat_id = await make_group(owner)
    invite = await owner.ok("POST", f"/api/v1/chats/{chat_id}/invites", json={"expires_in_s": 60})
    assert invite["expires_at_ms"] == clock.now_ms() + 60_000
    code = invite["code"]

    clock.advance(59_999)  # one ms before expires_at_ms
    assert (await early.call("GET", f"/api/v1/invites/{code}")).status_code == 200
    joined = await early.ok("POST", f"/api/v1/invites/{code}/join")
    assert joined["status"] == "joined"

    clock.advance(1)  # exactly expires_at_ms
    for method, path in (
        ("GET", f"/api/v1/invites/{code}"),
        ("POST", f"/api/v1/invites/{code}/join"),
    ):
        gone = await late.call(method, path)
        assert gone.status_code == 410, (method, gone.text)
        assert gone.json()["type"].endswith("/gone")
    assert sorted(await member_ids(owner, chat_id)) == sorted([owner.id, early.id])


async def test_revoking_a_link_lapses_its_pending_join_requests(person: MakePerson) -> None:
    owner, hopeful = await person(), await person()
    chat_id = await make_group(owner)
    first = await owner.ok(
        "POST", f"/api/v1/chats/{chat_id}/invites", json={"requires_approval": True}
    )
    requested = await hopeful.ok("POST", f"/api/v1/invites/{first['code']}/join")
    assert requested["status"] == "requested"
    requests_path = f"/api/v1/chats/{chat_id}/join-requests"
    listed = await owner.ok("GET", requests_path)
    assert [r["user_id"] for r in listed["requests"]] == [hopeful.id]

    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/invites/{first['code']}")
    assert (await owner.ok("GET", requests_path))["requests"] == []
    approve = await owner.call("POST", f"{requests_path}/{hopeful.id}/approve")
    assert approve.status_code == 410, approve.text
    assert approve.json()["type"].endswith("/gone")
    assert hopeful.id not in await member_ids(owner, chat_id)
    assert (await hopeful.call("GET", f"/api/v1/chats/{chat_id}")).status_code == 404

    # Through another link the request starts afresh, and that one can be approved.
    second = await owner.ok(
        "POST", f"/api/v1/chats/{chat_id}/invites", json={"requires_approval": True}
    )
    again = await hopeful.ok("POST", f"/api/v1/invites/{second['code']}/join")
    assert again["status"] == "requested"
    listed = await owner.ok("GET", requests_path)
    assert [r["user_id"] for r in listed["requests"]] == [hopeful.id]
    await owner.ok("POST", f"{requests_path}/{hopeful.id}/approve")
    assert hopeful.id in await member_ids(owner, chat_id)


async def test_a_lapsed_join_request_can_still_be_declined(person: MakePerson) -> None:
    owner, hopeful = await person(), await person()
    chat_id = await make_group(owner)
    invite = await owner.ok(
        "POST", f"/api/v1/chats/{chat_id}/invites", json={"requires_approval": True}
    )
    await hopeful.ok("POST", f"/api/v1/invites/{invite['code']}/join")
    await owner.ok("DELETE", f"/api/v1/chats/{chat_id}/invites/{invite['code']}")
    requests_path = f"/api/v1/chats/{chat_id}/join-requests/{hopeful.id}"
    await owner.ok("POST", f"{requests_path}/decline")
    assert (await owner.call("POST", f"{requests_path}/approve")).status_code == 404
