"""Client without a server: request shapes, problem parsing, retries, model parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from colletta_sdk import ApiError, Client, models
from colletta_sdk.errors import slug_of

Handler = Callable[[httpx.Request], httpx.Response]
PROBLEM = "application/problem+json"
TOKEN = "tok-secret"


def make_client(handler: Handler, token: str | None = TOKEN) -> Client:
    return Client("http://colletta.test/", token, transport=httpx.MockTransport(handler))


def problem(status: int, slug: str, **extra: Any) -> httpx.Response:
    body = {
        "type": f"https://colletta.chat/problems/{slug}",
        "title": slug.title(),
        "status": status,
        "detail": "details here",
        **extra,
    }
    return httpx.Response(status, json=body, headers={"content-type": PROBLEM})


def user_json(uid: str = "1", username: str = "ann") -> dict[str, Any]:
    return {
        "id": uid,
        "username": username,
        "display_name": username.title(),
        "bio": None,
        "is_operator": False,
        "created_at_ms": 5,
    }


def message_json(seq: int = 1, **over: Any) -> dict[str, Any]:
    return {
        "id": f"m{seq}",
        "chat_id": "10",
        "seq": seq,
        "sender_id": "1",
        "author_signature": None,
        "text": "hi",
        "reply_to_id": None,
        "forward": None,
        "reactions": {},
        "edited_at_ms": None,
        "deleted": False,
        "created_at_ms": 7,
        **over,
    }


def chat_json(cid: str = "10", title: str = "Friends", **over: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": "group",
        "title": title,
        "description": None,
        "is_public": False,
        "signed_posts": False,
        "slow_mode_s": 0,
        "member_count": 2,
        "last_seq": 3,
        "created_at_ms": 1,
        "my_role": "owner",
        **over,
    }


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://colletta.chat/problems/not_found", "not_found"),
        ("https://colletta.chat/problems/rate_limited/", "rate_limited"),
        ("https://x.example/a/b/conflict?lang=en#top", "conflict"),
        ("resync_required", "resync_required"),
        ("about:blank", "about:blank"),
    ],
)
def test_slug_of(url: str, slug: str) -> None:
    assert slug_of(url) == slug


async def test_problem_json_becomes_api_error() -> None:
    async with make_client(lambda r: problem(429, "rate_limited", retry_after_s=7)) as client:
        with pytest.raises(ApiError) as info:
            await client.me()
    err = info.value
    assert (err.status, err.type_slug, err.title, err.detail) == (
        429,
        "rate_limited",
        "Rate_Limited",
        "details here",
    )
    assert err.extra == {"retry_after_s": 7}
    assert err.retry_after_s == 7


async def test_non_problem_error_does_not_echo_the_body() -> None:
    page = "<html>secret proxy page</html>"
    async with make_client(lambda r: httpx.Response(502, text=page)) as client:
        with pytest.raises(ApiError) as info:
            await client.me()
    assert (info.value.status, info.value.type_slug) == (502, "about:blank")
    assert "secret" not in str(info.value)


async def test_login_uses_the_new_token_and_logout_forgets_it() -> None:
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/api/v1/auth/login":
            assert json.loads(request.content) == {
                "username": "ann",
                "password": "correct horse",
                "device_name": "laptop",
            }
            return httpx.Response(
                200, json={"token": "new-tok", "session_id": 5, "user": user_json()}
            )
        if request.url.path == "/api/v1/auth/logout":
            return httpx.Response(204)
        return httpx.Response(200, json=user_json())

    async with make_client(handler, token=None) as client:
        result = await client.login("ann", "correct horse", device_name="laptop")
        assert result.session_id == "5"  # ids are strings even if a server sent a number
        assert "new-tok" not in repr(result)
        assert "new-tok" not in repr(client)
        await client.me()
        await client.logout()
        assert client.token is None
    assert seen == [
        ("/api/v1/auth/login", None),
        ("/api/v1/me", "Bearer new-tok"),
        ("/api/v1/auth/logout", "Bearer new-tok"),
    ]


async def test_send_message_generates_txn_and_retries_transport_errors() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if len(bodies) < 3:
            raise httpx.ConnectError("connection reset", request=request)
        return httpx.Response(201, json=message_json())

    async with make_client(handler) as client:
        message = await client.send_message("10", "hi", reply_to_id="m0", forward=("11", "m9"))
    assert message.id == "m1"
    assert len(bodies) == 3
    txn = bodies[0]["client_txn_id"]
    assert isinstance(txn, str)
    assert len(txn) >= 16
    assert all(b["client_txn_id"] == txn for b in bodies)
    assert bodies[0] == {
        "text": "hi",
        "client_txn_id": txn,
        "reply_to_id": "m0",
        "forward": {"chat_id": "11", "message_id": "m9"},
    }


async def test_send_message_gives_up_after_its_attempts() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    client = Client("http://t", "x", transport=httpx.MockTransport(handler), send_attempts=2)
    async with client:
        with pytest.raises(httpx.ReadTimeout):
            await client.send_message("10", "hi", client_txn_id="given")
    assert calls == 2


async def test_send_message_does_not_retry_api_errors() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return problem(413, "too_large")

    async with make_client(handler) as client:
        with pytest.raises(ApiError, match="too_large"):
            await client.send_message("10", "x" * 5000)
    assert calls == 1


async def test_paths_and_query_parameters() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        path = request.url.path
        if path.endswith("/messages"):
            return httpx.Response(200, json={"messages": [message_json()], "has_more": True})
        if path == "/api/v1/sync":
            return httpx.Response(
                200,
                json={
                    "events": [{"type": "typing", "chat_id": "10", "seq": None, "at_ms": 1}],
                    "resync_required": [{"chat_id": "11", "last_seq": 40}],
                    "has_more": False,
                },
            )
        return httpx.Response(204)

    async with make_client(handler) as client:
        page = await client.history("10", limit=20, before_seq=9)
        assert page.has_more
        assert page.messages[0].seq == 1
        await client.react("10", "m1", "👍")
        result = await client.sync({"10": 3, "11": 0}, limit=100)
        assert result.resync_required == [models.ResyncRequired("11", 40)]
        assert result.events[0].type == "typing"
        assert result.events[0].seq is None
        await client.approve_join_request("10", "5")

    hist, react, sync, approve = requests
    assert dict(hist.url.params) == {"limit": "20", "before_seq": "9"}
    assert react.method == "PUT"
    assert react.url.raw_path == b"/api/v1/chats/10/messages/m1/reactions/%F0%9F%91%8D"
    assert dict(sync.url.params) == {"cursors": "10:3,11:0", "limit": "100"}
    assert (approve.method, approve.url.path) == (
        "POST",
        "/api/v1/chats/10/join-requests/5/approve",
    )


async def test_iter_chats_follows_the_cursor() -> None:
    pages = {
        None: {"chats": [chat_json("1"), chat_json("2")], "next": "c2"},
        "c2": {"chats": [chat_json("3")], "next": None},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("before")])

    async with make_client(handler) as client:
        ids = [c.id async for c in client.iter_chats(page_size=2)]
    assert ids == ["1", "2", "3"]


def test_models_parse_and_stay_immutable() -> None:
    raw = message_json(
        4,
        id=123456789012345678,
        forward={"chat_id": 9, "message_id": "77", "sender_id": None},
        reactions={"👍": 2},
        future_field="ignored",
    )
    message = models.Message.from_json(raw)
    assert message.id == "123456789012345678"
    assert message.forward == models.Forward("9", "77", None)
    assert message.reactions == {"👍": 2}
    hash(message)  # dict fields are left out of the hash
    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]

    item = models.ChatListItem.from_json(
        {
            **chat_json(),
            "last_message": raw,
            "unread_count": 2,
            "read_seq": 1,
            "peer_read_seq": 1,
            "last_activity_ms": 9,
        }
    )
    assert isinstance(item, models.Chat)
    assert item.last_message == message
    assert (item.unread_count, item.peer_read_seq) == (2, 1)

    event = models.Event.from_json(
        {"type": "message.created", "chat_id": "10", "seq": 4, "at_ms": 3, "message": raw}
    )
    assert (event.seq, event.data["at_ms"], event.message) == (4, 3, message)
    assert "type" not in event.data
    assert "chat_id" not in event.data

    invite = models.Invite.from_json({"code": "abc", "chat_id": 10, "max_uses": None})
    assert (invite.code, invite.chat_id, invite.uses, invite.max_uses) == ("abc", "10", 0, None)
