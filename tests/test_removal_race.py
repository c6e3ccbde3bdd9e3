"""PostgreSQL: a post racing its sender's removal never lands after the removal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from colletta.store import chats as chat_store
from tests.conftest import MakePerson
from tests.test_messages import make_group


async def test_a_post_that_read_membership_before_a_removal_committed_is_refused(
    person: MakePerson, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: a removal and a post cannot interleave")
    owner, member = await person(), await person()
    chat_id = await make_group(owner, member)
    removal_in_tx, release_removal = asyncio.Event(), asyncio.Event()
    post_checked = asyncio.Event()
    real_delete, real_bump = chat_store.delete_member, chat_store.bump_seq

    async def delete_member(conn: Any, chat: int, user_id: int) -> bool:
        deleted = await real_delete(conn, chat, user_id)
        removal_in_tx.set()
        await release_removal.wait()  # the removal's transaction stays open, holding the chat
        return deleted

    async def bump_seq(conn: Any, chat: int, now_ms: int, **kwargs: Any) -> int:
        if kwargs.get("last_message_id") is not None:  # the post, past its checks
            post_checked.set()
        return await real_bump(conn, chat, now_ms, **kwargs)

    monkeypatch.setattr(chat_store, "delete_member", delete_member)
    monkeypatch.setattr(chat_store, "bump_seq", bump_seq)
    removal = asyncio.create_task(
        owner.call("DELETE", f"/api/v1/chats/{chat_id}/members/{member.id}")
    )
    await removal_in_tx.wait()
    post = asyncio.create_task(
        member.call(
            "POST",
            f"/api/v1/chats/{chat_id}/messages",
            json={"text": "one last word", "client_txn_id": "late"},
        )
    )
    # The post read its membership while the removal was uncommitted: it still saw a member.
    await post_checked.wait()
    release_removal.set()
    assert (await removal).status_code == 204
    refused = await post
    assert refused.status_code == 404, refused.text  # as for any chat one is not in
    history = await owner.ok("GET", f"/api/v1/chats/{chat_id}/messages")
    assert "one last word" not in [m["text"] for m in history["messages"]]
