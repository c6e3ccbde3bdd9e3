"""The inbox and statements of reasons from the SDK against the real server: a refused pot
reaches its organiser as a notice and a statement; a moderator reads the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from colletta_sdk import ApiError, Client
from colletta_sdk.models import User

from colletta.actions.moderators import Grant, do_set_grant
from colletta.clock import FakeClock
from tests.conftest import Server
from tests.sdk.conftest import Cli

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]
DAY_MS = 86_400_000


async def test_a_refused_pot_lands_in_the_organisers_inbox(
    server: Server, make_user: MakeUser, clock: FakeClock
) -> None:
    organiser, _ = await make_user()
    moderator, moderator_user = await make_user()
    chat = await organiser.create_chat("group", "Brigade")
    with pytest.raises(ApiError) as refused:
        await organiser.create_pot(
            chat.id, "Rifles and ammo for the brigade", "EUR", 50_000, clock.now_ms() + DAY_MS
        )
    assert refused.value.status == 403
    [notice] = await organiser.notices()
    assert notice.kind == "statement"
    [statement] = await organiser.statements()
    assert statement.id == notice.data["statement"]["id"]
    assert statement.automated
    assert statement.rule_ids
    assert "Rifles and ammo" in statement.facts
    assert await organiser.notices(after=notice.id) == []

    with pytest.raises(ApiError) as hidden:
        await moderator.statement(statement.id)
    assert hidden.value.status == 404
    with pytest.raises(ApiError):
        await moderator.audit_log()
    ctx: Any = server.app.state.ctx
    await do_set_grant(ctx, moderator_user.username, Grant.MODERATOR, True)
    exported = await moderator.statement(statement.id, transparency_db=True)
    assert exported["decision_monetary"] == "DECISION_MONETARY_TERMINATION"
    actions = [entry["action"] for entry in await moderator.audit_log()]
    assert actions[:2] == ["grant.moderator", "statement.issued"]


async def test_the_cli_inbox_shows_the_statement(
    server: Server, make_user: MakeUser, clock: FakeClock, config_dir: Path
) -> None:
    organiser, _ = await make_user()
    as_organiser = Cli(organiser, server.url)
    assert "Your inbox is empty." in await as_organiser("inbox")
    chat = await organiser.create_chat("group", "Brigade")
    with pytest.raises(ApiError):
        await organiser.create_pot(
            chat.id, "Buy grenades for the fighters", "EUR", 50_000, clock.now_ms() + DAY_MS
        )
    inbox = await as_organiser("inbox")
    assert "Statement of reasons: The pot “Buy grenades for the fighters”" in inbox
    table = await as_organiser("inbox", "--statements")
    assert "Rules: explosives" in table
    assert "automated decision" in table
    assert "within 6 months" in table
