"""Every route of the OpenAPI document has a row of the authorization matrix: a chat route names
its rows of `test_authz_matrix.EXPECTED`; any other route has a check of its own here, as its
owner, as an outsider (another logged-in user) and anonymously. A route without a row fails
`test_every_route_of_the_document_has_a_row`."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import PASSWORD, Person, register_and_login
from tests.test_authz_matrix import EXPECTED, THUMBS_UP, pot_body

# Every operation of the OpenAPI document has a row here, so a new route cannot ship without
# one: a chat route names its rows of EXPECTED (every role of every kind of chat, the outsider
# and the anonymous caller); any other route has a check of its own below (its owner, an
# outsider, i.e. another logged-in user, and the anonymous caller).
CHAT_ROUTES: dict[str, tuple[str, ...]] = {
    "GET /api/v1/chats/{chat_id}": ("get_chat",),
    "PATCH /api/v1/chats/{chat_id}": ("patch_chat",),
    "PUT /api/v1/chats/{chat_id}/message-ttl": ("message_ttl",),
    "GET /api/v1/chats/{chat_id}/members": ("members_list",),
    "POST /api/v1/chats/{chat_id}/members": ("members_add",),
    "PATCH /api/v1/chats/{chat_id}/members/{user_id}": (
        "members_role_moderator",
        "members_role_admin",
        "members_role_of_owner",
    ),
    "DELETE /api/v1/chats/{chat_id}/members/{user_id}": ("members_remove", "members_remove_admin"),
    "POST /api/v1/chats/{chat_id}/leave": ("leave",),
    "POST /api/v1/chats/{chat_id}/subscribe": ("subscribe",),
    "POST /api/v1/chats/{chat_id}/transfer": ("transfer",),
    "POST /api/v1/chats/{chat_id}/read": ("read",),
    "POST /api/v1/chats/{chat_id}/typing": ("typing",),
    "POST /api/v1/chats/{chat_id}/media": ("media_upload",),
    "GET /api/v1/chats/{chat_id}/media/{media_id}": ("media_download",),
    "GET /api/v1/chats/{chat_id}/media/{media_id}/thumbnail": ("media_thumbnail",),
    "POST /api/v1/chats/{chat_id}/invites": ("invites_create",),
    "GET /api/v1/chats/{chat_id}/invites": ("invites_list",),
    "DELETE /api/v1/chats/{chat_id}/invites/{code}": ("invites_revoke",),
    "GET /api/v1/chats/{chat_id}/join-requests": ("join_requests_list",),
    "POST /api/v1/chats/{chat_id}/join-requests/{user_id}/approve": ("join_requests_approve",),
    "POST /api/v1/chats/{chat_id}/join-requests/{user_id}/decline": ("join_requests_decline",),
    "POST /api/v1/chats/{chat_id}/messages": ("messages_send", "messages_forward_from"),
    "GET /api/v1/chats/{chat_id}/messages": ("messages_history",),
    "GET /api/v1/chats/{chat_id}/messages/{message_id}": ("messages_get",),
    "PATCH /api/v1/chats/{chat_id}/messages/{message_id}": (
        "messages_edit_others",
        "messages_edit_own",
    ),
    "DELETE /api/v1/chats/{chat_id}/messages/{message_id}": (
        "messages_delete_others",
        "messages_delete_own",
    ),
    "GET /api/v1/chats/{chat_id}/messages/{message_id}/edits": ("messages_edits",),
    "PUT /api/v1/chats/{chat_id}/messages/{message_id}/reactions/{emoji}": ("reactions_put",),
    "DELETE /api/v1/chats/{chat_id}/messages/{message_id}/reactions/{emoji}": ("reactions_delete",),
    "GET /api/v1/chats/{chat_id}/pins": ("pins_list",),
    "PUT /api/v1/chats/{chat_id}/pins/{message_id}": ("pins_put",),
    "DELETE /api/v1/chats/{chat_id}/pins/{message_id}": ("pins_delete",),
    "GET /api/v1/chats/{chat_id}/bans": ("bans_list",),
    "DELETE /api/v1/chats/{chat_id}/bans/{user_id}": ("bans_lift",),
    "POST /api/v1/chats/{chat_id}/pots": ("pots_create",),
    "GET /api/v1/chats/{chat_id}/pots": ("pots_list",),
}
# Open to anyone: checked in PERSONAL like the rest, but an anonymous call succeeds.
# Payment providers call the webhook route with no token: their signature over the body is
# the authentication (a body without it gets 400 and changes nothing; tests/payments).
# The sandbox's checkout page (/pay/sandbox/{token}) is not in the document: a page for the
# payer's browser whose token is the capability, like a provider's; tests/payments checks it.
OPEN_ROUTES = {
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/web-login",
    "GET /api/v1/health",
    # How the server takes payments (the provider, Stripe's publishable key): nothing secret.
    "GET /api/v1/payments/config",
    "POST /api/v1/payments/webhooks/{provider}",
    # A suspended or banned user's complaint: the password is the authentication.
    "POST /api/v1/complaints/restricted",
}


@dataclass
class Own:
    """An owner with a second session, their private group with an invite, and an outsider."""

    http: httpx.AsyncClient
    owner: Person
    second: Person  # the owner on another device
    second_session_id: str
    outsider: Person
    group_id: str
    code: str
    pot_id: str


async def build_own(http: httpx.AsyncClient) -> Own:
    owner, outsider = await register_and_login(http), await register_and_login(http)
    login = await http.post(
        "/api/v1/auth/login", json={"username": owner.username, "password": PASSWORD}
    )
    second = Person(owner.id, owner.username, login.json()["token"], http)
    group = await owner.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Owner's"})
    await owner.ok(
        "POST", f"/api/v1/chats/{group['id']}/messages", json={"text": "x", "client_txn_id": "o1"}
    )
    invite = await owner.ok("POST", f"/api/v1/chats/{group['id']}/invites", json={})
    pot = await owner.ok("POST", f"/api/v1/chats/{group['id']}/pots", json=pot_body())
    return Own(
        http,
        owner,
        second,
        login.json()["session_id"],
        outsider,
        group["id"],
        invite["code"],
        pot["id"],
    )


def _expect(failures: list[str], what: str, response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        failures.append(f"{what}: {response.status_code}, expected {status}: {response.text[:200]}")


async def _still_in(o: Own, failures: list[str], what: str) -> None:
    """The owner's two sessions, profile and chats are as they were."""
    for session in (o.owner, o.second):
        _expect(failures, f"{what}: owner's session", await session.call("GET", "/api/v1/me"), 200)
    me = await o.owner.ok("GET", "/api/v1/me")
    if me["display_name"] != o.owner.username:
        failures.append(f"{what}: the owner's profile changed: {me}")
    chat = await o.owner.call("GET", f"/api/v1/chats/{o.group_id}")
    if chat.status_code != 200 or chat.json()["member_count"] != 1:
        failures.append(f"{what}: the owner's group changed: {chat.text[:200]}")


async def _register(o: Own, f: list[str]) -> None:
    taken = {"username": o.owner.username, "password": "someone else's"}
    _expect(
        f,
        "outsider registers the owner's name",
        await o.outsider.call("POST", "/api/v1/auth/register", json=taken),
        409,
    )
    fresh = {"username": f"n{secrets.token_hex(5)}", "password": PASSWORD}
    _expect(f, "anonymous registers", await o.http.post("/api/v1/auth/register", json=fresh), 201)


async def _check_login(o: Own, f: list[str], path: str) -> None:
    guess = {"username": o.owner.username, "password": "not the password"}
    _expect(f, "outsider guesses", await o.outsider.call("POST", path, json=guess), 401)
    right = {"username": o.owner.username, "password": PASSWORD}
    _expect(f, "anonymous with the password", await o.http.post(path, json=right), 200)


async def _login(o: Own, f: list[str]) -> None:
    await _check_login(o, f, "/api/v1/auth/login")


async def _web_login(o: Own, f: list[str]) -> None:
    await _check_login(o, f, "/api/v1/auth/web-login")
    o.http.cookies.clear()  # the shared client stays anonymous


async def _health(o: Own, f: list[str]) -> None:
    _expect(f, "anonymous", await o.http.get("/api/v1/health"), 200)


async def _payment_config(o: Own, f: list[str]) -> None:
    response = await o.http.get("/api/v1/payments/config")
    _expect(f, "anonymous", response, 200)
    if response.status_code == 200 and response.json() != {"provider": "sandbox", "stripe": None}:
        f.append(f"anonymous: payment config {response.json()}")


async def _logout(o: Own, f: list[str]) -> None:
    login = await o.http.post(
        "/api/v1/auth/login", json={"username": o.outsider.username, "password": PASSWORD}
    )
    spare = Person(o.outsider.id, o.outsider.username, login.json()["token"], o.http)
    _expect(f, "outsider logs out", await spare.call("POST", "/api/v1/auth/logout"), 204)


async def _password(o: Own, f: list[str]) -> None:
    body = {"old_password": PASSWORD, "new_password": "the outsider's new one"}
    # The outsider's own old password is the same test password: this changes only theirs.
    _expect(
        f,
        "outsider changes theirs",
        await o.outsider.call("POST", "/api/v1/auth/password", json=body),
        204,
    )
    back = {"old_password": body["new_password"], "new_password": PASSWORD}
    await o.outsider.ok("POST", "/api/v1/auth/password", json=back)
    owner_login = {"username": o.owner.username, "password": PASSWORD}
    _expect(
        f,
        "owner's password unchanged",
        await o.http.post("/api/v1/auth/login", json=owner_login),
        200,
    )


async def _sessions(o: Own, f: list[str]) -> None:
    theirs = await o.outsider.ok("GET", "/api/v1/sessions")
    if o.second_session_id in [s["id"] for s in theirs["sessions"]]:
        f.append("the outsider lists the owner's session")
    mine = await o.owner.ok("GET", "/api/v1/sessions")
    if o.second_session_id not in [s["id"] for s in mine["sessions"]]:
        f.append("the owner does not list their own session")


async def _revoke_session(o: Own, f: list[str]) -> None:
    path = f"/api/v1/sessions/{o.second_session_id}"
    _expect(f, "outsider revokes the owner's session", await o.outsider.call("DELETE", path), 404)
    _expect(f, "the owner's session after that", await o.second.call("GET", "/api/v1/me"), 200)


async def _me(o: Own, f: list[str]) -> None:
    me = await o.outsider.ok("GET", "/api/v1/me")
    if me["id"] != o.outsider.id:
        f.append(f"the outsider's /me is {me}")


async def _update_me(o: Own, f: list[str]) -> None:
    body = {"display_name": "Not The Owner"}
    _expect(
        f, "outsider edits theirs", await o.outsider.call("PATCH", "/api/v1/me", json=body), 200
    )


async def _users(o: Own, f: list[str]) -> None:
    found = await o.outsider.ok("GET", f"/api/v1/users?prefix={o.owner.username}")
    if [u["id"] for u in found["users"]] != [o.owner.id]:
        f.append(f"user search as the outsider: {found}")


async def _direct(o: Own, f: list[str]) -> None:
    chat = await o.outsider.ok("POST", "/api/v1/chats/direct", json={"user_id": o.owner.id})
    if chat["id"] == o.group_id or chat["kind"] != "direct":
        f.append(f"the outsider's direct chat is {chat}")


async def _create_chat(o: Own, f: list[str]) -> None:
    body = {"kind": "group", "title": "Outsider's"}
    _expect(f, "outsider creates", await o.outsider.call("POST", "/api/v1/chats", json=body), 201)


async def _list_chats(o: Own, f: list[str]) -> None:
    listed = await o.outsider.ok("GET", "/api/v1/chats")
    if o.group_id in [c["id"] for c in listed["chats"]]:
        f.append("the outsider lists the owner's private group")


async def _public_chats(o: Own, f: list[str]) -> None:
    listed = await o.outsider.ok("GET", "/api/v1/chats/public")
    if o.group_id in [c["id"] for c in listed["chats"]]:
        f.append("the owner's private group is listed as public")


async def _invite_info(o: Own, f: list[str]) -> None:
    # The code is the capability: whoever holds it may look; a code nobody made names nothing.
    _expect(
        f, "outsider with the code", await o.outsider.call("GET", f"/api/v1/invites/{o.code}"), 200
    )
    _expect(f, "outsider guessing", await o.outsider.call("GET", "/api/v1/invites/guessed"), 404)


async def _join(o: Own, f: list[str]) -> None:
    _expect(
        f, "outsider guessing", await o.outsider.call("POST", "/api/v1/invites/guessed/join"), 404
    )


async def _sync(o: Own, f: list[str]) -> None:
    got = await o.outsider.ok("GET", f"/api/v1/sync?cursors={o.group_id}:0")
    if any(event.get("chat_id") == o.group_id for event in got["events"]):
        f.append(f"sync gives the outsider the owner's events: {got}")


async def _outsider_gets_no_pot(o: Own, f: list[str], method: str, suffix: str, body: Any) -> None:
    """A pot of a private group: the outsider gets the answer of a pot that does not exist,
    and the pot stays as it was."""
    before = await o.owner.ok("GET", f"/api/v1/pots/{o.pot_id}")
    got = await o.outsider.call(method, f"/api/v1/pots/{o.pot_id}{suffix}", json=body)
    _expect(f, f"outsider {method} pot{suffix}", got, 404)
    if await o.owner.ok("GET", f"/api/v1/pots/{o.pot_id}") != before:
        f.append(f"outsider {method} pot{suffix} changed the pot")


async def _pot(o: Own, f: list[str]) -> None:
    await _outsider_gets_no_pot(o, f, "GET", "", None)


async def _pot_patch(o: Own, f: list[str]) -> None:
    await _outsider_gets_no_pot(o, f, "PATCH", "", {"title": "Mine now"})


async def _pot_option_vote(o: Own, f: list[str]) -> None:
    await _outsider_gets_no_pot(o, f, "POST", "/option-votes", {"option_id": o.pot_id})


async def _pot_contribute(o: Own, f: list[str]) -> None:
    body = {"client_id": "x", "amount_minor": 100, "currency": "EUR"}
    await _outsider_gets_no_pot(o, f, "POST", "/contributions", body)


async def _pot_contributions(o: Own, f: list[str]) -> None:
    await _outsider_gets_no_pot(o, f, "GET", "/contributions", None)


async def _contribution(o: Own, f: list[str]) -> None:
    # Only one's own contributions are readable by id.
    got = await o.outsider.call("GET", f"/api/v1/contributions/{o.pot_id}")
    _expect(f, "outsider reads a contribution", got, 404)


async def _webhook(o: Own, f: list[str]) -> None:
    # Anyone may call it; without the provider's signature nothing is accepted.
    path = "/api/v1/payments/webhooks/sandbox"
    forged = {"id": "evt_1", "type": "payment.succeeded", "data": {"object": {}}}
    _expect(f, "outsider, unsigned", await o.outsider.call("POST", path, json=forged), 400)
    _expect(f, "anonymous, unsigned", await o.http.post(path, json=forged), 400)


async def _pot_propose(o: Own, f: list[str]) -> None:
    body = {"client_id": "x", "title": "Mine", "amount_minor": 100, "payee": "Me"}
    await _outsider_gets_no_pot(o, f, "POST", "/proposals", body)


async def _pot_proposals(o: Own, f: list[str]) -> None:
    await _outsider_gets_no_pot(o, f, "GET", "/proposals", None)


async def _pot_my_share(o: Own, f: list[str]) -> None:
    await _outsider_gets_no_pot(o, f, "GET", "/my-share", None)


async def _proposal(o: Own, f: list[str]) -> None:
    # tests/pots/test_proposals.py: an outsider gets 404 for a real proposal too.
    got = await o.outsider.call("GET", f"/api/v1/proposals/{o.pot_id}")
    _expect(f, "outsider reads a proposal", got, 404)


def _receipt(suffix: str) -> Check:
    async def check(o: Own, f: list[str]) -> None:
        # tests/pots/test_proposals.py: members read a real receipt; an outsider never does.
        got = await o.outsider.call("GET", f"/api/v1/proposals/{o.pot_id}/receipt{suffix}")
        _expect(f, f"outsider reads a receipt{suffix}", got, 404)

    return check


async def _proposal_vote(o: Own, f: list[str]) -> None:
    got = await o.outsider.call(
        "POST", f"/api/v1/proposals/{o.pot_id}/votes", json={"approve": True}
    )
    _expect(f, "outsider votes on a proposal", got, 404)


async def _report(o: Own, f: list[str]) -> None:
    # The owner's private group and its message are not there for the outsider.
    body = {
        "subject": "message",
        "subject_id": o.group_id,
        "chat_id": o.group_id,
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    }
    _expect(
        f,
        "outsider reports a hidden message",
        await o.outsider.call("POST", "/api/v1/reports", json=body),
        404,
    )
    pot = {**body, "subject": "pot", "subject_id": o.pot_id, "chat_id": None}
    _expect(
        f,
        "outsider reports a hidden pot",
        await o.outsider.call("POST", "/api/v1/reports", json=pot),
        404,
    )


async def _file_complaint(o: Own, f: list[str]) -> None:
    # tests/moderation/test_appeals.py: another's real statement answers 404 too.
    path = f"/api/v1/statements/{o.pot_id}/complaints"
    got = await o.outsider.call("POST", path, json={"text": "not mine"})
    _expect(f, "outsider complains against a statement not theirs", got, 404)


async def _restricted_complaint(o: Own, f: list[str]) -> None:
    body = {
        "username": o.owner.username,
        "password": "not the password",
        "statement_id": o.pot_id,
        "text": "x",
    }
    _expect(
        f,
        "outsider guesses",
        await o.outsider.call("POST", "/api/v1/complaints/restricted", json=body),
        401,
    )
    right = {**body, "password": PASSWORD}
    _expect(
        f,
        "anonymous, a statement not theirs",
        await o.http.post("/api/v1/complaints/restricted", json=right),
        404,
    )


async def _my_complaints(o: Own, f: list[str]) -> None:
    if (await o.outsider.ok("GET", "/api/v1/me/complaints"))["complaints"] != []:
        f.append("the outsider lists complaints")


async def _owner_blocks_someone(o: Own) -> Person:
    third = await register_and_login(o.http)
    await o.owner.ok("POST", f"/api/v1/me/blocks/{third.id}")
    return third


async def _owner_still_blocks(o: Own, f: list[str], third: Person, what: str) -> None:
    listed = await o.owner.ok("GET", "/api/v1/me/blocks")
    if [b["user_id"] for b in listed["blocks"]] != [third.id]:
        f.append(f"{what}: the owner's blocks changed: {listed}")
    await o.owner.ok("DELETE", f"/api/v1/me/blocks/{third.id}")


async def _blocks(o: Own, f: list[str]) -> None:
    third = await _owner_blocks_someone(o)
    theirs = await o.outsider.ok("GET", "/api/v1/me/blocks")
    if theirs["blocks"]:
        f.append(f"the outsider lists blocks not theirs: {theirs}")
    await _owner_still_blocks(o, f, third, "outsider lists")


async def _block(o: Own, f: list[str]) -> None:
    # The outsider's block is theirs: the owner is not told, and their list is unchanged.
    third = await _owner_blocks_someone(o)
    path = f"/api/v1/me/blocks/{o.owner.id}"
    _expect(f, "outsider blocks the owner", await o.outsider.call("POST", path), 200)
    await _owner_still_blocks(o, f, third, "outsider blocks")
    await o.outsider.ok("DELETE", path)


async def _unblock(o: Own, f: list[str]) -> None:
    third = await _owner_blocks_someone(o)
    path = f"/api/v1/me/blocks/{third.id}"
    _expect(
        f, "outsider unblocks whom the owner blocks", await o.outsider.call("DELETE", path), 204
    )
    await _owner_still_blocks(o, f, third, "outsider unblocks")


def _operator_route(method: str, path: str, body: dict[str, Any] | None = None) -> Check:
    """An operator's route (removal orders, preservation, transparency): it does not exist
    for anyone else, even with a well-formed body, and nothing is registered."""

    async def check(o: Own, f: list[str]) -> None:
        real = path.replace("{id}", o.pot_id)
        got = await o.outsider.call(method, real, json=body)
        _expect(f, f"outsider {method} {path}", got, 404)
        owner_message = await o.owner.ok("GET", f"/api/v1/chats/{o.group_id}/messages")
        if [m["text"] for m in owner_message["messages"]] != ["x"]:
            f.append(f"outsider {method} {path} touched the owner's group")

    return check


_ORDER = {
    "authority": "Not an authority",
    "reference": "1",
    "reasons": "none",
    "items": ["message:1"],
    "received_at_ms": 0,
}


def _pot_route(method: str, action: str, body: dict[str, Any] | None = None) -> Check:
    """A pot route as the outsider: the owner's pot is not there, and it stays as it was."""

    async def check(o: Own, f: list[str]) -> None:
        await _outsider_gets_no_pot(o, f, method, f"/{action}", body)

    return check


Check = Callable[[Own, list[str]], Awaitable[None]]


async def _owners_statement(o: Own) -> str:
    """A statement of reasons sent to the owner: their pot for weapons was refused."""
    body = {**pot_body(), "title": "Rifles and ammunition for the brigade"}
    refused = await o.owner.call("POST", f"/api/v1/chats/{o.group_id}/pots", json=body)
    assert refused.status_code == 403, refused.text
    statements = (await o.owner.ok("GET", "/api/v1/me/statements"))["statements"]
    return str(statements[0]["id"])


def _my_inbox(name: str) -> Check:
    async def check(o: Own, f: list[str]) -> None:
        await _owners_statement(o)
        mine = await o.outsider.call("GET", f"/api/v1/me/{name}")
        _expect(f, f"outsider's own {name}", mine, 200)
        if mine.status_code == 200 and mine.json()[name]:
            f.append(f"the outsider sees {name} of someone else: {mine.text[:200]}")

    return check


async def _statement(o: Own, f: list[str]) -> None:
    statement_id = await _owners_statement(o)
    path = f"/api/v1/statements/{statement_id}"
    _expect(f, "outsider reads the owner's statement", await o.outsider.call("GET", path), 404)
    _expect(f, "the owner reads it", await o.owner.call("GET", path), 200)


def _mod_only(method: str, path: str, body: dict[str, Any] | None = None) -> Check:
    """A moderators' route: a user who is not one finds nothing there."""

    async def check(o: Own, f: list[str]) -> None:
        response = await o.outsider.call(method, path, json=body)
        _expect(f, f"a non-moderator calls {path}", response, 404)

    return check


PERSONAL: dict[str, Check] = {
    "POST /api/v1/auth/register": _register,
    "POST /api/v1/auth/login": _login,
    "POST /api/v1/auth/web-login": _web_login,
    "GET /api/v1/health": _health,
    "GET /api/v1/payments/config": _payment_config,
    "POST /api/v1/auth/logout": _logout,
    "POST /api/v1/auth/password": _password,
    "GET /api/v1/sessions": _sessions,
    "DELETE /api/v1/sessions/{session_id}": _revoke_session,
    "GET /api/v1/me": _me,
    "PATCH /api/v1/me": _update_me,
    "GET /api/v1/users": _users,
    "POST /api/v1/chats/direct": _direct,
    "POST /api/v1/chats": _create_chat,
    "GET /api/v1/chats": _list_chats,
    "GET /api/v1/chats/public": _public_chats,
    "GET /api/v1/invites/{code}": _invite_info,
    "POST /api/v1/invites/{code}/join": _join,
    "GET /api/v1/sync": _sync,
    "GET /api/v1/me/blocks": _blocks,
    "POST /api/v1/me/blocks/{user_id}": _block,
    "DELETE /api/v1/me/blocks/{user_id}": _unblock,
    "GET /api/v1/pots/{pot_id}": _pot,
    "PATCH /api/v1/pots/{pot_id}": _pot_patch,
    "POST /api/v1/pots/{pot_id}/option-votes": _pot_option_vote,
    "POST /api/v1/pots/{pot_id}/contributions": _pot_contribute,
    "GET /api/v1/pots/{pot_id}/contributions": _pot_contributions,
    "GET /api/v1/contributions/{contribution_id}": _contribution,
    "POST /api/v1/payments/webhooks/{provider}": _webhook,
    "POST /api/v1/pots/{pot_id}/proposals": _pot_propose,
    "GET /api/v1/pots/{pot_id}/proposals": _pot_proposals,
    "GET /api/v1/pots/{pot_id}/my-share": _pot_my_share,
    "GET /api/v1/proposals/{proposal_id}": _proposal,
    "POST /api/v1/proposals/{proposal_id}/votes": _proposal_vote,
    "GET /api/v1/proposals/{proposal_id}/receipt": _receipt(""),
    "GET /api/v1/proposals/{proposal_id}/receipt/thumbnail": _receipt("/thumbnail"),
    "POST /api/v1/pots/{pot_id}/freeze": _pot_route("POST", "freeze", {"reason": "mine now"}),
    "POST /api/v1/pots/{pot_id}/unfreeze": _pot_route("POST", "unfreeze"),
    "POST /api/v1/pots/{pot_id}/refund-all": _pot_route("POST", "refund-all"),
    "POST /api/v1/pots/{pot_id}/close": _pot_route("POST", "close"),
    "POST /api/v1/pots/{pot_id}/finish": _pot_route("POST", "finish"),
    "GET /api/v1/pots/{pot_id}/ledger": _pot_route("GET", "ledger"),
    "GET /api/v1/pots/{pot_id}/ledger.csv": _pot_route("GET", "ledger.csv"),
    "GET /api/v1/banks": _mod_only("GET", "/api/v1/banks"),
    "POST /api/v1/banks": _mod_only("POST", "/api/v1/banks", {"name": "mine"}),
    "POST /api/v1/banks/{bank_id}/enable": _mod_only("POST", "/api/v1/banks/1/enable"),
    "POST /api/v1/banks/{bank_id}/disable": _mod_only("POST", "/api/v1/banks/1/disable"),
    "GET /api/v1/banks/{bank_id}/entries": _mod_only("GET", "/api/v1/banks/1/entries"),
    "POST /api/v1/banks/{bank_id}/entries": _mod_only(
        "POST", "/api/v1/banks/1/entries", {"signal_type": "md5", "value": "0" * 32}
    ),
    "POST /api/v1/banks/{bank_id}/import": _mod_only("POST", "/api/v1/banks/1/import?format=csv"),
    "POST /api/v1/bank-entries/{entry_id}/disable": _mod_only(
        "POST", "/api/v1/bank-entries/1/disable"
    ),
    "POST /api/v1/bank-entries/{entry_id}/enable": _mod_only(
        "POST", "/api/v1/bank-entries/1/enable"
    ),
    "POST /api/v1/orders": _operator_route("POST", "/api/v1/orders", _ORDER),
    "GET /api/v1/orders": _operator_route("GET", "/api/v1/orders"),
    "GET /api/v1/orders/{order_id}": _operator_route("GET", "/api/v1/orders/{id}"),
    "GET /api/v1/orders/{order_id}/confirmation": _operator_route(
        "GET", "/api/v1/orders/{id}/confirmation"
    ),
    "POST /api/v1/orders/{order_id}/secrecy": _operator_route(
        "POST", "/api/v1/orders/{id}/secrecy", {"until_ms": 2**52}
    ),
    "GET /api/v1/preserved": _operator_route("GET", "/api/v1/preserved"),
    "GET /api/v1/transparency": _operator_route("GET", "/api/v1/transparency?from_ms=0&to_ms=9"),
    "POST /api/v1/preserved/{preserved_id}/extend": _operator_route(
        "POST", "/api/v1/preserved/{id}/extend", {"until_ms": 2**52}
    ),
    "GET /api/v1/me/notices": _my_inbox("notices"),
    "GET /api/v1/me/statements": _my_inbox("statements"),
    "GET /api/v1/statements/{statement_id}": _statement,
    "GET /api/v1/mod/audit": _mod_only("GET", "/api/v1/mod/audit"),
    "POST /api/v1/reports": _report,
    "GET /api/v1/mod/queue": _mod_only("GET", "/api/v1/mod/queue"),
    "GET /api/v1/mod/cases/{case_id}": _mod_only("GET", "/api/v1/mod/cases/1234567"),
    "POST /api/v1/mod/cases/{case_id}/actions": _mod_only(
        "POST", "/api/v1/mod/cases/1234567/actions", {"action": "ban", "reason": "x"}
    ),
    "POST /api/v1/statements/{statement_id}/complaints": _file_complaint,
    "GET /api/v1/me/complaints": _my_complaints,
    "POST /api/v1/complaints/restricted": _restricted_complaint,
}


async def _operations(http: httpx.AsyncClient) -> list[str]:
    document = (await http.get("/api/openapi.json")).json()
    return [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


async def test_every_route_of_the_document_has_a_row(http: httpx.AsyncClient) -> None:
    operations = await _operations(http)
    assert len(operations) >= 49
    rows = CHAT_ROUTES.keys() | PERSONAL.keys()
    assert sorted(set(operations) - rows) == [], "routes without a row in the matrix"
    assert sorted(rows - set(operations)) == [], "rows for routes that do not exist"
    assert not CHAT_ROUTES.keys() & PERSONAL.keys()
    assert {e for endpoints in CHAT_ROUTES.values() for e in endpoints} == EXPECTED.keys()


async def test_anonymous_callers_get_401_on_every_route(app: Any, http: httpx.AsyncClient) -> None:
    """Straight from the document: whatever the route, no token is no answer but 401."""
    own = await build_own(http)
    values = {
        "chat_id": own.group_id,
        "message_id": own.group_id,
        "media_id": own.group_id,
        "user_id": own.owner.id,
        "session_id": own.second_session_id,
        "code": own.code,
        "emoji": THUMBS_UP,
        "pot_id": own.pot_id,
        "contribution_id": own.pot_id,
        "proposal_id": own.pot_id,
        "bank_id": own.pot_id,
        "entry_id": own.pot_id,
        "case_id": own.pot_id,
        "order_id": own.pot_id,
        "preserved_id": own.pot_id,
        "statement_id": own.pot_id,
    }
    failures = []
    for operation in await _operations(http):
        if operation in OPEN_ROUTES:
            continue
        method, template = operation.split(" ")
        path = re.sub(r"\{(\w+)\}", lambda m: values[m[1]], template)
        response = await http.request(method, path, json={})
        if response.status_code != 401 or response.json()["status"] != 401:
            failures.append(f"{operation} without a token -> {response.status_code}")
    assert not failures, "\n".join(failures)
    await _still_in(own, failures, "after the anonymous calls")
    assert not failures, "\n".join(failures)


async def test_an_outsider_reaches_nothing_of_anothers_own(
    app: Any, http: httpx.AsyncClient
) -> None:
    """Routes about one's own account, chats list, invites and sync, as another logged-in
    user: they act on their own things only, and the owner's stay as they were."""
    own = await build_own(http)
    failures: list[str] = []
    for operation in await _operations(http):
        if operation in CHAT_ROUTES:
            continue  # test_authorization
        await PERSONAL[operation](own, failures)
        await _still_in(own, failures, operation)
    assert not failures, "\n".join(failures)
