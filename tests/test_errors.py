"""Bad input of every kind gets a problem+json answer with a stable slug, never a 500, and a
refused write leaves nothing behind. Every response carries the security headers, and no
response or log line repeats a password or token the client sent."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from colletta.api import accounts as accounts_api
from colletta.api import fastpath
from colletta.app import create_app
from colletta.config import Settings
from tests.conftest import PASSWORD, MakePerson, Person, register_and_login

PROBLEM = "application/problem+json"
BASE = "https://colletta.chat/problems/"
SLUG = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    422: "invalid_input",
    500: "internal",
}
INVALID = (422,)
JSON_TYPE = {"content-type": "application/json"}
UNREADABLE = (400,)
MAX_ID = 2**63 - 1
OUT_OF_RANGE = (str(2**63), str(2**64), str(10**30), str(-(2**63) - 1), "-1")
BAD_IDS = (*OUT_OF_RANGE, "0")  # ids start at 1
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


def assert_problem(response: httpx.Response, *statuses: int, what: object = "") -> dict[str, Any]:
    """A problem+json answer with one of `statuses` and the slug documented for it."""
    where = f"{what} {response.request.method} {response.request.url} -> "
    assert response.status_code in statuses, where + f"{response.status_code} {response.text}"
    assert response.headers.get("content-type") == PROBLEM, where + str(response.headers)
    body: dict[str, Any] = response.json()
    assert body["type"] == BASE + SLUG[response.status_code], where + response.text
    assert body["status"] == response.status_code, where + response.text
    assert isinstance(body["title"], str), where + response.text
    assert body["title"], where + response.text
    assert isinstance(body["detail"], str), where + response.text
    return body


@dataclass
class Room:
    """A group (owner alice, member bob) with one message each, and a way to see all of it."""

    alice: Person
    bob: Person
    chat_id: str
    alice_message: str
    bob_message: str

    def path(self, suffix: str = "") -> str:
        return f"/api/v1/chats/{self.chat_id}{suffix}"

    async def state(self) -> dict[str, Any]:
        """Everything about the chat a refused write might have touched."""
        return {
            "chat": await self.alice.ok("GET", self.path()),
            "history": await self.alice.ok("GET", self.path("/messages")),
            "members": await self.alice.ok("GET", self.path("/members")),
            "invites": await self.alice.ok("GET", self.path("/invites")),
            "requests": await self.alice.ok("GET", self.path("/join-requests")),
            "pins": await self.alice.ok("GET", self.path("/pins")),
            "edits": await self.alice.ok("GET", self.path(f"/messages/{self.bob_message}/edits")),
            "bobs_view": await self.bob.ok("GET", "/api/v1/chats"),
        }


@pytest.fixture
async def room(person: MakePerson) -> Room:
    alice, bob = await person("alice"), await person("bob")
    chat = await alice.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Room"})
    path = f"/api/v1/chats/{chat['id']}"
    await alice.ok("POST", f"{path}/members", json={"user_id": bob.id})
    first = await alice.ok("POST", f"{path}/messages", json={"text": "hi", "client_txn_id": "a1"})
    second = await bob.ok("POST", f"{path}/messages", json={"text": "yo", "client_txn_id": "b1"})
    return Room(alice, bob, chat["id"], first["id"], second["id"])


async def refuse_all(
    room: Room,
    who: Person,
    cases: list[tuple[str, str, Any]],
    *,
    raw: bool = False,
    statuses: tuple[int, ...] = INVALID,
) -> None:
    """Each (method, path, body) is refused with invalid input and changes nothing."""
    before = await room.state()
    chat_before = before["chat"]
    for method, path, body in cases:
        if raw:
            response = await who.client.request(
                method, path, content=body, headers={**who.auth, "content-type": "application/json"}
            )
        else:
            response = await who.call(method, path, json=body)
        assert_problem(response, *statuses, what=body if not raw else repr(body)[:80])
        if method != "GET":  # the chat's event log did not move (the rest is checked below)
            assert await room.alice.ok("GET", room.path()) == chat_before, (method, path, body)
    assert await room.state() == before


async def test_malformed_json_is_invalid_input(room: Room) -> None:
    send = room.path("/messages")
    cases = [
        ("POST", send, b'{"text": "hi", "client_txn_id": "x"'),
        ("POST", send, b"not json at all"),
        ("POST", send, b""),
        ("POST", send, b'{"text": "hi", "client_txn_id": "x"} trailing'),
        ("POST", send, b'{"text": "hi", "client_txn_id": "x",}'),
        ("POST", send, b"\xff\xfe\x00\xd8"),
        ("POST", send, b"[" * 100_000),
        ("POST", room.path("/read"), b'{"seq": NaN}'),
        ("POST", room.path("/read"), b'{"seq": Infinity}'),
        ("POST", room.path("/read"), b'{"seq": 1' + b"1" * 5000 + b"}"),
    ]
    await refuse_all(room, room.alice, cases, raw=True, statuses=UNREADABLE)
    # Well-formed JSON whose strings are not text: read, then refused as values.
    lone_surrogates = [
        ("PATCH", room.path(), b'{"title": "\\ud800"}'),
        ("POST", send, b'{"text": "a\\udfff", "client_txn_id": "s1"}'),
        ("POST", send, b'{"text": "ok", "client_txn_id": "\\ud800"}'),
    ]
    await refuse_all(room, room.alice, lone_surrogates, raw=True)


# The one rule of docs/api.md: 400 when the body is not a JSON document at all, 422 when it is
# one but a value in it is wrong (type, range, or a business rule), on every route alike.
NOT_JSON: list[tuple[str, bytes, dict[str, str]]] = [
    ("cut off", b'{"a": ', JSON_TYPE),
    ("trailing garbage", b"{} x", JSON_TYPE),
    ("bad UTF-8", b'{"a": "\xff\xfe"}', JSON_TYPE),
    ("too deep", b"[" * 100_000 + b"]" * 100_000, JSON_TYPE),
    ("empty", b"", JSON_TYPE),
    ("not JSON's content type", b"{}", {"content-type": "text/plain"}),
    ("no content type", b"{}", {}),
    ("NaN", b'{"a": NaN}', JSON_TYPE),
]


async def test_400_for_a_body_that_is_not_json_422_for_wrong_values(
    room: Room, http: httpx.AsyncClient
) -> None:
    send, me = room.path("/messages"), "/api/v1/me"
    # Per route: the values a read body may get wrong, the business rules last.
    routes: dict[tuple[str, str], list[Any]] = {
        ("POST", "/api/v1/chats"): [
            [],
            {"kind": "group"},
            {"kind": "group", "title": 5},
            {"kind": "group", "title": "x", "colour": "red"},
            {"kind": "group", "title": "   "},
        ],
        ("POST", send): [  # the send fast path
            ["hi"],
            {"text": "hi"},
            {"text": 5, "client_txn_id": "v1"},
            {"text": "hi", "client_txn_id": "v1", "self_destruct_s": 1},
            {"text": "   ", "client_txn_id": "v1"},
            {"text": "x" * 4097, "client_txn_id": "v1"},
            {"text": "hi", "client_txn_id": "v1", "self_destruct_s": 10},  # not a direct chat
        ],
        ("PATCH", me): [{"bio": 5}, {"display_name": "   "}, {"bio": "b" * 513}],
        ("POST", room.path("/read")): [{"seq": -1}, {"seq": 1.5}, {"seq": 10**6}],
        ("PUT", room.path("/message-ttl")): [{}, {"message_ttl_s": "1d"}, {"message_ttl_s": 4}],
        ("POST", "/api/v1/auth/register"): [
            {"username": "ok_name"},
            {"username": "no", "password": PASSWORD},
            {"username": "ok_name", "password": "short"},
        ],
    }
    before = await room.state()
    for (method, path), wrong_values in routes.items():
        for what, content, content_type in NOT_JSON:
            response = await room.alice.call(method, path, content=content, headers=content_type)
            assert_problem(response, *UNREADABLE, what=what)
        for body in wrong_values:
            response = await room.alice.call(method, path, json=body)
            assert_problem(response, *INVALID, what=body)
    # Outside the body the request was read too: a path, a query, a header value is 422.
    for path in (
        "/api/v1/chats/abc",
        "/api/v1/chats?limit=0",
        "/api/v1/sync?cursors=x",
        room.path(f"/messages/{room.alice_message}/reactions/x"),
    ):
        method = "PUT" if "reactions" in path else "GET"
        assert_problem(await room.alice.call(method, path), *INVALID, what=path)
    assert await room.state() == before
    assert (await http.post("/api/v1/auth/login", json={"username": "ok_name"})).status_code == 422


async def test_wrong_types_are_invalid_input(room: Room) -> None:
    send = room.path("/messages")
    mine = room.path(f"/messages/{room.alice_message}")
    cases: list[tuple[str, str, Any]] = [
        ("POST", send, {"text": 5, "client_txn_id": "t1"}),
        ("POST", send, {"text": ["hi"], "client_txn_id": "t1"}),
        ("POST", send, {"text": "hi", "client_txn_id": 7}),
        ("POST", send, {"text": "hi", "client_txn_id": "t1", "reply_to_id": int(room.bob_message)}),
        ("POST", send, {"text": "hi", "client_txn_id": "t1", "forward": "that one"}),
        ("POST", send, ["hi"]),
        ("POST", send, "hi"),
        ("PATCH", mine, {"text": None}),
        ("PATCH", mine, {"text": {"rich": True}}),
        ("POST", room.path("/read"), {"seq": "latest"}),
        ("POST", room.path("/read"), {"seq": 1.5}),
        ("POST", room.path("/read"), {"seq": [1]}),
        ("PATCH", room.path(), {"slow_mode_s": "slow"}),
        ("PATCH", room.path(), {"title": {"a": 1}}),
        ("PATCH", room.path(), {"signed_posts": "maybe"}),
        ("POST", room.path("/members"), {"user_id": int(room.bob.id)}),
        ("POST", room.path("/members"), {"user_id": "bob"}),
        ("POST", room.path("/members"), {"user_id": ""}),
        ("POST", room.path("/members"), {"user_id": f"0{room.bob.id}"}),
        ("PATCH", room.path(f"/members/{room.bob.id}"), {"role": "owner"}),
        ("PATCH", room.path(f"/members/{room.bob.id}"), {"role": "king"}),
        ("PATCH", room.path(f"/members/{room.bob.id}"), {"role": 3}),
        ("POST", room.path("/transfer"), {"user_id": [room.bob.id]}),
        ("POST", room.path("/invites"), {"max_uses": "many"}),
        ("POST", room.path("/invites"), {"expires_in_s": -5}),
        ("POST", room.path("/invites"), {"requires_approval": "perhaps"}),
    ]
    await refuse_all(room, room.alice, cases)
    for body in (
        {"kind": "dm", "title": "x"},
        {"kind": "group", "title": 5},
        {"kind": ["group"], "title": "x"},
        {"kind": "group", "title": "x", "is_public": "yes please"},
    ):
        assert_problem(await room.alice.call("POST", "/api/v1/chats", json=body), *INVALID)
    for body in ({"display_name": 5}, {"bio": ["a"]}):
        assert_problem(await room.alice.call("PATCH", "/api/v1/me", json=body), *INVALID)
    registered = await room.alice.client.post(
        "/api/v1/auth/register", json={"username": 12345, "password": PASSWORD}
    )
    assert_problem(registered, *INVALID)
    assert (await room.alice.ok("GET", "/api/v1/me"))["display_name"] == "alice"
    assert [c["title"] for c in (await room.alice.ok("GET", "/api/v1/chats"))["chats"]] == ["Room"]


async def test_missing_fields_are_invalid_input(room: Room, http: httpx.AsyncClient) -> None:
    cases: list[tuple[str, str, Any]] = [
        ("POST", room.path("/messages"), {"text": "hi"}),
        ("POST", room.path("/messages"), {"client_txn_id": "m1"}),
        ("POST", room.path("/messages"), {}),
        ("PATCH", room.path(f"/messages/{room.alice_message}"), {}),
        ("POST", room.path("/read"), {}),
        ("POST", room.path("/members"), {}),
        ("PATCH", room.path(f"/members/{room.bob.id}"), {}),
        ("POST", room.path("/transfer"), {}),
        (
            "POST",
            room.path("/messages"),
            {"client_txn_id": "m2", "forward": {"chat_id": room.chat_id}},
        ),
    ]
    await refuse_all(room, room.alice, cases)
    for path, body in (
        ("/api/v1/chats", {"kind": "group"}),
        ("/api/v1/chats", {"title": "t"}),
        ("/api/v1/chats/direct", {}),
        ("/api/v1/auth/password", {"new_password": "a new long password"}),
    ):
        assert_problem(await room.alice.call("POST", path, json=body), *INVALID, what=path)
    for path, body in (
        ("/api/v1/auth/register", {"username": "carol"}),
        ("/api/v1/auth/register", {"password": PASSWORD}),
        ("/api/v1/auth/login", {"password": PASSWORD}),
        ("/api/v1/auth/login", {"username": "alice"}),
    ):
        assert_problem(await http.post(path, json=body), *INVALID, what=path)
    assert_problem(await room.alice.call("GET", "/api/v1/users"), *INVALID)
    # Nothing was half-registered: the name is still free.
    assert (
        await http.post("/api/v1/auth/register", json={"username": "carol", "password": PASSWORD})
    ).status_code == 201


async def test_unknown_fields_are_refused_not_ignored(room: Room, http: httpx.AsyncClient) -> None:
    """Fields a client may not set (sender, seq, operator flag, publicity...) are an error."""
    cases: list[tuple[str, str, Any]] = [
        (
            "POST",
            room.path("/messages"),
            {"text": "hi", "client_txn_id": "u1", "sender_id": room.bob.id},
        ),
        ("POST", room.path("/messages"), {"text": "hi", "client_txn_id": "u2", "seq": 1}),
        (
            "POST",
            room.path("/messages"),
            {
                "text": "hi",
                "client_txn_id": "u3",
                "forward": {
                    "chat_id": room.chat_id,
                    "message_id": room.bob_message,
                    "sender_id": room.alice.id,
                },
            },
        ),
        ("PATCH", room.path(f"/messages/{room.bob_message}"), {"text": "x", "sender_id": "1"}),
        ("PATCH", room.path(), {"title": "Renamed", "is_public": True}),
        ("PATCH", room.path(), {"member_count": 1000}),
        ("POST", room.path("/read"), {"seq": 1, "user_id": room.bob.id}),
        ("POST", room.path("/invites"), {"uses": 0, "max_uses": 1}),
        ("POST", room.path("/members"), {"user_id": room.bob.id, "role": "admin"}),
        ("PATCH", room.path(f"/members/{room.bob.id}"), {"role": "member", "chat_id": "1"}),
    ]
    await refuse_all(room, room.alice, cases)
    assert (await room.alice.ok("GET", room.path()))["is_public"] is False

    made = await room.alice.call(
        "POST", "/api/v1/chats", json={"kind": "group", "title": "x", "owner_id": room.bob.id}
    )
    assert_problem(made, *INVALID)
    me = await room.alice.call("PATCH", "/api/v1/me", json={"bio": "hi", "is_operator": True})
    assert_problem(me, *INVALID)
    assert (await room.alice.ok("GET", "/api/v1/me"))["is_operator"] is False
    sneaky = await http.post(
        "/api/v1/auth/register",
        json={"username": "mallory", "password": PASSWORD, "is_operator": True},
    )
    assert_problem(sneaky, *INVALID)
    mallory = await register_and_login(http, "mallory")  # the refused call created nothing
    assert (await mallory.ok("GET", "/api/v1/me"))["is_operator"] is False


async def test_ids_out_of_int64_range(room: Room) -> None:
    chat, msg, bob = room.chat_id, room.alice_message, room.bob.id
    templates = [
        ("GET", "/api/v1/chats/{id}"),
        ("GET", f"/api/v1/chats/{chat}/messages/{{id}}"),
        ("PATCH", f"/api/v1/chats/{chat}/members/{{id}}"),
        ("DELETE", f"/api/v1/chats/{chat}/members/{{id}}"),
        ("DELETE", "/api/v1/sessions/{id}"),
        ("POST", f"/api/v1/chats/{chat}/join-requests/{{id}}/approve"),
        ("PUT", f"/api/v1/chats/{chat}/pins/{{id}}"),
        ("PUT", f"/api/v1/chats/{chat}/messages/{{id}}/reactions/%F0%9F%91%8D"),
        ("POST", "/api/v1/chats/{id}/messages"),
    ]
    bodies = {"PATCH": {"role": "member"}, "POST": {"text": "hi", "client_txn_id": "r1"}}
    cases: list[tuple[str, str, Any]] = [
        (method, template.format(id=value), bodies.get(method))
        for method, template in templates
        for value in (*BAD_IDS, "1e3", "12abc")
    ]
    for value in BAD_IDS:
        cases += [
            ("POST", room.path("/members"), {"user_id": value}),
            ("POST", room.path("/transfer"), {"user_id": value}),
            ("POST", "/api/v1/chats/direct", {"user_id": value}),
            (
                "POST",
                room.path("/messages"),
                {"text": "hi", "client_txn_id": "r2", "reply_to_id": value},
            ),
            (
                "POST",
                room.path("/messages"),
                {"client_txn_id": "r3", "forward": {"chat_id": value, "message_id": msg}},
            ),
            (
                "POST",
                room.path("/messages"),
                {"client_txn_id": "r4", "forward": {"chat_id": chat, "message_id": value}},
            ),
        ]
    cases.append(("GET", room.path("/messages?around_id=0"), None))
    for value in OUT_OF_RANGE:  # numbers where 0 is fine
        cases += [
            ("POST", room.path("/read"), {"seq": int(value)}),
            ("PATCH", room.path(), {"slow_mode_s": int(value)}),
            ("POST", room.path("/invites"), {"max_uses": int(value)}),
            ("POST", room.path("/invites"), {"expires_in_s": int(value)}),
        ]
        for name in ("before_seq", "after_seq", "around_id", "limit"):
            cases.append(("GET", room.path(f"/messages?{name}={value}"), None))
        cases += [
            ("GET", room.path(f"/members?after={value}"), None),
            ("GET", room.path(f"/members?limit={value}"), None),
            ("GET", f"/api/v1/chats?limit={value}", None),
            ("GET", f"/api/v1/sync?limit={value}", None),
            ("GET", f"/api/v1/users?prefix=a&limit={value}", None),
        ]
    await refuse_all(room, room.alice, cases)

    # The largest int64 is a well-formed id that names nothing: not found, not an error.
    top = str(MAX_ID)
    for method, path, body in (
        ("GET", f"/api/v1/chats/{top}", None),
        ("GET", room.path(f"/messages/{top}"), None),
        ("GET", room.path(f"/messages?around_id={top}"), None),
        ("POST", room.path("/members"), {"user_id": top}),
        ("POST", "/api/v1/chats/direct", {"user_id": top}),
        ("DELETE", room.path(f"/members/{top}"), None),
        (
            "POST",
            room.path("/messages"),
            {"client_txn_id": "top", "forward": {"chat_id": top, "message_id": top}},
        ),
    ):
        assert_problem(await room.alice.call(method, path, json=body), 404, what=path)
    after = await room.alice.ok("GET", room.path(f"/messages?after_seq={top}"))
    assert after == {"messages": [], "has_more": False}
    too_far = await room.alice.call("POST", room.path("/read"), json={"seq": MAX_ID})
    assert_problem(too_far, 422)
    reply = await room.alice.call(
        "POST",
        room.path("/messages"),
        json={"text": "hi", "client_txn_id": "t", "reply_to_id": top},
    )
    assert_problem(reply, 422)
    assert bob in [
        m["user_id"] for m in (await room.alice.ok("GET", room.path("/members")))["members"]
    ]


async def test_text_over_4096_characters_is_refused(room: Room) -> None:
    longest = "😀" * 4096  # characters, not bytes
    cases: list[tuple[str, str, Any]] = [
        ("POST", room.path("/messages"), {"text": longest + "x", "client_txn_id": "big"}),
        ("POST", room.path("/messages"), {"text": "x" * 100_000, "client_txn_id": "bigger"}),
        ("PATCH", room.path(f"/messages/{room.alice_message}"), {"text": "y" * 4097}),
        ("POST", room.path("/messages"), {"text": "   \n\t ", "client_txn_id": "blank"}),
        ("POST", room.path("/messages"), {"text": "a\x00b", "client_txn_id": "nul"}),
        ("POST", room.path("/messages"), {"text": "hi", "client_txn_id": "x" * 65}),
        ("POST", room.path("/messages"), {"text": "hi", "client_txn_id": ""}),
        ("PATCH", room.path(), {"title": "t" * 129}),
        ("PATCH", room.path(), {"title": "   "}),
        ("PATCH", room.path(), {"description": "d" * 9000}),
        ("PATCH", room.path(), {"slow_mode_s": 86_401}),
        ("PUT", room.path(f"/messages/{room.alice_message}/reactions/{'x' * 17}"), None),
        ("PUT", room.path(f"/messages/{room.alice_message}/reactions/poop"), None),
    ]
    await refuse_all(room, room.alice, cases)
    for body in ({"display_name": "n" * 300}, {"bio": "b" * 5000}):
        assert_problem(await room.alice.call("PATCH", "/api/v1/me", json=body), *INVALID)
    sent = await room.alice.call(
        "POST", room.path("/messages"), json={"text": longest, "client_txn_id": "edge"}
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["text"] == longest


BAD_CURSORS = (
    "abc",
    "1",
    "1:",
    ":1",
    "1:2:3",
    "-1:5",
    "1:-5",
    "1:1.5",
    "1:0x10",
    "²:1",
    "1:²",
    "٣:1",
    f"{2**63}:0",
    f"1:{2**63}",
    "9" * 20 + ":1",
    "1:" + "9" * 25,
    " 1:1",
    "1 :1",
    "1:1;2:2",
    ",".join(f"{n}:0" for n in range(1, 1002)),
)


async def test_bad_sync_cursors(room: Room) -> None:
    for cursors in BAD_CURSORS:
        response = await room.alice.call("GET", "/api/v1/sync", params={"cursors": cursors})
        assert_problem(response, *INVALID, what=cursors[:40])


async def test_sync_limits_and_stale_cursors(room: Room) -> None:
    for limit in ("0", "1001", "x", "-1"):
        response = await room.alice.call("GET", "/api/v1/sync", params={"limit": limit})
        assert_problem(response, *INVALID, what=limit)
    assert_problem(
        await room.alice.call("GET", "/api/v1/sync", params={"cursors": "x" * 40_001}), *INVALID
    )
    # Well-formed cursors the server cannot replay are an answer, not an error.
    last_seq = (await room.alice.ok("GET", room.path()))["last_seq"]
    ahead = await room.alice.ok(
        "GET", "/api/v1/sync", params={"cursors": f"{room.chat_id}:{last_seq + 5},{MAX_ID}:0"}
    )
    assert ahead["resync_required"] == [{"chat_id": room.chat_id, "last_seq": last_seq}]
    assert ahead["removed"] == [str(MAX_ID)]
    assert ahead["events"] == []


async def test_refused_approval_keeps_the_request(room: Room, person: MakePerson) -> None:
    """Approving on a used-up link fails whole: the request stays, nobody joins."""
    invite = await room.alice.ok(
        "POST", room.path("/invites"), json={"max_uses": 1, "requires_approval": True}
    )
    first, second = await person("first"), await person("second")
    for applicant in (first, second):
        await applicant.ok("POST", f"/api/v1/invites/{invite['code']}/join")
    await room.alice.ok("POST", room.path(f"/join-requests/{first.id}/approve"))
    before = await room.state()
    late = await room.alice.call("POST", room.path(f"/join-requests/{second.id}/approve"))
    assert_problem(late, 410)
    assert await room.state() == before
    assert [r["user_id"] for r in before["requests"]["requests"]] == [second.id]
    assert (await second.call("GET", room.path())).status_code == 404


async def test_refused_sends_and_edits_write_nothing(room: Room) -> None:
    await room.bob.ok("DELETE", room.path(f"/messages/{room.bob_message}"))
    cases: list[tuple[str, str, Any]] = [
        (
            "POST",
            room.path("/messages"),
            {
                "client_txn_id": "f1",
                "forward": {"chat_id": room.chat_id, "message_id": room.bob_message},
            },
        ),
        (
            "POST",
            room.path("/messages"),
            {
                "text": "and text",
                "client_txn_id": "f2",
                "forward": {"chat_id": room.chat_id, "message_id": room.alice_message},
            },
        ),
        ("PATCH", room.path(f"/messages/{room.bob_message}"), {"text": "revive"}),
        ("POST", room.path("/members"), {"user_id": room.bob.id}),
        ("POST", room.path("/transfer"), {"user_id": room.alice.id}),
        ("POST", room.path("/leave"), None),
    ]
    before = await room.state()
    for method, path, body in cases:
        response = await room.alice.call(method, path, json=body)
        assert_problem(response, 403, 404, 409, 422, what=body)
        assert await room.state() == before, (method, path, body)


async def test_unknown_routes_are_404(http: httpx.AsyncClient, person: MakePerson) -> None:
    alice = await person()
    for path in (
        "/api/v1/nothing",
        "/nothing",
        "/api/v2/chats",
        "/api/v1/chats/1/nothing",
        "/api/v1/chats/1/messages/1/nothing",
        "/api/v1/%00",
        "/api",
    ):
        if path.startswith("/api"):  # outside /api a GET is the web client's (tests/web)
            assert_problem(await alice.call("GET", path), 404, what=path)
        assert_problem(await http.post(path, json={}), 404, what=path)


async def test_wrong_method_is_405(http: httpx.AsyncClient, person: MakePerson) -> None:
    alice = await person()
    for method, path in (
        ("DELETE", "/api/v1/me"),
        ("PUT", "/api/v1/auth/login"),
        ("GET", "/api/v1/auth/register"),
        ("PATCH", "/api/v1/sync"),
        ("POST", "/api/v1/chats/1/pins"),
        ("DELETE", "/api/v1/chats"),
        ("POST", "/api/openapi.json"),
    ):
        response = await alice.call(method, path)
        assert_problem(response, 405, what=path)
        assert method not in response.headers["allow"]
    assert (await alice.call("GET", "/api/v1/me")).status_code == 200


@asynccontextmanager
async def small_app(db_url: str, tmp_path: Path, **extra: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path,
        max_body_bytes=1024,
        rate_limits_enabled=False,
        log_level="warning",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        **extra,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://small.test") as client:
            yield client


async def test_oversized_bodies_are_413(db_url: str, tmp_path: Path) -> None:
    async with small_app(db_url, tmp_path) as client:
        alice = await register_and_login(client, "alice")
        chat = await alice.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Small"})
        send = f"/api/v1/chats/{chat['id']}/messages"

        big = {"text": "x" * 2000, "client_txn_id": "big"}
        assert_problem(await alice.call("POST", send, json=big), 413)

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"text": "'
            for _ in range(40):
                yield b"y" * 100
            yield b'", "client_txn_id": "streamed"}'

        streamed = await client.post(
            send, content=chunks(), headers={**alice.auth, "content-type": "application/json"}
        )
        assert "content-length" not in streamed.request.headers
        assert_problem(streamed, 413)
        registered = await client.post(
            "/api/v1/auth/register",
            json={"username": "huge", "password": PASSWORD, "display_name": "d" * 2000},
        )
        assert_problem(registered, 413)
        for name, value in SECURITY_HEADERS.items():
            assert registered.headers.get(name) == value

        assert (await alice.ok("GET", f"/api/v1/chats/{chat['id']}"))["last_seq"] == 2
        assert (await alice.ok("GET", send))["messages"] == []
        assert (
            await client.post("/api/v1/auth/login", json={"username": "huge", "password": PASSWORD})
        ).status_code == 401
        fits = await alice.call("POST", send, json={"text": "z" * 900, "client_txn_id": "fits"})
        assert fits.status_code == 201, fits.text


async def test_security_headers_on_every_response(
    app: Any, http: httpx.AsyncClient, person: MakePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await person()
    responses = [
        await http.get("/api/v1/health"),
        await http.post("/api/v1/auth/register", json={"username": "hdr", "password": PASSWORD}),
        await http.get("/api/v1/me"),
        await alice.call("GET", "/api/v1/me"),
        await alice.call("GET", "/api/v1/chats/1"),
        await alice.call("GET", "/api/v1/chats/x"),
        await alice.call("DELETE", "/api/v1/me"),
        await alice.call("GET", "/api/v1/nowhere"),
        await alice.call("POST", "/api/v1/chats", json={"kind": "group", "title": "t" * 129}),
        await alice.call("POST", "/api/v1/chats", content=b"x" * 1_100_000),
        await alice.call("POST", "/api/v1/chats", content=b"{", headers=JSON_TYPE),
        await http.get("/api/openapi.json"),
        await http.get("/api/docs"),
        await alice.call("POST", "/api/v1/auth/logout"),
    ]

    async def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(accounts_api.accounts, "access_sessions", boom)
    # The send fast path answers in front of FastAPI's stack, so it handles failures itself.
    monkeypatch.setattr(fastpath, "send_from_input", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://colletta.test") as raw:
        bob = await register_and_login(raw)
        chat = await bob.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "t"})
        failures = [
            await bob.call("GET", "/api/v1/sessions"),
            await bob.call(
                "POST",
                f"/api/v1/chats/{chat['id']}/messages",
                json={"text": "x", "client_txn_id": "boom"},
            ),
        ]
        # The fast path's own answers: created, and an error of the action.
        path = f"/api/v1/chats/{chat['id']}/messages"
        monkeypatch.undo()
        responses.append(await bob.call("POST", path, json={"text": "x", "client_txn_id": "ok"}))
    responses.append(await alice.call("POST", path, json={"text": "x", "client_txn_id": "no"}))
    for failed in failures:
        body = assert_problem(failed, 500)
        assert "fire" not in failed.text, body
        assert "RuntimeError" not in failed.text, body
    responses += failures

    statuses = sorted({r.status_code for r in responses})
    assert statuses == [200, 201, 204, 400, 401, 404, 405, 413, 422, 500]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (
                response.request.url,
                name,
                response.status_code,
            )
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in policy, (response.request.url, response.status_code)
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert "http" not in policy  # no CDN, no other host
        assert "strict-transport-security" not in response.headers  # behind_tls is off
        assert "camera=()" in response.headers.get("permissions-policy", "")


async def test_no_password_or_token_is_echoed(
    http: httpx.AsyncClient, person: MakePerson, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Sup3r-secret-passphrase"
    token_like = "tok_" + "Q" * 40
    alice = await person("alice")
    responses: list[httpx.Response] = []
    for body in (
        {"username": "ab", "password": secret},
        {"username": "bobby", "password": secret[:5]},
        {"username": "bobby", "password": secret * 100},
        {"username": "bobby", "password": [secret]},
        {"username": "bobby", "password": secret, "extra": secret},
        {"username": 5, "password": secret},
        {"username": "bobby", "password": secret},  # created; the answer is the user
        {"username": "bobby", "password": secret},  # taken
    ):
        responses.append(await http.post("/api/v1/auth/register", json=body))
    raw = ('{"username": "bobby", "password": "' + secret).encode()
    responses.append(
        await http.post(
            "/api/v1/auth/register", content=raw, headers={"content-type": "application/json"}
        )
    )
    for body in (
        {"username": "bobby", "password": secret + "x"},
        {"username": "nobody", "password": secret},
        {"username": "bobby", "password": secret, "device_name": 5},
        {"username": "bobby", "password": 12345678901},
    ):
        responses.append(await http.post("/api/v1/auth/login", json=body))
    for body in (
        {"old_password": secret, "new_password": "a new long password"},
        {"old_password": PASSWORD, "new_password": secret[:4]},
        {"old_password": PASSWORD, "new_password": secret, "confirm": secret},
    ):
        responses.append(await alice.call("POST", "/api/v1/auth/password", json=body))
    for header in (
        f"Bearer {token_like}",
        f"Basic {token_like}",
        token_like,
        f"Bearer {alice.token}x",
    ):
        responses.append(await http.get("/api/v1/me", headers={"Authorization": header}))
        responses.append(await http.get("/api/v1/nothing", headers={"Authorization": header}))
    responses.append(await alice.call("GET", "/api/v1/sessions"))
    responses.append(await alice.call("GET", "/api/v1/me"))
    responses.append(await alice.call("POST", "/api/v1/chats", json={"kind": "x", "title": 1}))
    logged_in = await http.post(
        "/api/v1/auth/login", json={"username": "bobby", "password": secret}
    )
    bob_token = logged_in.json()["token"]
    responses.append(
        await http.get("/api/v1/sessions", headers={"Authorization": f"Bearer {bob_token}"})
    )
    responses.append(
        await http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {bob_token}"})
    )
    responses.append(await http.get("/api/v1/me", headers={"Authorization": f"Bearer {bob_token}"}))

    assert len({r.status_code for r in responses}) >= 5  # the calls went down many paths
    for response in responses:
        for value in (secret, secret[:5], token_like, alice.token, bob_token):
            assert value not in response.text, (response.request.url, response.text[:300])
    log = caplog.text
    for value in (secret, secret[:5], token_like, alice.token, bob_token):
        assert value not in log
