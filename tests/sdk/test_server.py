"""The SDK and the CLI against the real Colletta server.

`server_url` (base URL of a running server) and `make_user` (async factory returning a
logged-in Client and its User) come from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path

import pytest
import typer
from colletta_sdk import ApiError, AuthError, Client, RealtimeClient, cli, cli_messages
from colletta_sdk.models import Chat, Event, User
from typer.testing import CliRunner

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]
PASSWORD = "correct horse battery"
WAIT_S = 10


def unique_name() -> str:
    return f"sdk_{uuid.uuid4().hex[:12]}"


async def group_with(owner: Client, *members: User, title: str = "Hikers") -> Chat:
    chat = await owner.create_chat("group", title)
    for member in members:
        await owner.add_member(chat.id, member.id)
    return chat


async def next_of(it: AsyncGenerator[Event, None], type_: str, chat_id: str) -> Event:
    async with asyncio.timeout(WAIT_S):
        async for event in it:
            if event.type == type_ and event.chat_id == chat_id:
                return event
    raise AssertionError("events() ended")


def token_of(client: Client) -> str:
    assert client.token is not None
    return client.token


# Accounts


async def test_register_login_sessions_logout(server_url: str) -> None:
    name = unique_name()
    async with Client(server_url) as client:
        user = await client.register(name, PASSWORD, display_name="Zed")
        assert (user.username, user.display_name, user.is_operator) == (name, "Zed", False)
        with pytest.raises(ApiError) as info:
            await client.register(name, PASSWORD)
        assert (info.value.status, info.value.type_slug) == (409, "conflict")

        login = await client.login(name, PASSWORD, device_name="sdk tests")
        assert login.user.id == user.id
        assert (await client.me()).id == user.id
        [session] = [s for s in await client.sessions() if s.current]
        assert (session.id, session.device_name) == (login.session_id, "sdk tests")
        assert (await client.update_me(bio="hello")).bio == "hello"

        await client.logout()
        client.token = login.token
        with pytest.raises(ApiError) as info:
            await client.me()
        assert (info.value.status, info.value.type_slug) == (401, "unauthenticated")


async def test_bad_credentials_and_input(server_url: str) -> None:
    async with Client(server_url) as client:
        with pytest.raises(ApiError) as info:
            await client.login(unique_name(), PASSWORD)
        assert info.value.type_slug == "unauthenticated"
        with pytest.raises(ApiError) as info:
            await client.register(unique_name(), "short")
        assert info.value.type_slug == "invalid_input"
        assert info.value.status == 422


async def test_password_change_and_session_revocation(server_url: str) -> None:
    name = unique_name()
    async with Client(server_url) as one, Client(server_url) as two, Client(server_url) as three:
        await one.register(name, PASSWORD)
        await one.login(name, PASSWORD)
        second = await two.login(name, PASSWORD)
        await three.login(name, PASSWORD)

        await three.revoke_session(second.session_id)
        with pytest.raises(ApiError, match="unauthenticated"):
            await two.me()

        await one.change_password(PASSWORD, PASSWORD + "!")
        await one.me()
        with pytest.raises(ApiError, match="unauthenticated"):
            await three.me()


async def test_search_and_direct_chat(make_user: MakeUser) -> None:
    ann, ann_user = await make_user()
    bob, bob_user = await make_user()
    found = await ann.search_users(bob_user.username)
    assert bob_user.id in [u.id for u in found]
    first = await ann.direct_chat(bob_user.id)
    assert first.kind == "direct"
    assert first.title == bob_user.display_name
    assert (await ann.direct_chat(bob_user.id)).id == first.id
    assert (await bob.direct_chat(ann_user.id)).id == first.id


async def test_other_peoples_chats_are_not_found(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    eve, _ = await make_user()
    chat = await group_with(ann)
    for chat_id in (chat.id, "1"):
        with pytest.raises(ApiError) as info:
            await eve.chat(chat_id)
        assert (info.value.status, info.value.type_slug) == (404, "not_found")


# Chats and messages


async def test_group_message_lifecycle(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await ann.create_chat("group", "Book club", description="monthly")
    assert (chat.kind, chat.my_role, chat.description) == ("group", "owner", "monthly")
    member = await ann.add_member(chat.id, bob_user.id)
    assert (member.user_id, member.role) == (bob_user.id, "member")
    assert {m.user_id for m in (await ann.members(chat.id)).members} >= {bob_user.id}

    txn = uuid.uuid4().hex
    sent = await bob.send_message(chat.id, "hello *all*", client_txn_id=txn)
    retried = await bob.send_message(chat.id, "hello *all*", client_txn_id=txn)
    assert retried.id == sent.id
    assert (await ann.history(chat.id)).messages[-1].id == sent.id

    edited = await bob.edit_message(chat.id, sent.id, "hello everyone")
    assert (edited.text, edited.edited_at_ms is not None) == ("hello everyone", True)
    assert len(await ann.message_edits(chat.id, sent.id)) == 1

    await ann.react(chat.id, sent.id, "👍")
    assert (await bob.message(chat.id, sent.id)).reactions == {"👍": 1}
    await ann.unreact(chat.id, sent.id, "👍")
    assert (await bob.message(chat.id, sent.id)).reactions == {}

    await ann.pin(chat.id, sent.id)
    assert [m.id for m in await bob.pins(chat.id)] == [sent.id]
    await ann.unpin(chat.id, sent.id)
    assert await bob.pins(chat.id) == []

    await ann.mark_read(chat.id, sent.seq)
    await bob.typing(chat.id)
    updated = await ann.update_chat(chat.id, title="Books", slow_mode_s=0)
    assert updated.title == "Books"
    assert (await ann.set_role(chat.id, bob_user.id, "moderator")).role == "moderator"

    await bob.delete_message(chat.id, sent.id)
    gone = await ann.message(chat.id, sent.id)
    assert (gone.deleted, gone.text) == (True, None)


async def test_history_pages(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    chat = await group_with(ann)
    sent = [await ann.send_message(chat.id, f"m{i}") for i in range(5)]
    newest = await ann.history(chat.id, limit=2)
    assert [m.id for m in newest.messages] == [sent[3].id, sent[4].id]
    assert newest.has_more
    older = await ann.history(chat.id, limit=2, before_seq=sent[3].seq)
    assert [m.id for m in older.messages] == [sent[1].id, sent[2].id]
    after = await ann.history(chat.id, limit=10, after_seq=sent[2].seq)
    assert [m.id for m in after.messages] == [sent[3].id, sent[4].id]
    around = await ann.history(chat.id, limit=3, around_id=sent[2].id)
    assert sent[2].id in [m.id for m in around.messages]


async def test_chat_list_pages(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    made = [await group_with(ann, title=f"g{i}") for i in range(3)]
    bump = await ann.send_message(made[0].id, "bump")
    first = await ann.chats(limit=2)
    assert len(first.chats) == 2
    assert first.next is not None
    second = await ann.chats(limit=2, before=first.next)
    listed = [c.id for c in first.chats + second.chats]
    assert sorted(listed) == sorted(c.id for c in made)
    assert [c.id async for c in ann.iter_chats(page_size=1)] == listed
    [item] = [c for c in first.chats + second.chats if c.id == made[0].id]
    assert item.last_message is not None
    assert item.last_message.id == bump.id


async def test_membership_changes(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    cat, cat_user = await make_user()
    chat = await group_with(ann, bob_user, cat_user)
    await ann.transfer_ownership(chat.id, bob_user.id)
    assert (await bob.chat(chat.id)).my_role == "owner"
    await bob.remove_member(chat.id, cat_user.id)
    with pytest.raises(ApiError, match="not_found"):
        await cat.chat(chat.id)
    await ann.leave(chat.id)
    with pytest.raises(ApiError, match="not_found"):
        await ann.chat(chat.id)


async def test_public_channel(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, _ = await make_user()
    title = f"News {uuid.uuid4().hex[:8]}"
    channel = await ann.create_chat("channel", title, is_public=True)
    assert channel.id in [c.id for c in await bob.public_channels(prefix=title)]
    assert (await bob.subscribe(channel.id)).role == "member"
    with pytest.raises(ApiError) as info:
        await bob.send_message(channel.id, "subscribers read")
    assert info.value.status == 403


async def test_invites_and_join_requests(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, _ = await make_user()
    cat, cat_user = await make_user()
    dan, dan_user = await make_user()
    chat = await group_with(ann)

    invite = await ann.create_invite(chat.id, max_uses=5, expires_in_s=3600)
    assert (invite.chat_id, invite.max_uses) == (chat.id, 5)
    assert invite.code in [i.code for i in await ann.invites(chat.id)]
    info = await bob.invite_info(invite.code)
    assert (info.chat.id, info.requires_approval) == (chat.id, False)
    joined = await bob.join_invite(invite.code)
    assert joined.status == "joined"
    assert joined.chat is not None
    assert joined.chat.id == chat.id

    gated = await ann.create_invite(chat.id, requires_approval=True)
    assert (await cat.join_invite(gated.code)).status == "requested"
    assert (await dan.join_invite(gated.code)).status == "requested"
    waiting = {r.user_id for r in await ann.join_requests(chat.id)}
    assert waiting == {cat_user.id, dan_user.id}
    await ann.approve_join_request(chat.id, cat_user.id)
    await ann.decline_join_request(chat.id, dan_user.id)
    assert (await cat.chat(chat.id)).id == chat.id
    with pytest.raises(ApiError, match="not_found"):
        await dan.chat(chat.id)

    await ann.revoke_invite(chat.id, invite.code)
    with pytest.raises(ApiError) as gone:
        await cat.invite_info(invite.code)
    assert gone.value.type_slug in ("gone", "not_found")


async def test_sync(make_user: MakeUser) -> None:
    ann, _ = await make_user()
    chat = await group_with(ann)
    sent = [await ann.send_message(chat.id, f"m{i}") for i in range(3)]
    result = await ann.sync({chat.id: 0})
    seqs = [e.seq for e in result.events if e.chat_id == chat.id and e.seq is not None]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    created = [e.message.id for e in result.events if e.message and e.type == "message.created"]
    assert created == [m.id for m in sent]
    beyond = await ann.sync({chat.id: 10**9})
    assert [r.chat_id for r in beyond.resync_required] == [chat.id]


# Live events


@pytest.mark.parametrize("bus_url", ["memory", "redis"], indirect=True)
async def test_realtime_live_then_resume_from_cursors(server_url: str, make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await group_with(ann, bob_user)
    start = (await bob.chat(chat.id)).last_seq

    rt = RealtimeClient(server_url, token_of(bob), {chat.id: start})
    try:
        it = rt.events()
        one = await ann.send_message(chat.id, "one")
        event = await next_of(it, "message.created", chat.id)
        assert event.message is not None
        assert event.message.id == one.id
        cursors = rt.cursors
        assert cursors[chat.id] == one.seq
    finally:
        await rt.close()

    two = await ann.send_message(chat.id, "two")
    three = await ann.send_message(chat.id, "three")
    async with RealtimeClient(server_url, token_of(bob), cursors) as again:
        it = again.events()
        got = [await next_of(it, "message.created", chat.id) for _ in range(2)]
        assert [e.message.id for e in got if e.message] == [two.id, three.id]


@pytest.mark.parametrize("bus_url", ["memory", "redis"], indirect=True)
async def test_realtime_is_gap_free_under_a_burst(server_url: str, make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await group_with(ann, bob_user)
    start = (await bob.chat(chat.id)).last_seq
    async with RealtimeClient(server_url, token_of(bob), {chat.id: start}) as rt:
        it = rt.events()
        await asyncio.gather(*(ann.send_message(chat.id, f"burst {i}") for i in range(30)))
        seqs: list[int] = []
        messages = 0
        async with asyncio.timeout(WAIT_S):
            async for event in it:
                if event.chat_id == chat.id and event.seq is not None:
                    seqs.append(event.seq)
                    messages += event.type == "message.created"
                    if messages == 30:
                        break
        assert seqs == list(range(start + 1, start + 1 + len(seqs)))


@pytest.mark.parametrize("bus_url", ["memory", "redis"], indirect=True)
async def test_realtime_send(server_url: str, make_user: MakeUser) -> None:
    ann, _ = await make_user()
    chat = await group_with(ann)
    async with RealtimeClient(server_url, token_of(ann), {chat.id: chat.last_seq}) as rt:
        txn = uuid.uuid4().hex
        sent = await asyncio.wait_for(rt.send(chat.id, "over the socket", txn), WAIT_S)
        again = await asyncio.wait_for(rt.send(chat.id, "over the socket", txn), WAIT_S)
        assert again.id == sent.id
        await rt.typing(chat.id)
        event = await next_of(rt.events(), "message.created", chat.id)
        assert event.message is not None
        assert event.message.id == sent.id


async def test_realtime_bad_token(server_url: str) -> None:
    async with RealtimeClient(server_url, "not-a-token") as rt:
        with pytest.raises(AuthError):
            await next_of(rt.events(), "never", "0")


# The CLI


async def test_cli_session(
    server_url: str, make_user: MakeUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("COLLETTA_SERVER", server_url)
    monkeypatch.delenv("COLLETTA_TOKEN", raising=False)
    _, friend = await make_user()
    app = typer.Typer()

    @app.command("version")
    def version() -> None:
        """Stand-in for the server's commands."""

    cli.register(app)
    name = unique_name()

    async def invoke(*args: str, input: str | None = None, code: int = 0) -> str:
        # A thread, because the CLI runs its own event loop.
        result = await asyncio.to_thread(CliRunner().invoke, app, list(args), input=input)
        assert result.exit_code == code, result.output
        token = cli.load_config().get("token")
        assert token is None or token not in result.output
        assert PASSWORD not in result.output
        return str(result.output)

    await invoke("register", "-u", name, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert (tmp_path / "cli.json").stat().st_mode & 0o777 == 0o600
    await invoke("group", "create", "Walkers", "--description", "Sundays")
    await invoke("group", "add", "Walkers", friend.username)
    assert "Sent to Walkers" in await invoke("send", "Walkers", "see you at *nine*")
    assert "see you at *nine*" in await invoke("history", "Walkers", "--limit", "5")
    assert "Walkers" in await invoke("chats")
    assert "Direct chat with" in await invoke("dm", friend.username)
    assert "public channel" in await invoke("channel", "create", "Trail news", "--public")
    code = (await invoke("invite", "create", "Walkers", "--max-uses", "3")).strip()
    assert code
    await invoke("logout")
    assert "token" not in cli.load_config()
    await invoke("chats", code=1)
    await invoke("login", "-u", name, input=f"{PASSWORD}\n")
    await invoke("chats")


async def test_cli_tail_prints_backlog_then_live_messages(
    server_url: str, make_user: MakeUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLETTA_CONFIG_DIR", str(tmp_path))
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await group_with(ann, bob_user, title="Tail")
    for i in range(22):
        await ann.send_message(chat.id, f"old {i}")
    lines: asyncio.Queue[str] = asyncio.Queue()
    monkeypatch.setattr(cli, "_emit", lines.put_nowait)
    task = asyncio.create_task(cli_messages._tail_loop(server_url, token_of(bob), "Tail"))

    async def texts(n: int) -> list[str]:
        async with asyncio.timeout(WAIT_S):
            return [(await lines.get()).rsplit(": ", 1)[1] for _ in range(n)]

    try:
        assert await texts(20) == [f"old {i}" for i in range(2, 22)]
        await ann.send_message(chat.id, "new one")
        assert await texts(1) == ["new one"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
