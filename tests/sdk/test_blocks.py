"""Blocking through the SDK and the CLI, against the real server."""

from __future__ import annotations

import pytest
from colletta_sdk import ApiError, RealtimeClient

from tests.sdk.conftest import Cli
from tests.sdk.test_server import MakeUser, group_with, next_of, token_of


async def test_block_through_the_sdk(server_url: str, make_user: MakeUser) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    carol, carol_user = await make_user()
    chat = await group_with(ann, bob_user, carol_user)
    dm = await bob.direct_chat((await ann.me()).id)

    block = await ann.block(bob_user.id)
    assert (block.user_id, block.username) == (bob_user.id, bob_user.username)
    assert [b.user_id for b in await ann.blocks()] == [bob_user.id]
    with pytest.raises(ApiError) as refused:
        await bob.send_message(dm.id, "hi")
    assert (refused.value.status, refused.value.type_slug) == (403, "privacy_restricted")

    rt = RealtimeClient(server_url, token_of(ann), {chat.id: (await ann.chat(chat.id)).last_seq})
    shown = RealtimeClient(
        server_url,
        token_of(ann),
        {chat.id: (await ann.chat(chat.id)).last_seq},
        include_blocked=True,
    )
    try:
        hidden_live, shown_live = rt.events(), shown.events()
        sent = await bob.send_message(chat.id, "from bob")
        event = await next_of(hidden_live, "message.created", chat.id)
        assert event.message is not None
        assert (event.message.id, event.message.text, event.message.from_blocked) == (
            sent.id,
            None,
            True,
        )
        event = await next_of(shown_live, "message.created", chat.id)
        assert event.message is not None
        assert event.message.text == "from bob"
    finally:
        await rt.close()
        await shown.close()

    page = await ann.history(chat.id)
    assert [(m.text, m.from_blocked) for m in page.messages] == [(None, True)]
    page = await ann.history(chat.id, include_blocked=True)
    assert [m.text for m in page.messages] == ["from bob"]
    assert (await ann.message(chat.id, sent.id, include_blocked=True)).text == "from bob"
    synced = await ann.sync({chat.id: 0})
    assert [e.message.text for e in synced.events if e.message] == [None]
    synced = await ann.sync({chat.id: 0}, include_blocked=True)
    assert [e.message.text for e in synced.events if e.message] == ["from bob"]
    assert (await carol.history(chat.id)).messages[0].text == "from bob"

    await ann.unblock(bob_user.id)
    assert await ann.blocks() == []
    await bob.send_message(dm.id, "hi")


async def test_block_through_the_cli(
    server_url: str, make_user: MakeUser, config_dir: object
) -> None:
    ann, _ = await make_user()
    bob, bob_user = await make_user()
    chat = await group_with(ann, bob_user, title="Allotment")
    await bob.send_message(chat.id, "my marrows are bigger")
    as_ann = Cli(ann, server_url)
    assert "no one" in await as_ann("blocks")
    assert f"Blocked {bob_user.username}." in await as_ann("block", bob_user.username)
    assert bob_user.username in await as_ann("blocks")
    history = await as_ann("history", "Allotment")
    assert "(from a user you blocked)" in history
    assert "marrows" not in history
    assert f"Unblocked {bob_user.username}." in await as_ann("unblock", bob_user.username)
    assert "marrows" in await as_ann("history", "Allotment")
    await as_ann("block", "nobody_by_that_name", code=1)
