"""The user CLI without a server: config file, credentials, command wiring, no secrets shown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from colletta_sdk import Client, RealtimeClient, cli, cli_messages
from typer.testing import CliRunner

TOKEN = "tok-9f8e7d6c5b4a"
PASSWORD = "hunter2-hunter2"
FAKE_WS_TOKEN = "good-token-123"  # the fake WebSocket server's, see conftest.py


def user_json(uid: str, username: str) -> dict[str, Any]:
    return {
        "id": uid,
        "username": username,
        "display_name": username.title(),
        "bio": None,
        "is_operator": False,
        "created_at_ms": 1,
    }


def chat_json(cid: str, title: str, kind: str = "group") -> dict[str, Any]:
    return {
        "id": cid,
        "kind": kind,
        "title": title,
        "description": None,
        "is_public": False,
        "signed_posts": False,
        "slow_mode_s": 0,
        "member_count": 2,
        "last_seq": 5,
        "created_at_ms": 1,
        "my_role": "owner",
    }


def message_json(chat_id: str, seq: int, text: str) -> dict[str, Any]:
    return {
        "id": f"{chat_id}0{seq}",
        "chat_id": chat_id,
        "seq": seq,
        "sender_id": "1",
        "author_signature": None,
        "text": text,
        "reply_to_id": None,
        "forward": None,
        "reactions": {},
        "edited_at_ms": None,
        "deleted": False,
        "created_at_ms": 1_700_000_000_000,
    }


class FakeApi:
    """Just enough of docs/api.md for the commands under test."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.chats = [chat_json("11", "Friends"), chat_json("12", "Work"), chat_json("13", "Work")]
        self.chats[0]["unread_count"] = 3
        self.chats[0]["last_message"] = message_json("11", 5, "see you *soon*")

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path.removeprefix("/api/v1"), request.method
        authed = request.headers.get("authorization") == f"Bearer {TOKEN}"
        if path == "/auth/login":
            body = json.loads(request.content)
            if body["password"] != PASSWORD:
                return self.problem(401, "unauthenticated")
            payload = {"token": TOKEN, "session_id": "3", "user": user_json("1", "ann")}
            return httpx.Response(200, json=payload)
        if path == "/auth/register":
            return httpx.Response(201, json=user_json("1", json.loads(request.content)["username"]))
        if not authed:
            return self.problem(401, "unauthenticated")
        if path == "/auth/logout":
            return httpx.Response(204)
        if path == "/me":
            return httpx.Response(200, json=user_json("1", "ann"))
        if path == "/chats" and method == "GET":
            items = [
                {"last_message": None, "unread_count": 0, "read_seq": 0, "last_activity_ms": 0, **c}
                for c in self.chats
            ]
            return httpx.Response(200, json={"chats": items, "next": None})
        if path == "/chats" and method == "POST":
            body = json.loads(request.content)
            chat = chat_json("20", body["title"], body["kind"])
            chat["is_public"] = body.get("is_public", False)
            return httpx.Response(201, json=chat)
        if path.startswith("/chats/") and path.endswith("/messages") and method == "POST":
            chat_id = path.split("/")[2]
            text = json.loads(request.content)["text"]
            return httpx.Response(201, json=message_json(chat_id, 6, text))
        if path.endswith("/messages") and method == "GET":
            chat_id = path.split("/")[2]
            messages = [message_json(chat_id, 4, "\x1b[2Jboom\x07"), message_json(chat_id, 5, "ok")]
            return httpx.Response(200, json={"messages": messages, "has_more": False})
        if path.endswith("/members") and method == "GET":
            chat_id = path.split("/")[2]
            member = {
                "chat_id": chat_id,
                "user_id": "1",
                "username": "ann",
                "display_name": "Ann",
                "role": "owner",
                "joined_at_ms": 1,
            }
            return httpx.Response(200, json={"members": [member], "next": None})
        for chat in self.chats:
            if path == f"/chats/{chat['id']}":
                return httpx.Response(200, json=chat)
        return self.problem(404, "not_found")

    @staticmethod
    def problem(status: int, slug: str) -> httpx.Response:
        body = {
            "type": f"https://colletta.chat/problems/{slug}",
            "title": slug.replace("_", " ").capitalize(),
            "status": status,
            "detail": f"{slug} detail",
        }
        return httpx.Response(
            status, json=body, headers={"content-type": "application/problem+json"}
        )


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeApi:
    fake = FakeApi()

    def make_client(server: str, token: str | None) -> Client:
        return Client(server, token, transport=httpx.MockTransport(fake.handler))

    monkeypatch.setattr(cli, "_make_client", make_client)
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("COLLETTA_SERVER", raising=False)
    monkeypatch.delenv("COLLETTA_TOKEN", raising=False)
    return fake


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.command("serve")
    def serve() -> None:
        """Stand-in for the server's own commands."""

    cli.register(root)
    return root


def run(app: typer.Typer, *args: str, input: str | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), input=input)
    assert TOKEN not in result.output
    assert PASSWORD not in result.output
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def logged_in(server: str = "http://srv") -> None:
    cli.save_config({"server": server, "token": TOKEN})


# Config file


def test_config_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path))
    assert cli.config_path() == tmp_path / "cli.json"
    monkeypatch.delenv("COLLETTA_CONFIG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cli.config_path() == tmp_path / "home" / ".config" / "colletta" / "cli.json"


def test_config_is_0600_whatever_the_umask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path / "new" / "dir"))
    old = os.umask(0)
    try:
        cli.save_config({"server": "http://s", "token": TOKEN})
    finally:
        os.umask(old)
    path = cli.config_path()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert cli.load_config() == {"server": "http://s", "token": TOKEN}
    assert [p.name for p in path.parent.iterdir()] == ["cli.json"]  # no temp file left


def test_config_rewrite_tightens_a_loose_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path))
    path = tmp_path / "cli.json"
    path.write_text("{}")
    path.chmod(0o644)
    cli.save_config({"server": "http://s"})
    assert mode(path) == 0o600


def test_unreadable_config_is_empty(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path))
    assert cli.load_config() == {}
    (tmp_path / "cli.json").write_text("not json")
    assert cli.load_config() == {}


def test_credentials_precedence(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.resolve_credentials(None, None) == (cli.DEFAULT_SERVER, None)
    logged_in("http://srv/")
    assert cli.resolve_credentials(None, None) == ("http://srv", TOKEN)
    assert cli.resolve_credentials(None, "other") == ("http://srv", "other")
    # A stored token is never sent to another server.
    assert cli.resolve_credentials("http://elsewhere", None) == ("http://elsewhere", None)


# Commands


def test_login_prompts_and_stores_the_token_privately(api: FakeApi, app: typer.Typer) -> None:
    result = run(app, "login", input=f"http://srv\nann\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Logged in to http://srv as ann" in result.output
    assert cli.load_config() == {"server": "http://srv", "token": TOKEN}
    assert mode(cli.config_path()) == 0o600
    body = json.loads(api.requests[0].content)
    assert body["username"] == "ann"
    assert body["device_name"].startswith("colletta-cli")


def test_login_takes_the_server_from_the_environment(
    api: FakeApi, app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLETTA_SERVER", "http://from-env")
    result = run(app, "login", "-u", "ann", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert cli.load_config()["server"] == "http://from-env"
    assert str(api.requests[0].url).startswith("http://from-env/")


def test_failed_login_is_one_line_and_stores_nothing(api: FakeApi, app: typer.Typer) -> None:
    result = run(app, "login", input="http://srv\nann\nwrong-password\n")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "wrong-password" not in result.output
    assert "Wrong username or password" in result.output
    assert not cli.config_path().exists()


def test_register_then_logged_in(api: FakeApi, app: typer.Typer) -> None:
    result = run(app, "register", input=f"http://srv\nbob\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert [r.url.path for r in api.requests] == ["/api/v1/auth/register", "/api/v1/auth/login"]
    assert cli.load_config()["token"] == TOKEN


def test_logout_revokes_and_forgets(api: FakeApi, app: typer.Typer) -> None:
    logged_in()
    result = run(app, "logout")
    assert result.exit_code == 0, result.output
    assert api.requests[-1].url.path == "/api/v1/auth/logout"
    assert cli.load_config() == {"server": "http://srv"}
    assert mode(cli.config_path()) == 0o600


def test_commands_need_a_login(api: FakeApi, app: typer.Typer) -> None:
    result = run(app, "chats")
    assert result.exit_code == 1
    assert "colletta login" in result.output
    assert api.requests == []


def test_chats_table(api: FakeApi, app: typer.Typer) -> None:
    api.chats[0]["last_message"] = message_json("11", 5, "see you soon")
    logged_in()
    result = run(app, "chats")
    assert result.exit_code == 0, result.output
    for expected in ("Friends", "Work", "group", "11"):
        assert expected in result.output


def test_send_by_unique_title_and_by_id(api: FakeApi, app: typer.Typer) -> None:
    logged_in()
    result = run(app, "send", "Friends", "hello there")
    assert result.exit_code == 0, result.output
    post = api.requests[-1]
    assert post.url.path == "/api/v1/chats/11/messages"
    assert json.loads(post.content)["text"] == "hello there"
    assert "seq 6" in result.output

    result = run(app, "send", "12", "by id")
    assert result.exit_code == 0, result.output
    assert api.requests[-1].url.path == "/api/v1/chats/12/messages"


def test_send_to_an_ambiguous_title_lists_the_ids(api: FakeApi, app: typer.Typer) -> None:
    logged_in()
    result = run(app, "send", "Work", "which one?")
    assert result.exit_code == 1
    assert "12" in result.output
    assert "13" in result.output
    assert all(r.method == "GET" for r in api.requests)


def test_token_override_from_the_environment(
    api: FakeApi, app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLETTA_SERVER", "http://srv")
    monkeypatch.setenv("COLLETTA_TOKEN", TOKEN)
    result = run(app, "group", "create", "Hikers", "--description", "weekends")
    assert result.exit_code == 0, result.output
    assert "Created group Hikers: id 20" in result.output
    assert json.loads(api.requests[-1].content) == {
        "kind": "group",
        "title": "Hikers",
        "description": "weekends",
    }
    result = run(app, "channel", "create", "News", "--public")
    assert "Created public channel News" in result.output


def test_help_never_shows_the_token(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("COLLETTA_TOKEN", TOKEN)
    for args in (["--help"], ["send", "--help"], ["invite", "create", "--help"]):
        result = run(app, *args)
        assert result.exit_code == 0


def test_history_strips_terminal_control_characters(api: FakeApi, app: typer.Typer) -> None:
    logged_in()
    result = run(app, "history", "11", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "Ann: [2Jboom" in result.output
    assert "Ann: ok" in result.output
    params = next(r for r in api.requests if r.url.path.endswith("/messages")).url.params
    assert dict(params) == {"limit": "2"}


def test_clean() -> None:
    assert cli.clean("a\x1b[31mred\x1b[0m\tb\nc\u202e") == "a[31mred[0m\tb\nc"


async def test_tail_prints_backlog_then_live_lines_once_across_a_restart(
    api: FakeApi, fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_in()
    # The chat's last_seq (3) is read before the history, which already has seqs 4 and 5:
    # the replay from 3 must not print them twice.
    api.chats[0]["last_seq"] = 3
    for _ in range(7):
        fake_server.append("11")
    lines: asyncio.Queue[str] = asyncio.Queue()
    monkeypatch.setattr(cli, "_emit", lines.put_nowait)

    def make_realtime(server: str, token: str, cursors: dict[str, int]) -> RealtimeClient:
        assert (server, token, cursors) == ("http://srv", TOKEN, {"11": 3})
        return RealtimeClient(
            fake_server.url, FAKE_WS_TOKEN, cursors, initial_backoff_s=0.01, max_backoff_s=0.05
        )

    monkeypatch.setattr(cli, "_make_realtime", make_realtime)
    task = asyncio.create_task(cli_messages._tail_loop(None, None, "Friends"))

    async def next_lines(n: int) -> list[str]:
        async with asyncio.timeout(5):
            return [(await lines.get()).split("] ", 1)[1] for _ in range(n)]

    try:
        # Sender 7 is not among the members the fake lists, so its id stands in for a name.
        assert await next_lines(4) == ["Ann: [2Jboom", "Ann: ok", "7: m6", "7: m7"]
        await fake_server.close_all(1012)  # the server restarts
        await fake_server.publish("11")
        assert await next_lines(1) == ["7: m8"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
