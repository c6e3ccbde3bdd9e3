"""Who may do what to a chat, as a table: every chat route × every kind of actor. Every route of
the OpenAPI document must have a row, here or in test_authz_routes.py (sessions, profile, chat
lists, invite codes, sync), or `test_every_route_of_the_document_has_a_row` fails.

Each test builds one cast through the real API (a private group with owner, admin, moderator,
member; a private and a public channel with owner, admin and a subscriber; a direct chat), plus
an outsider and the server operator, then calls one endpoint as every actor of every chat and
compares the status with EXPECTED. The operator has no special rights in chats they are not in
(the current design), so their column always equals the outsider's.

Alongside the status, every cell checks what a user would notice:
- a refusal is problem+json with the slug of its status, and changed nothing in the chat;
- an outsider gets, for a chat they may not see, exactly the problem a non-existent chat gets,
  so chat ids cannot be probed;
- without a token the answer is 401.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from PIL import Image

from colletta.actions.accounts import do_create_operator
from colletta.clock import FakeClock
from tests.conftest import PASSWORD, Person, register_and_login

GROUP = "group"
PRIVATE = "private_channel"
PUBLIC = "public_channel"
DIRECT = "direct"

# The columns of every row of EXPECTED, per chat.
ROLES: dict[str, tuple[str, ...]] = {
    GROUP: ("outsider", "operator", "member", "moderator", "admin", "owner"),
    PRIVATE: ("outsider", "operator", "subscriber", "admin", "owner"),
    PUBLIC: ("outsider", "operator", "subscriber", "admin", "owner"),
    DIRECT: ("outsider", "operator", "participant"),
}

# Who plays each role (cast names), per chat.
ACTOR: dict[str, dict[str, str]] = {
    GROUP: {
        "outsider": "outsider",
        "operator": "operator",
        "member": "g_member",
        "moderator": "g_moderator",
        "admin": "g_admin",
        "owner": "g_owner",
    },
    PRIVATE: {
        "outsider": "outsider",
        "operator": "operator",
        "subscriber": "c_subscriber",
        "admin": "c_admin",
        "owner": "c_owner",
    },
    PUBLIC: {
        "outsider": "outsider",
        "operator": "operator",
        "subscriber": "c_subscriber",
        "admin": "c_admin",
        "owner": "c_owner",
    },
    DIRECT: {"outsider": "outsider", "operator": "operator", "participant": "g_member"},
}
# Who sets things up (adds newcomers, makes invites, pins) and who wrote the chat's target post;
# neither is an actor of that chat's columns (in the direct chat both are the other side).
MANAGER = {GROUP: "g_owner", PRIVATE: "c_owner", PUBLIC: "c_owner", DIRECT: "g_author"}
AUTHOR = {GROUP: "g_author", PRIVATE: "c_poster", PUBLIC: "c_poster", DIRECT: "g_author"}

# A well-formed int64 id that no chat has: outsiders must not tell it from a hidden chat.
GHOST_CHAT_ID = str(2**62 + 12345)
THUMBS_UP = quote("👍")
N = None  # not applicable: this actor cannot get into the situation (e.g. edit their own post)

# Expected status per endpoint, chat and actor; the tuples follow ROLES[chat].
#   group:    outsider operator member moderator admin owner
#   channels: outsider operator subscriber admin owner
#   direct:   outsider operator participant
EXPECTED: dict[str, dict[str, tuple[int | None, ...]]] = {
    "get_chat": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "patch_chat": {
        GROUP: (404, 404, 403, 403, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 403),
    },
    "members_list": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),  # subscribers do not see each other
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "members_add": {
        GROUP: (404, 404, 403, 403, 201, 201),
        PRIVATE: (404, 404, 403, 201, 201),
        PUBLIC: (404, 404, 403, 201, 201),
        DIRECT: (404, 404, 403),
    },
    "members_role_moderator": {  # make a plain member a moderator
        GROUP: (404, 404, 403, 403, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 403),
    },
    "members_role_admin": {  # only the owner makes admins
        GROUP: (404, 404, 403, 403, 403, 200),
        PRIVATE: (404, 404, 403, 403, 200),
        PUBLIC: (404, 404, 403, 403, 200),
        DIRECT: (404, 404, 403),
    },
    "members_role_of_owner": {  # nobody demotes the owner, not even the owner
        GROUP: (404, 404, 403, 403, 403, 403),
        PRIVATE: (404, 404, 403, 403, 403),
        PUBLIC: (404, 404, 403, 403, 403),
        DIRECT: (404, 404, 403),
    },
    "members_remove": {  # kick a plain member
        GROUP: (404, 404, 403, 204, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 403),
    },
    "members_remove_admin": {  # kick an admin: only ranks above may
        GROUP: (404, 404, 403, 403, 403, 204),
        PRIVATE: (404, 404, 403, 403, 204),
        PUBLIC: (404, 404, 403, 403, 204),
        DIRECT: (404, 404, 403),
    },
    "bans_list": {
        GROUP: (404, 404, 403, 403, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 403),
    },
    "bans_lift": {  # let a removed member rejoin by themselves
        GROUP: (404, 404, 403, 403, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 403),
    },
    "leave": {  # the owner must transfer first
        GROUP: (404, 404, 204, 204, 204, 409),
        PRIVATE: (404, 404, 204, 204, 409),
        PUBLIC: (404, 404, 204, 204, 409),
        DIRECT: (404, 404, 403),
    },
    "subscribe": {
        GROUP: (404, 404, 409, 409, 409, 409),
        PRIVATE: (404, 404, 409, 409, 409),
        PUBLIC: (200, 200, 409, 409, 409),
        DIRECT: (404, 404, 409),
    },
    "transfer": {
        GROUP: (404, 404, 403, 403, 403, 204),
        PRIVATE: (404, 404, 403, 403, 204),
        PUBLIC: (404, 404, 403, 403, 204),
        DIRECT: (404, 404, 403),
    },
    "read": {
        GROUP: (404, 404, 204, 204, 204, 204),
        PRIVATE: (404, 404, 204, 204, 204),
        PUBLIC: (404, 404, 204, 204, 204),
        DIRECT: (404, 404, 204),
    },
    "typing": {
        GROUP: (404, 404, 204, 204, 204, 204),
        PRIVATE: (404, 404, 403, 403, 403),  # channels have no typing
        PUBLIC: (404, 404, 403, 403, 403),
        DIRECT: (404, 404, 204),
    },
    "invites_create": {
        GROUP: (404, 404, 403, 403, 201, 201),
        PRIVATE: (404, 404, 403, 201, 201),
        PUBLIC: (404, 404, 403, 201, 201),
        DIRECT: (404, 404, 403),
    },
    "invites_list": {
        GROUP: (404, 404, 403, 403, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 403),
    },
    "invites_revoke": {
        GROUP: (404, 404, 403, 403, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 403),
    },
    "join_requests_list": {
        GROUP: (404, 404, 403, 403, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 403),
    },
    "join_requests_approve": {
        GROUP: (404, 404, 403, 403, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 403),
    },
    "join_requests_decline": {
        GROUP: (404, 404, 403, 403, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 403),
    },
    "message_ttl": {  # either side of a direct chat, admins elsewhere
        GROUP: (404, 404, 403, 403, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "media_upload": {  # whoever may post
        GROUP: (404, 404, 201, 201, 201, 201),
        PRIVATE: (404, 404, 403, 201, 201),
        PUBLIC: (404, 404, 403, 201, 201),
        DIRECT: (404, 404, 201),
    },
    "media_download": {  # whoever may read the message that carries it
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "media_thumbnail": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "messages_send": {
        GROUP: (404, 404, 201, 201, 201, 201),
        PRIVATE: (404, 404, 403, 201, 201),  # only admins post in channels
        PUBLIC: (404, 404, 403, 201, 201),
        DIRECT: (404, 404, 201),
    },
    "messages_forward_from": {  # forward the chat's post into a group of the actor's own
        GROUP: (404, 404, 201, 201, 201, 201),
        PRIVATE: (404, 404, 201, 201, 201),
        PUBLIC: (201, 201, 201, 201, 201),
        DIRECT: (404, 404, 201),
    },
    "messages_history": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "messages_get": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "messages_edit_others": {
        GROUP: (404, 404, 403, 403, 403, 403),
        PRIVATE: (404, 404, 403, 403, 403),
        PUBLIC: (404, 404, 403, 403, 403),
        DIRECT: (404, 404, 403),
    },
    "messages_edit_own": {
        GROUP: (N, N, 200, 200, 200, 200),
        PRIVATE: (N, N, N, 200, 200),
        PUBLIC: (N, N, N, 200, 200),
        DIRECT: (N, N, 200),
    },
    "messages_delete_others": {
        GROUP: (404, 404, 403, 204, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 403),
    },
    "messages_delete_own": {
        GROUP: (N, N, 204, 204, 204, 204),
        PRIVATE: (N, N, N, 204, 204),
        PUBLIC: (N, N, N, 204, 204),
        DIRECT: (N, N, 204),
    },
    "messages_edits": {
        GROUP: (404, 404, 403, 200, 200, 200),
        PRIVATE: (404, 404, 403, 200, 200),
        PUBLIC: (404, 404, 403, 200, 200),
        DIRECT: (404, 404, 403),
    },
    "reactions_put": {
        GROUP: (404, 404, 204, 204, 204, 204),
        PRIVATE: (404, 404, 204, 204, 204),
        PUBLIC: (404, 404, 204, 204, 204),
        DIRECT: (404, 404, 204),
    },
    "reactions_delete": {
        GROUP: (404, 404, 204, 204, 204, 204),
        PRIVATE: (404, 404, 204, 204, 204),
        PUBLIC: (404, 404, 204, 204, 204),
        DIRECT: (404, 404, 204),
    },
    "pots_create": {  # admins open pots, never in a direct chat
        GROUP: (404, 404, 403, 403, 201, 201),
        PRIVATE: (404, 404, 403, 201, 201),
        PUBLIC: (404, 404, 403, 201, 201),
        DIRECT: (404, 404, 422),
    },
    "pots_list": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "pins_list": {
        GROUP: (404, 404, 200, 200, 200, 200),
        PRIVATE: (404, 404, 200, 200, 200),
        PUBLIC: (200, 200, 200, 200, 200),
        DIRECT: (404, 404, 200),
    },
    "pins_put": {
        GROUP: (404, 404, 403, 403, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 204),  # either side pins in a direct chat
    },
    "pins_delete": {
        GROUP: (404, 404, 403, 403, 204, 204),
        PRIVATE: (404, 404, 403, 204, 204),
        PUBLIC: (404, 404, 403, 204, 204),
        DIRECT: (404, 404, 204),
    },
}

SLUGS = {
    400: "invalid_input",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "gone",
    422: "invalid_input",
}


@dataclass
class Call:
    method: str
    path: str
    json: dict[str, Any] | None = None
    content: bytes | None = None  # a raw body (uploads), sent as application/octet-stream

    def replacing(self, old: str, new: str) -> Call:
        body = None
        if self.json is not None:
            body = orjson.loads(orjson.dumps(self.json).decode().replace(old, new))
        return Call(self.method, self.path.replace(old, new), body, self.content)

    @property
    def kwargs(self) -> dict[str, Any]:
        if self.content is None:
            return {"json": self.json}
        return {"content": self.content, "headers": {"content-type": "application/octet-stream"}}


@dataclass
class Scene:
    http: httpx.AsyncClient
    people: dict[str, Person]
    chat_ids: dict[str, str]
    posts: dict[str, str]  # per chat, a message by AUTHOR[chat], edited once

    def path(self, chat: str, suffix: str = "") -> str:
        return f"/api/v1/chats/{self.chat_ids[chat]}{suffix}"

    def manager(self, chat: str) -> Person:
        return self.people[MANAGER[chat]]

    def author(self, chat: str) -> Person:
        return self.people[AUTHOR[chat]]

    async def stranger(self) -> Person:
        return await register_and_login(self.http)

    async def newcomer(self, chat: str, role: str = "member") -> Person:
        """A fresh plain member (or `role`) of the chat; in the direct chat, the other side."""
        if chat == DIRECT:
            return self.author(chat)
        fresh = await self.stranger()
        if chat == PUBLIC:
            await fresh.ok("POST", self.path(chat, "/subscribe"))
        else:
            await self.manager(chat).ok(
                "POST", self.path(chat, "/members"), json={"user_id": fresh.id}
            )
        if role != "member":
            await self.manager(chat).ok(
                "PATCH", self.path(chat, f"/members/{fresh.id}"), json={"role": role}
            )
        return fresh

    async def post(self, chat: str, by: Person) -> str:
        message = await by.ok(
            "POST",
            self.path(chat, "/messages"),
            json={"text": "a post", "client_txn_id": secrets.token_hex(8)},
        )
        return str(message["id"])

    async def invite(self, chat: str, requires_approval: bool = False) -> str:
        invite = await self.manager(chat).ok(
            "POST", self.path(chat, "/invites"), json={"requires_approval": requires_approval}
        )
        return str(invite["code"])

    async def snapshot(self, chat: str) -> tuple[Any, ...]:
        """What a refused write must leave alone, as the chat's manager sees it."""
        view = await self.manager(chat).ok("GET", self.path(chat))
        history = await self.manager(chat).ok("GET", self.path(chat, "/messages"))
        pins = await self.manager(chat).ok("GET", self.path(chat, "/pins"))
        return (
            view["last_seq"],
            view["member_count"],
            view["title"],
            view["my_role"],
            history["messages"],
            pins["messages"],
        )


async def build_scene(app: Any, http: httpx.AsyncClient) -> Scene:
    names = (
        "outsider",
        "g_owner",
        "g_admin",
        "g_moderator",
        "g_member",
        "g_author",
        "c_owner",
        "c_admin",
        "c_subscriber",
        "c_poster",
    )
    people = {name: await register_and_login(http, name) for name in names}
    await do_create_operator(app.state.ctx, "operator", PASSWORD)
    people["operator"] = await register_and_login_existing(http, "operator")
    assert (await people["operator"].ok("GET", "/api/v1/me"))["is_operator"] is True

    def who(name: str) -> Person:
        return people[name]

    chat_ids: dict[str, str] = {}
    group = await who("g_owner").ok(
        "POST", "/api/v1/chats", json={"kind": "group", "title": "The group"}
    )
    chat_ids[GROUP] = group["id"]
    for name, role in (
        ("g_admin", "admin"),
        ("g_moderator", "moderator"),
        ("g_member", None),
        ("g_author", None),
    ):
        await who("g_owner").ok(
            "POST", f"/api/v1/chats/{group['id']}/members", json={"user_id": who(name).id}
        )
        if role:
            await who("g_owner").ok(
                "PATCH", f"/api/v1/chats/{group['id']}/members/{who(name).id}", json={"role": role}
            )
    for chat, public in ((PRIVATE, False), (PUBLIC, True)):
        channel = await who("c_owner").ok(
            "POST",
            "/api/v1/chats",
            json={"kind": "channel", "title": f"The {chat}", "is_public": public},
        )
        chat_ids[chat] = channel["id"]
        for name in ("c_admin", "c_poster", "c_subscriber"):
            if public:
                await who(name).ok("POST", f"/api/v1/chats/{channel['id']}/subscribe")
            else:
                await who("c_owner").ok(
                    "POST", f"/api/v1/chats/{channel['id']}/members", json={"user_id": who(name).id}
                )
        for name in ("c_admin", "c_poster"):
            await who("c_owner").ok(
                "PATCH",
                f"/api/v1/chats/{channel['id']}/members/{who(name).id}",
                json={"role": "admin"},
            )
    direct = await who("g_member").ok(
        "POST", "/api/v1/chats/direct", json={"user_id": who("g_author").id}
    )
    chat_ids[DIRECT] = direct["id"]
    scene = Scene(http, people, chat_ids, {})
    for chat in ROLES:
        message_id = await scene.post(chat, scene.author(chat))
        await scene.author(chat).ok(
            "PATCH", scene.path(chat, f"/messages/{message_id}"), json={"text": "a post, edited"}
        )
        scene.posts[chat] = message_id
    return scene


async def register_and_login_existing(http: httpx.AsyncClient, username: str) -> Person:
    response = await http.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Person(body["user"]["id"], username, body["token"], http)


# How to call each endpoint as `actor` in `chat`, preparing fresh targets where a success
# would use one up (so every actor meets the same situation).
Prepare = Callable[[Scene, str, Person], Awaitable[Call]]


def _messages(suffix: str = "") -> str:
    return "/messages" + suffix


async def _get_chat(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat))


async def _patch_chat(s: Scene, chat: str, actor: Person) -> Call:
    return Call("PATCH", s.path(chat), {"title": f"renamed by {actor.username}"})


async def _members_list(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, "/members"))


async def _members_add(s: Scene, chat: str, actor: Person) -> Call:
    fresh = await s.stranger()
    return Call("POST", s.path(chat, "/members"), {"user_id": fresh.id})


async def _members_role_moderator(s: Scene, chat: str, actor: Person) -> Call:
    target = await s.newcomer(chat)
    return Call("PATCH", s.path(chat, f"/members/{target.id}"), {"role": "moderator"})


async def _members_role_admin(s: Scene, chat: str, actor: Person) -> Call:
    target = await s.newcomer(chat)
    return Call("PATCH", s.path(chat, f"/members/{target.id}"), {"role": "admin"})


async def _members_role_of_owner(s: Scene, chat: str, actor: Person) -> Call:
    return Call("PATCH", s.path(chat, f"/members/{s.manager(chat).id}"), {"role": "member"})


async def _members_remove(s: Scene, chat: str, actor: Person) -> Call:
    target = await s.newcomer(chat)
    return Call("DELETE", s.path(chat, f"/members/{target.id}"))


async def _members_remove_admin(s: Scene, chat: str, actor: Person) -> Call:
    target = await s.newcomer(chat, role="admin")
    return Call("DELETE", s.path(chat, f"/members/{target.id}"))


async def _bans_list(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, "/bans"))


async def _bans_lift(s: Scene, chat: str, actor: Person) -> Call:
    if chat == DIRECT:  # nobody is removed from a direct chat; any user will do
        return Call("DELETE", s.path(chat, f"/bans/{s.author(chat).id}"))
    removed = await s.newcomer(chat)
    await s.manager(chat).ok("DELETE", s.path(chat, f"/members/{removed.id}"))
    return Call("DELETE", s.path(chat, f"/bans/{removed.id}"))


async def _leave(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/leave"))


async def _subscribe(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/subscribe"))


async def _transfer(s: Scene, chat: str, actor: Person) -> Call:
    target = await s.newcomer(chat)
    return Call("POST", s.path(chat, "/transfer"), {"user_id": target.id})


async def _read(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/read"), {"seq": 1})


async def _typing(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/typing"))


async def _invites_create(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/invites"), {"max_uses": 5})


async def _invites_list(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, "/invites"))


async def _invites_revoke(s: Scene, chat: str, actor: Person) -> Call:
    # Nobody can make an invite to a direct chat; any code will do there.
    code = "no-such-code" if chat == DIRECT else await s.invite(chat)
    return Call("DELETE", s.path(chat, f"/invites/{code}"))


async def _join_requests_list(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, "/join-requests"))


async def _join_request(s: Scene, chat: str) -> str:
    applicant = await s.stranger()
    if chat != DIRECT:
        code = await s.invite(chat, requires_approval=True)
        joined = await applicant.ok("POST", f"/api/v1/invites/{code}/join")
        assert joined["status"] == "requested"
    return applicant.id


async def _join_requests_approve(s: Scene, chat: str, actor: Person) -> Call:
    applicant_id = await _join_request(s, chat)
    return Call("POST", s.path(chat, f"/join-requests/{applicant_id}/approve"))


async def _join_requests_decline(s: Scene, chat: str, actor: Person) -> Call:
    applicant_id = await _join_request(s, chat)
    return Call("POST", s.path(chat, f"/join-requests/{applicant_id}/decline"))


async def _message_ttl(s: Scene, chat: str, actor: Person) -> Call:
    return Call("PUT", s.path(chat, "/message-ttl"), {"message_ttl_s": 86_400})


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def _media_upload(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/media"), content=_png())


async def _posted_image(s: Scene, chat: str) -> str:
    """A fresh image, sent in a message of the chat by its author; the media id."""
    author = s.author(chat)
    uploaded = await author.ok(
        "POST",
        s.path(chat, "/media"),
        content=_png(),
        headers={"content-type": "application/octet-stream"},
    )
    await author.ok(
        "POST",
        s.path(chat, "/messages"),
        json={"client_txn_id": secrets.token_hex(8), "attachments": [uploaded["id"]]},
    )
    return str(uploaded["id"])


async def _media_download(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, f"/media/{await _posted_image(s, chat)}"))


async def _media_thumbnail(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, f"/media/{await _posted_image(s, chat)}/thumbnail"))


async def _messages_send(s: Scene, chat: str, actor: Person) -> Call:
    return Call(
        "POST", s.path(chat, _messages()), {"text": "hello", "client_txn_id": secrets.token_hex(8)}
    )


async def _messages_forward_from(s: Scene, chat: str, actor: Person) -> Call:
    own = await actor.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "mine"})
    return Call(
        "POST",
        f"/api/v1/chats/{own['id']}/messages",
        {
            "client_txn_id": secrets.token_hex(8),
            "forward": {"chat_id": s.chat_ids[chat], "message_id": s.posts[chat]},
        },
    )


async def _messages_history(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, _messages()))


async def _messages_get(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, _messages(f"/{s.posts[chat]}")))


async def _messages_edit_others(s: Scene, chat: str, actor: Person) -> Call:
    return Call("PATCH", s.path(chat, _messages(f"/{s.posts[chat]}")), {"text": "hijacked"})


async def _messages_edit_own(s: Scene, chat: str, actor: Person) -> Call:
    mine = await s.post(chat, actor)
    return Call("PATCH", s.path(chat, _messages(f"/{mine}")), {"text": "corrected"})


async def _messages_delete_others(s: Scene, chat: str, actor: Person) -> Call:
    theirs = await s.post(chat, s.author(chat))
    return Call("DELETE", s.path(chat, _messages(f"/{theirs}")))


async def _messages_delete_own(s: Scene, chat: str, actor: Person) -> Call:
    mine = await s.post(chat, actor)
    return Call("DELETE", s.path(chat, _messages(f"/{mine}")))


async def _messages_edits(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, _messages(f"/{s.posts[chat]}/edits")))


async def _reactions_put(s: Scene, chat: str, actor: Person) -> Call:
    return Call("PUT", s.path(chat, _messages(f"/{s.posts[chat]}/reactions/{THUMBS_UP}")))


async def _reactions_delete(s: Scene, chat: str, actor: Person) -> Call:
    return Call("DELETE", s.path(chat, _messages(f"/{s.posts[chat]}/reactions/{THUMBS_UP}")))


def pot_body() -> dict[str, Any]:
    """A pot due in a week of the tests' fake clock."""
    return {
        "title": "A pot",
        "currency": "EUR",
        "goal_minor": 1_000,
        "deadline_at_ms": FakeClock().now_ms() + 7 * 86_400_000,
    }


async def _pots_create(s: Scene, chat: str, actor: Person) -> Call:
    return Call("POST", s.path(chat, "/pots"), pot_body())


async def _pots_list(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, "/pots"))


async def _pins_list(s: Scene, chat: str, actor: Person) -> Call:
    return Call("GET", s.path(chat, "/pins"))


async def _pins_put(s: Scene, chat: str, actor: Person) -> Call:
    fresh = await s.post(chat, s.author(chat))
    return Call("PUT", s.path(chat, f"/pins/{fresh}"))


async def _pins_delete(s: Scene, chat: str, actor: Person) -> Call:
    fresh = await s.post(chat, s.author(chat))
    await s.manager(chat).ok("PUT", s.path(chat, f"/pins/{fresh}"))
    return Call("DELETE", s.path(chat, f"/pins/{fresh}"))


PREPARE: dict[str, Prepare] = {
    "get_chat": _get_chat,
    "patch_chat": _patch_chat,
    "members_list": _members_list,
    "members_add": _members_add,
    "members_role_moderator": _members_role_moderator,
    "members_role_admin": _members_role_admin,
    "members_role_of_owner": _members_role_of_owner,
    "members_remove": _members_remove,
    "members_remove_admin": _members_remove_admin,
    "bans_list": _bans_list,
    "bans_lift": _bans_lift,
    "leave": _leave,
    "subscribe": _subscribe,
    "transfer": _transfer,
    "read": _read,
    "typing": _typing,
    "invites_create": _invites_create,
    "invites_list": _invites_list,
    "invites_revoke": _invites_revoke,
    "join_requests_list": _join_requests_list,
    "join_requests_approve": _join_requests_approve,
    "join_requests_decline": _join_requests_decline,
    "message_ttl": _message_ttl,
    "media_upload": _media_upload,
    "media_download": _media_download,
    "media_thumbnail": _media_thumbnail,
    "messages_send": _messages_send,
    "messages_forward_from": _messages_forward_from,
    "messages_history": _messages_history,
    "messages_get": _messages_get,
    "messages_edit_others": _messages_edit_others,
    "messages_edit_own": _messages_edit_own,
    "messages_delete_others": _messages_delete_others,
    "messages_delete_own": _messages_delete_own,
    "messages_edits": _messages_edits,
    "reactions_put": _reactions_put,
    "reactions_delete": _reactions_delete,
    "pots_create": _pots_create,
    "pots_list": _pots_list,
    "pins_list": _pins_list,
    "pins_put": _pins_put,
    "pins_delete": _pins_delete,
}


# Endpoints that share one cast: each leaves the cast as it found it (fresh targets, or refused),
# except the last of its batch. Building the cast is the slow part, so batches keep the file quick.
BATCHES: dict[str, tuple[str, ...]] = {
    "chat": ("get_chat", "read", "typing", "members_list", "patch_chat", "message_ttl"),
    "media": ("media_upload", "media_download", "media_thumbnail"),
    "members": (
        "members_add",
        "members_role_moderator",
        "members_role_admin",
        "members_role_of_owner",
        "members_remove",
        "members_remove_admin",
        "bans_list",
        "bans_lift",
        "transfer",
    ),
    "leave": ("leave",),
    "subscribe": ("subscribe",),
    "invites": (
        "invites_create",
        "invites_list",
        "invites_revoke",
        "join_requests_list",
        "join_requests_approve",
        "join_requests_decline",
    ),
    "messages": (
        "messages_send",
        "messages_forward_from",
        "messages_history",
        "messages_get",
        "messages_edit_others",
        "messages_edit_own",
        "messages_delete_others",
        "messages_delete_own",
        "messages_edits",
        "reactions_put",
        "reactions_delete",
        "pins_list",
        "pins_put",
        "pins_delete",
    ),
    "pots": ("pots_list", "pots_create"),
}


def test_the_table_is_complete() -> None:
    assert PREPARE.keys() == EXPECTED.keys()
    batched = [endpoint for batch in BATCHES.values() for endpoint in batch]
    assert sorted(batched) == sorted(EXPECTED)
    for endpoint, by_chat in EXPECTED.items():
        assert by_chat.keys() == ROLES.keys(), endpoint
        for chat, row in by_chat.items():
            assert len(row) == len(ROLES[chat]), (endpoint, chat)
            # The operator is nobody special in chats they are not in.
            assert row[0] == row[1], (endpoint, chat)


def _problem_issue(response: httpx.Response) -> str | None:
    """Why this refusal is not a proper problem+json of its status, or None."""
    if response.headers.get("content-type") != "application/problem+json":
        return f"content-type {response.headers.get('content-type')}"
    body = response.json()
    slug = SLUGS.get(response.status_code)
    if body.get("type") != f"https://colletta.chat/problems/{slug}":
        return f"type {body.get('type')}"
    if body.get("status") != response.status_code:
        return f"status member {body.get('status')}"
    return None


async def _check_endpoint(scene: Scene, endpoint: str) -> list[str]:
    """Call `endpoint` as every actor of every chat; what differs from EXPECTED, as text."""
    prepare = PREPARE[endpoint]
    failures: list[str] = []
    for chat, roles in ROLES.items():
        for role, expected in zip(roles, EXPECTED[endpoint][chat], strict=True):
            if expected is None:
                continue
            actor = scene.people[ACTOR[chat][role]]
            call = await prepare(scene, chat, actor)
            where = f"{endpoint} {chat} as {role}: {call.method} {call.path}"
            refused_write = expected >= 400 and call.method != "GET"
            before = await scene.snapshot(chat) if refused_write else None

            response = await actor.call(call.method, call.path, **call.kwargs)

            if response.status_code != expected:
                failures.append(
                    f"{where} -> {response.status_code}, expected {expected}: {response.text[:200]}"
                )
                continue
            if expected < 400:
                continue
            if issue := _problem_issue(response):
                failures.append(f"{where}: not a proper problem: {issue}")
            if before is not None and await scene.snapshot(chat) != before:
                failures.append(f"{where}: refused, yet the chat changed")
            if role in ("outsider", "operator") and expected == 404:
                ghost = call.replacing(scene.chat_ids[chat], GHOST_CHAT_ID)
                missing = await actor.call(ghost.method, ghost.path, **ghost.kwargs)
                if (missing.status_code, missing.json()) != (404, response.json()):
                    failures.append(
                        f"{where}: a hidden chat answers {response.json()}, "
                        f"a missing one {missing.status_code} {missing.text}"
                    )
        # Without a token nobody learns anything, whatever the chat.
        anonymous = await scene.http.request(call.method, call.path, **call.kwargs)
        if anonymous.status_code != 401:
            failures.append(f"{endpoint} {chat} without a token -> {anonymous.status_code}")
    return failures


@pytest.mark.parametrize("batch", list(BATCHES))
async def test_authorization(app: Any, http: httpx.AsyncClient, batch: str) -> None:
    scene = await build_scene(app, http)
    failures: list[str] = []
    for endpoint in BATCHES[batch]:
        failures += await _check_endpoint(scene, endpoint)
    assert not failures, "\n".join(failures)


async def test_ids_from_another_chat_do_not_reach_through(
    app: Any, http: httpx.AsyncClient
) -> None:
    """Being allowed in one chat gives no handle on another chat's messages, invites, members."""
    s = await build_scene(app, http)
    g_author, c_owner = s.people["g_author"], s.people["c_owner"]
    group_post = s.posts[GROUP]  # g_author's own message, in the group
    via_direct = s.path(DIRECT, f"/messages/{group_post}")  # g_author is in the direct chat
    for method, path, body in (
        ("GET", via_direct, None),
        ("PATCH", via_direct, {"text": "rewritten through the wrong chat"}),
        ("DELETE", via_direct, None),
        ("PUT", f"{via_direct}/reactions/{THUMBS_UP}", None),
        ("PUT", s.path(DIRECT, f"/pins/{group_post}"), None),
    ):
        response = await g_author.call(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
    edits = await s.people["g_owner"].call(
        "GET", s.path(GROUP, f"/messages/{s.posts[PUBLIC]}/edits")
    )
    assert edits.status_code == 404
    original = await g_author.ok("GET", s.path(GROUP, f"/messages/{group_post}"))
    assert (original["text"], original["deleted"], original["reactions"]) == (
        "a post, edited",
        False,
        {},
    )
    assert (await g_author.ok("GET", s.path(DIRECT, "/pins")))["messages"] == []

    reply = await g_author.call(
        "POST",
        s.path(DIRECT, "/messages"),
        json={"text": "re", "client_txn_id": "x1", "reply_to_id": group_post},
    )
    assert reply.status_code == 422

    # c_owner runs both channels; the public channel's routes must not touch the private one.
    code = await s.invite(PRIVATE)
    revoked = await c_owner.call("DELETE", s.path(PUBLIC, f"/invites/{code}"))
    assert revoked.status_code == 404
    assert (await c_owner.call("GET", f"/api/v1/invites/{code}")).status_code == 200

    applicant_code = await s.invite(PRIVATE, requires_approval=True)
    applicant = await s.stranger()
    await applicant.ok("POST", f"/api/v1/invites/{applicant_code}/join")
    approve = await c_owner.call("POST", s.path(PUBLIC, f"/join-requests/{applicant.id}/approve"))
    assert approve.status_code == 404
    assert (await applicant.call("GET", s.path(PRIVATE))).status_code == 404
    pending = await c_owner.ok("GET", s.path(PRIVATE, "/join-requests"))
    assert [r["user_id"] for r in pending["requests"]] == [applicant.id]

    only_private = await s.newcomer(PRIVATE)
    for method, suffix, body in (
        ("PATCH", f"/members/{only_private.id}", {"role": "admin"}),
        ("DELETE", f"/members/{only_private.id}", None),
        ("POST", "/transfer", {"user_id": only_private.id}),
    ):
        response = await c_owner.call(method, s.path(PUBLIC, suffix), json=body)
        assert response.status_code == 404, (method, suffix, response.text)
    public = await c_owner.ok("GET", s.path(PUBLIC))
    assert public["my_role"] == "owner"
    members = await c_owner.ok("GET", s.path(PRIVATE, "/members"))
    roles = {m["user_id"]: m["role"] for m in members["members"]}
    assert roles[only_private.id] == "member"


async def test_my_role_is_what_the_matrix_assumes(app: Any, http: httpx.AsyncClient) -> None:
    s = await build_scene(app, http)
    for chat, roles in ROLES.items():
        for role in roles:
            response = await s.people[ACTOR[chat][role]].call("GET", s.path(chat))
            if role in ("outsider", "operator"):
                expected = (200, None) if chat == PUBLIC else (404, None)
            else:
                expected = (200, "member" if role in ("subscriber", "participant") else role)
            got = (response.status_code, response.json().get("my_role"))
            assert got == expected, (chat, role, response.text)


async def test_a_removed_member_becomes_an_outsider(app: Any, http: httpx.AsyncClient) -> None:
    s = await build_scene(app, http)
    member = s.people["g_member"]
    await s.people["g_moderator"].ok("DELETE", s.path(GROUP, f"/members/{member.id}"))
    hidden = await member.call("GET", s.path(GROUP, "/messages"))
    missing = await member.call("GET", f"/api/v1/chats/{GHOST_CHAT_ID}/messages")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    listed = await member.ok("GET", "/api/v1/chats")
    assert s.chat_ids[GROUP] not in [c["id"] for c in listed["chats"]]
    sent = await member.call(
        "POST", s.path(GROUP, "/messages"), json={"text": "still here?", "client_txn_id": "late"}
    )
    assert sent.status_code == 404
