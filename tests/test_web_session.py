"""The web client's session: an HttpOnly, SameSite=Strict cookie, CSRF on every state change,
the WebSocket by cookie from the same origin only; the bearer token is unchanged."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from colletta.api.cookies import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from tests.conftest import PASSWORD, MakePerson, Person, Server, register_and_login
from tests.test_errors import assert_problem


async def web_login(http: httpx.AsyncClient, person: Person) -> tuple[httpx.Response, str]:
    response = await http.post(
        "/api/v1/auth/web-login", json={"username": person.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response, response.json()["csrf_token"]


def set_cookies(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


async def test_web_login_puts_the_session_in_an_httponly_strict_cookie(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    ann = await person()
    response, csrf = await web_login(http, ann)
    body = response.json()
    assert "token" not in body, "scripts never see the session token"
    assert body["user"]["id"] == ann.id
    cookies = set_cookies(response)
    session = cookies[SESSION_COOKIE].lower()
    assert "httponly" in session
    assert "samesite=strict" in session
    assert "path=/" in session
    assert "secure" not in session  # plain HTTP here; behind_tls adds it (below)
    readable = cookies[CSRF_COOKIE].lower()
    assert "httponly" not in readable
    assert f"{CSRF_COOKIE}={csrf}" in readable
    me = await http.get("/api/v1/me")  # the cookie alone
    assert me.status_code == 200
    assert me.json()["id"] == ann.id


@pytest.mark.settings(behind_tls=True)
async def test_cookies_are_secure_behind_tls(http: httpx.AsyncClient, person: MakePerson) -> None:
    ann = await person()
    response, _ = await web_login(http, ann)
    for header in set_cookies(response).values():
        assert "secure" in header.lower()


async def test_state_changes_by_cookie_need_the_csrf_header(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    ann = await person()
    _, csrf = await web_login(http, ann)
    create = {"kind": "group", "title": "Lisbon"}
    assert_problem(await http.post("/api/v1/chats", json=create), 403)
    bad = {CSRF_HEADER: "0" * 64}
    assert_problem(await http.post("/api/v1/chats", json=create, headers=bad), 403)
    chats = (await http.get("/api/v1/chats")).json()["chats"]
    assert chats == [], "nothing was written"
    good = {CSRF_HEADER: csrf}
    chat = await http.post("/api/v1/chats", json=create, headers=good)
    assert chat.status_code == 201, chat.text
    # Sending (which has a fast path of its own for bearer tokens) checks it too.
    path = f"/api/v1/chats/{chat.json()['id']}/messages"
    message = {"text": "hi", "client_txn_id": "t1"}
    assert_problem(await http.post(path, json=message), 403)
    sent = await http.post(path, json=message, headers=good)
    assert sent.status_code == 201, sent.text
    history = (await http.get(path)).json()["messages"]
    assert [m["text"] for m in history] == ["hi"]


async def test_another_sessions_csrf_token_does_not_pass(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    """The token is bound to the session: one taken from another account is refused."""
    ann, bob = await person(), await person()
    _, bobs_csrf = await web_login(http, bob)
    http.cookies.clear()
    await web_login(http, ann)
    http.cookies.set(CSRF_COOKIE, bobs_csrf)
    assert_problem(
        await http.patch("/api/v1/me", json={"bio": "x"}, headers={CSRF_HEADER: bobs_csrf}), 403
    )


async def test_bearer_tokens_work_as_before_without_csrf(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    ann = await person()
    bob = await register_and_login(http)
    await web_login(http, bob)  # a cookie of someone else rides along: the bearer wins
    chat = await ann.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "SDK"})
    await ann.ok(
        "POST", f"/api/v1/chats/{chat['id']}/messages", json={"text": "x", "client_txn_id": "a"}
    )
    assert (await ann.ok("GET", "/api/v1/me"))["id"] == ann.id


async def test_logout_by_cookie_clears_it_and_ends_the_session(
    http: httpx.AsyncClient, person: MakePerson
) -> None:
    ann = await person()
    _, csrf = await web_login(http, ann)
    assert_problem(await http.post("/api/v1/auth/logout"), 403)
    response = await http.post("/api/v1/auth/logout", headers={CSRF_HEADER: csrf})
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert "max-age=0" in cleared[SESSION_COOKIE].lower()
    assert_problem(await http.get("/api/v1/me"), 401)


async def _first_frame(server: Server, headers: dict[str, str]) -> dict[str, object] | int:
    """The server's answer to a token-less auth frame: `ready`, or the close code."""
    async with connect(server.ws_url, additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "auth", "cursors": {}}))
        try:
            frame: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else -1
        return frame


async def test_websocket_by_cookie_from_the_same_origin_only(
    server: Server, server_http: httpx.AsyncClient, server_person: MakePerson
) -> None:
    ann = await server_person()
    await web_login(server_http, ann)
    cookie = f"{SESSION_COOKIE}={server_http.cookies[SESSION_COOKIE]}"
    ready = await _first_frame(server, {"Cookie": cookie, "Origin": server.url})
    assert isinstance(ready, dict)
    assert ready["type"] == "ready"
    assert ready["user_id"] == ann.id
    # Another site's page cannot ride on the cookie (cross-site WebSocket hijacking).
    other = await _first_frame(server, {"Cookie": cookie, "Origin": "http://evil.test"})
    assert other == 4401
    assert await _first_frame(server, {"Cookie": cookie}) == 4401
    assert await _first_frame(server, {"Origin": server.url}) == 4401
