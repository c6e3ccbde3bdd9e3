"""Every piece of text a client sends meets one rule (domain/text.py): NUL, other control
characters and lone surrogates are refused as invalid input, on SQLite and PostgreSQL alike
(PostgreSQL cannot store NUL, so a field that let one through answered 500 there), and a
refused value changes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from tests.conftest import PASSWORD, MakePerson, Person

BASE = "https://colletta.chat/problems/"
# JSON escapes, so the body itself is valid UTF-8 JSON that decodes to the bad character.
BAD = {"nul": "\\u0000", "escape": "\\u001b", "c1": "\\u009b", "surrogate": "\\ud800"}


def _raw_body(body: dict[str, Any], bad: str) -> bytes:
    """The body as JSON, with each `{bad}` in its strings replaced by the escape."""
    return orjson.dumps(body).decode().replace("{bad}", bad).encode()


async def _state(owner: Person, chat_id: str) -> dict[str, Any]:
    return {
        "me": await owner.ok("GET", "/api/v1/me"),
        "chat": await owner.ok("GET", f"/api/v1/chats/{chat_id}"),
        "history": await owner.ok("GET", f"/api/v1/chats/{chat_id}/messages"),
        "chats": await owner.ok("GET", "/api/v1/chats"),
        "sessions": len((await owner.ok("GET", "/api/v1/sessions"))["sessions"]),
    }


def _assert_invalid(response: httpx.Response, what: str) -> None:
    assert response.status_code == 422, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", what
    assert response.json()["type"] == BASE + "invalid_input", what


@pytest.mark.parametrize("kind", list(BAD))
async def test_bad_characters_are_refused_in_every_text_field(
    person: MakePerson, http: httpx.AsyncClient, kind: str
) -> None:
    owner = await person()
    chat = await owner.ok("POST", "/api/v1/chats", json={"kind": "group", "title": "Room"})
    chat_id = chat["id"]
    path = f"/api/v1/chats/{chat_id}"
    message = await owner.ok(
        "POST", f"{path}/messages", json={"text": "hello", "client_txn_id": "m1"}
    )
    fresh = {"username": f"fresh_{kind}", "password": PASSWORD}
    json_cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/v1/chats", {"kind": "group", "title": "a{bad}b"}),
        ("POST", "/api/v1/chats", {"kind": "channel", "title": "t", "description": "a{bad}b"}),
        ("PATCH", path, {"title": "a{bad}b"}),
        ("PATCH", path, {"description": "a{bad}b"}),
        ("PATCH", "/api/v1/me", {"bio": "a{bad}b"}),
        ("PATCH", "/api/v1/me", {"display_name": "a{bad}b"}),
        ("POST", "/api/v1/auth/register", {**fresh, "display_name": "a{bad}b"}),
        (
            "POST",
            "/api/v1/auth/login",
            {"username": owner.username, "password": PASSWORD, "device_name": "a{bad}b"},
        ),
        ("POST", f"{path}/messages", {"text": "a{bad}b", "client_txn_id": "m2"}),
        ("PATCH", f"{path}/messages/{message['id']}", {"text": "a{bad}b"}),
    ]
    before = await _state(owner, chat_id)
    for method, where, template in json_cases:
        response = await owner.call(
            method,
            where,
            content=_raw_body(template, BAD[kind]),
            headers={"content-type": "application/json"},
        )
        _assert_invalid(response, f"{method} {where} {template}")
    # Names that cannot exist are not looked up: a login is refused like any wrong name
    # (a lone surrogate is no string at all to the body's model: a wrong value).
    login = await http.post(
        "/api/v1/auth/login",
        content=_raw_body({"username": "a{bad}b", "password": PASSWORD}, BAD[kind]),
        headers={"content-type": "application/json"},
    )
    assert login.status_code == (422 if kind == "surrogate" else 401), login.text
    # Text in the URL: percent-encoded UTF-8 of the same character (a surrogate has none).
    if kind != "surrogate":
        char = {"nul": "\x00", "escape": "\x1b", "c1": "\x9b"}[kind]
        bad = quote("a" + char + "b")
        for method, where in (
            ("PUT", f"{path}/messages/{message['id']}/reactions/{bad}"),
            ("GET", f"/api/v1/users?prefix={bad}"),
            ("GET", f"/api/v1/chats/public?prefix={bad}"),
            ("GET", f"/api/v1/invites/{bad}"),
        ):
            _assert_invalid(await owner.call(method, where), f"{method} {where}")
    assert await _state(owner, chat_id) == before
    registered = await http.post(
        "/api/v1/auth/login", json={"username": f"fresh_{kind}", "password": PASSWORD}
    )
    assert registered.status_code == 401  # the refused registration made no account


async def test_line_breaks_stay_in_free_text_and_fold_in_labels(person: MakePerson) -> None:
    owner = await person()
    chat = await owner.ok(
        "POST",
        "/api/v1/chats",
        json={"kind": "group", "title": " Two\twords\n", "description": "line one\nline\ttwo"},
    )
    assert chat["title"] == "Two words"
    assert chat["description"] == "line one\nline\ttwo"
    me = await owner.ok("PATCH", "/api/v1/me", json={"bio": "a\r\nb", "display_name": "A\nB"})
    assert (me["bio"], me["display_name"]) == ("a\r\nb", "A B")
    blank_but_long = await owner.call(
        "PATCH", f"/api/v1/chats/{chat['id']}", json={"description": " " * 2049}
    )
    assert blank_but_long.status_code == 422
