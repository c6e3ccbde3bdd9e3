"""Messages through the HTTP API: send, retry, reply, forward, edit, delete, react, pin, pages."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from sqlalchemy import delete, event, insert
from sqlalchemy.ext.asyncio import create_async_engine

from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.domain.chats import Role
from colletta.ids import new_id
from colletta.store.schema import chat_members, users
from tests.conftest import MakePerson, Person


async def make_group(owner: Person, *members: Person, **extra: Any) -> str:
    chat = await owner.ok(
        "POST", "/api/v1/chats", json={"kind": "group", "title": "Group", **extra}
    )
    for member in members:
        await owner.ok("POST", f"/api/v1/chats/{chat['id']}/members", json={"user_id": member.id})
    return str(chat["id"])


async def send(person: Person, chat_id: str, text: str, **extra: Any) -> dict[str, Any]:
    body = {"text": text, "client_txn_id": extra.pop("txn", text), **extra}
    return await person.ok(  # type: ignore[no-any-return]
        "POST", f"/api/v1/chats/{chat_id}/messages", json=body
    )


async def history(person: Person, chat_id: str, **params: Any) -> dict[str, Any]:
    return await person.ok(  # type: ignore[no-any-return]
        "GET", f"/api/v1/chats/{chat_id}/messages", params=params
    )


async def test_retried_send_returns_the_same_message(person: MakePerson) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    body = {"text": "only once", "client_txn_id": "txn-1"}
    first = await alice.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)
    again = await alice.call("POST", f"/api/v1/chats/{chat_id}/messages", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert len((await history(alice, chat_id))["messages"]) == 1


async def test_sends_answer_alike_on_the_fast_path_and_the_documented_route(
    person: MakePerson,
) -> None:
    """Well-formed `application/json` sends skip FastAPI (api/fastpath.py); other JSON types
    go through the FastAPI route. Both must answer the same way."""
    alice = await person()
    chat_id = await make_group(alice)
    path = f"/api/v1/chats/{chat_id}/messages"
    answers = []
    for txn, content_type in (("fast", "application/json"), ("route", "application/ld+json")):
        headers = {"content-type": content_type}
        body = orjson.dumps({"text": "*same*", "client_txn_id": txn})
        first = await alice.client.post(path, content=body, headers={**alice.auth, **headers})
        again = await alice.client.post(path, content=body, headers={**alice.auth, **headers})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.headers["content-type"] == "application/json"
        assert first.headers["x-content-type-options"] == "nosniff"
        answers.append({k: v for k, v in first.json().items() if k not in {"id", "seq"}})
        answers[-1]["created_at_ms"] = 0
    assert answers[0] == answers[1]
    outsider = await person()
    refused = await outsider.call("POST", path, json={"text": "x", "client_txn_id": "o"})
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"


async def test_markup_becomes_entities(person: MakePerson) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    msg = await send(alice, chat_id, "see *this* and `code` at https://x.org/a?b=1 cc @Bob_9")
    kinds = [
        (e["type"], msg["text"][e["offset"] : e["offset"] + e["length"]]) for e in msg["entities"]
    ]
    assert kinds == [
        ("bold", "*this*"),
        ("code", "`code`"),
        ("link", "https://x.org/a?b=1"),
        ("mention", "@Bob_9"),
    ]
    html = await send(alice, chat_id, "<script>alert(1)</script>")
    assert html["entities"] == []
    assert html["text"] == "<script>alert(1)</script>"


async def test_reply_and_forward_keep_their_origin(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    source = await make_group(alice, bob)
    target = await make_group(bob)
    original = await send(alice, source, "original words")
    reply = await send(bob, source, "a reply", reply_to_id=original["id"])
    assert reply["reply_to_id"] == original["id"]
    forwarded = await bob.ok(
        "POST",
        f"/api/v1/chats/{target}/messages",
        json={"client_txn_id": "fw", "forward": {"chat_id": source, "message_id": original["id"]}},
    )
    assert forwarded["text"] == "original words"
    assert forwarded["forward"] == {
        "chat_id": source,
        "message_id": original["id"],
        "sender_id": alice.id,
    }
    again = await bob.ok(
        "POST",
        f"/api/v1/chats/{target}/messages",
        json={
            "client_txn_id": "fw2",
            "forward": {"chat_id": target, "message_id": forwarded["id"]},
        },
    )
    assert again["forward"] == forwarded["forward"]
    outsider = await person()
    refused = await outsider.call(
        "POST",
        f"/api/v1/chats/{await make_group(outsider)}/messages",
        json={"client_txn_id": "x", "forward": {"chat_id": source, "message_id": original["id"]}},
    )
    assert refused.status_code == 404


async def test_edit_within_48_hours_keeps_history_for_moderators(
    person: MakePerson, clock: FakeClock
) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    msg = await send(bob, chat_id, "frist")
    path = f"/api/v1/chats/{chat_id}/messages/{msg['id']}"
    edited = await bob.ok("PATCH", path, json={"text": "first"})
    assert (edited["text"], edited["edited_at_ms"]) == ("first", clock.now_ms())
    assert (await alice.call("PATCH", path, json={"text": "hijack"})).status_code == 403
    assert (await bob.call("GET", path + "/edits")).status_code == 403
    edits = await alice.ok("GET", path + "/edits")
    assert [e["text"] for e in edits["edits"]] == ["frist"]
    clock.advance(48 * 3600 * 1000 + 1)
    assert (await bob.call("PATCH", path, json={"text": "too late"})).status_code == 403


async def test_delete_for_everyone_removes_the_body_everywhere(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    msg = await send(bob, chat_id, "regrettable words")
    path = f"/api/v1/chats/{chat_id}/messages/{msg['id']}"
    await bob.ok("PATCH", path, json={"text": "more regrettable words"})
    await bob.ok("DELETE", path)
    gone = await alice.ok("GET", path)
    assert (gone["text"], gone["deleted"]) == (None, True)
    sync = await alice.ok("GET", "/api/v1/sync", params={"cursors": f"{chat_id}:0"})
    assert "regrettable" not in str(sync)
    assert sync["events"][-1]["type"] == "message.deleted"
    assert (await alice.ok("GET", path + "/edits"))["edits"] == []
    assert (await bob.call("DELETE", path)).status_code == 404


async def test_moderators_delete_anyones_members_only_their_own(person: MakePerson) -> None:
    owner = await person()
    mod, member, other = await person(), await person(), await person()
    chat_id = await make_group(owner, mod, member, other)
    await owner.ok("PATCH", f"/api/v1/chats/{chat_id}/members/{mod.id}", json={"role": "moderator"})
    target = await send(other, chat_id, "spam")
    path = f"/api/v1/chats/{chat_id}/messages/{target['id']}"
    assert (await member.call("DELETE", path)).status_code == 403
    assert (await mod.call("DELETE", path)).status_code == 204


async def test_reactions_count_once_per_user_and_emoji(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    msg = await send(alice, chat_id, "react to me")
    base = f"/api/v1/chats/{chat_id}/messages/{msg['id']}/reactions"
    await alice.ok("PUT", f"{base}/👍")
    await alice.ok("PUT", f"{base}/👍")
    await bob.ok("PUT", f"{base}/👍")
    await bob.ok("PUT", f"{base}/🔥")
    await bob.ok("DELETE", f"{base}/🔥")
    got = await alice.ok("GET", f"/api/v1/chats/{chat_id}/messages/{msg['id']}")
    assert got["reactions"] == {"👍": 2}
    assert (await bob.call("PUT", f"{base}/🦄")).status_code == 422


async def test_pins_by_admins_only(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    msg = await send(bob, chat_id, "pin me")
    assert (await bob.call("PUT", f"/api/v1/chats/{chat_id}/pins/{msg['id']}")).status_code == 403
    await alice.ok("PUT", f"/api/v1/chats/{chat_id}/pins/{msg['id']}")
    pins = await bob.ok("GET", f"/api/v1/chats/{chat_id}/pins")
    assert [m["id"] for m in pins["messages"]] == [msg["id"]]
    await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/pins/{msg['id']}")
    assert (await bob.ok("GET", f"/api/v1/chats/{chat_id}/pins"))["messages"] == []


async def test_history_pages_backwards_forwards_and_around(person: MakePerson) -> None:
    alice = await person()
    chat_id = await make_group(alice)
    sent = [await send(alice, chat_id, f"m{i}") for i in range(25)]
    newest = await history(alice, chat_id, limit=10)
    assert [m["text"] for m in newest["messages"]] == [f"m{i}" for i in range(15, 25)]
    assert newest["has_more"] is True
    older = await history(alice, chat_id, limit=10, before_seq=newest["messages"][0]["seq"])
    assert [m["text"] for m in older["messages"]] == [f"m{i}" for i in range(5, 15)]
    oldest = await history(alice, chat_id, limit=10, before_seq=older["messages"][0]["seq"])
    assert [m["text"] for m in oldest["messages"]] == [f"m{i}" for i in range(5)]
    assert oldest["has_more"] is False
    forward = await history(alice, chat_id, limit=10, after_seq=sent[19]["seq"])
    assert [m["text"] for m in forward["messages"]] == [f"m{i}" for i in range(20, 25)]
    assert forward["has_more"] is False
    around = await history(alice, chat_id, limit=5, around_id=sent[12]["id"])
    texts = [m["text"] for m in around["messages"]]
    assert "m12" in texts
    assert len(texts) == 5
    assert texts == sorted(texts, key=lambda t: int(t[1:]))
    assert (
        await alice.call("GET", f"/api/v1/chats/{chat_id}/messages", params={"limit": 101})
    ).status_code == 422


async def test_slow_mode_spaces_a_members_posts(person: MakePerson, clock: FakeClock) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    await alice.ok("PATCH", f"/api/v1/chats/{chat_id}", json={"slow_mode_s": 30})
    await send(bob, chat_id, "first")
    blocked = await bob.call(
        "POST", f"/api/v1/chats/{chat_id}/messages", json={"text": "2", "client_txn_id": "2"}
    )
    assert blocked.status_code == 429
    assert blocked.json()["retry_after_s"] == 30
    await send(alice, chat_id, "admins are exempt")
    # A retry of the first post is answered with it, slow mode or not.
    retry = await bob.call(
        "POST",
        f"/api/v1/chats/{chat_id}/messages",
        json={"text": "first", "client_txn_id": "first"},
    )
    assert (retry.status_code, retry.json()["text"]) == (200, "first")
    clock.advance(30_000)
    await send(bob, chat_id, "second")


async def test_channel_posts_by_admins_signed_or_anonymous(person: MakePerson) -> None:
    owner, reader = await person(), await person()
    channel = await owner.ok(
        "POST", "/api/v1/chats", json={"kind": "channel", "title": "News", "is_public": True}
    )
    await reader.ok("POST", f"/api/v1/chats/{channel['id']}/subscribe")
    post = await send(owner, channel["id"], "anonymous post")
    assert (post["sender_id"], post["author_signature"]) == (None, None)
    refused = await reader.call(
        "POST", f"/api/v1/chats/{channel['id']}/messages", json={"text": "hi", "client_txn_id": "r"}
    )
    assert refused.status_code == 403
    await owner.ok("PATCH", f"/api/v1/chats/{channel['id']}", json={"signed_posts": True})
    signed = await send(owner, channel["id"], "signed post")
    assert (signed["sender_id"], signed["author_signature"]) == (owner.id, owner.username)
    seen = await reader.ok("GET", f"/api/v1/chats/{channel['id']}")
    assert seen["member_count"] == 2


async def _rows_written_by_a_post(app: Any, owner: Person, subscribers: int) -> int:
    """Rows inserted/updated/deleted by one channel post with `subscribers` subscribers."""
    channel = await owner.ok("POST", "/api/v1/chats", json={"kind": "channel", "title": "Big"})
    chat_id = int(channel["id"])
    ctx = app.state.ctx
    async with ctx.db.write() as tx:
        ids = [new_id() for _ in range(subscribers)]
        await tx.conn.execute(
            insert(users),
            [
                {
                    "id": uid,
                    "username": f"s{uid}",
                    "display_name": "s",
                    "bio": "",
                    "password_hash": "x",
                    "is_operator": False,
                    "created_at_ms": 0,
                }
                for uid in ids
            ],
        )
        await tx.conn.execute(
            insert(chat_members),
            [
                {
                    "chat_id": chat_id,
                    "user_id": uid,
                    "role": int(Role.MEMBER),
                    "joined_at_ms": 0,
                    "read_seq": 0,
                    "last_post_ms": 0,
                }
                for uid in ids
            ],
        )
    engine = ctx.db.sync_engine
    if ctx.db.is_sqlite:
        total_changes = ctx.db.sqlite_total_changes
        before = total_changes()
        await send(owner, str(chat_id), f"post to {subscribers}")
        return total_changes() - before
    written = 0

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        nonlocal written
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            written += max(cursor.rowcount, 0)

    event.listen(engine, "after_cursor_execute", count)
    try:
        await send(owner, str(chat_id), f"post to {subscribers}")
    finally:
        event.remove(engine, "after_cursor_execute", count)
    return written


async def test_a_post_costs_the_same_rows_for_10_and_10000_subscribers(
    app: Any, person: MakePerson
) -> None:
    owner = await person()
    small = await _rows_written_by_a_post(app, owner, 10)
    large = await _rows_written_by_a_post(app, owner, 10_000)
    assert small == large
    assert small <= 3  # chat row (seq), message row, event row


async def test_concurrent_sends_commit_together_and_keep_their_seqs(person: MakePerson) -> None:
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    path = f"/api/v1/chats/{chat_id}/messages"
    distinct = await asyncio.gather(
        *(
            alice.call("POST", path, json={"text": f"c{i}", "client_txn_id": f"c{i}"})
            for i in range(20)
        )
    )
    seqs = sorted(r.json()["seq"] for r in distinct)
    assert seqs == list(range(seqs[0], seqs[0] + 20))
    same = await asyncio.gather(
        *(bob.call("POST", path, json={"text": "once", "client_txn_id": "same"}) for _ in range(10))
    )
    assert {r.json()["id"] for r in same} == {same[0].json()["id"]}
    assert sorted(r.status_code for r in same) == [200] * 9 + [201]
    page = await history(alice, chat_id, limit=100)
    assert [m["text"] for m in page["messages"]].count("once") == 1
    assert len(page["messages"]) == 21


async def test_posting_rights_follow_every_change_at_once(
    person: MakePerson, settings: Settings
) -> None:
    """On SQLite the write connection caches a poster's rights (`store.db.WriterCache`).
    Removal, re-adding, a new role, new chat settings, the same commit batch and a change
    made by another process (an admin tool on the database file) must all count at once."""
    alice, bob = await person(), await person()
    chat_id = await make_group(alice, bob)
    path = f"/api/v1/chats/{chat_id}/messages"
    await send(bob, chat_id, "cached now")

    await alice.ok("DELETE", f"/api/v1/chats/{chat_id}/members/{bob.id}")
    gone = await bob.call("POST", path, json={"text": "x", "client_txn_id": "removed"})
    assert gone.status_code == 404
    await alice.ok("POST", f"/api/v1/chats/{chat_id}/members", json={"user_id": bob.id})
    await send(bob, chat_id, "back")

    if settings.resolved_database_url.startswith("sqlite"):
        # Removal and a post in one loop turn share a commit batch, in that order. (On
        # PostgreSQL they are two transactions, and either order is a right answer.)
        removal, post = await asyncio.gather(
            alice.call("DELETE", f"/api/v1/chats/{chat_id}/members/{bob.id}"),
            bob.call("POST", path, json={"text": "x", "client_txn_id": "same-batch"}),
        )
        assert (removal.status_code, post.status_code) == (204, 404)
        await alice.ok("POST", f"/api/v1/chats/{chat_id}/members", json={"user_id": bob.id})
        await send(bob, chat_id, "back again")

    await alice.ok("PATCH", f"/api/v1/chats/{chat_id}", json={"slow_mode_s": 60})
    await send(bob, chat_id, "first under slow mode")
    slowed = await bob.call("POST", path, json={"text": "x", "client_txn_id": "slowed"})
    assert slowed.status_code == 429
    await alice.ok("PATCH", f"/api/v1/chats/{chat_id}/members/{bob.id}", json={"role": "admin"})
    await send(bob, chat_id, "admins are exempt")
    await alice.ok("PATCH", f"/api/v1/chats/{chat_id}", json={"slow_mode_s": 0})
    await send(bob, chat_id, "cached again")

    engine = create_async_engine(settings.resolved_database_url)
    try:
        async with engine.begin() as conn:  # another process, as far as the server knows
            await conn.execute(
                delete(chat_members).where(
                    chat_members.c.chat_id == int(chat_id), chat_members.c.user_id == int(bob.id)
                )
            )
    finally:
        await engine.dispose()
    outside = await bob.call("POST", path, json={"text": "x", "client_txn_id": "outside"})
    assert outside.status_code == 404
