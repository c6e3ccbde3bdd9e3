"""`colletta order …` and `colletta preserved …` as the operator runs them, against the real
server; anyone else is told there is no such thing."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from colletta_sdk import Client, cli
from colletta_sdk.models import User

from colletta.actions.accounts import do_create_operator
from colletta.clock import FakeClock
from tests.conftest import PASSWORD, Server
from tests.sdk.conftest import Cli

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]


@pytest.fixture(autouse=True)
def cli_clock(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    monkeypatch.setattr(cli, "_now_ms", clock.now_ms)
    return clock


async def test_the_operator_registers_an_order_and_reads_its_record(
    server: Server, make_user: MakeUser, clock: FakeClock, config_dir: object
) -> None:
    uploader, _ = await make_user()
    chat = await uploader.create_chat("group", "Propaganda")
    bad = await uploader.send_message(chat.id, "glorifying an attack")
    kept = await uploader.send_message(chat.id, "an ordinary message")
    name = f"op{secrets.token_hex(4)}"
    await do_create_operator(server.app.state.ctx, name, PASSWORD)
    async with Client(server.url) as operator:
        await operator.login(name, PASSWORD)
        as_operator, as_uploader = Cli(operator, server.url), Cli(uploader, server.url)
        received = datetime.fromtimestamp(clock.now_ms() / 1000, UTC).isoformat()
        clock.advance(2_000)
        out = await as_operator(
            *("order", "register", "--authority", "Europol IRU", "--reference", "IRU-7"),
            *("--reasons", "Terrorist content", "--item", f"message:{bad.id}"),
            *("--received-at", received, "--no-notify", "--secret-days", "10"),
        )
        assert "executed in 2.000 s (within the one-hour limit)" in out
        assert f"message:{bad.id}: removed" in out
        secret_until = datetime.fromtimestamp(clock.now_ms() / 1000 + 10 * 86_400, UTC)
        assert f"are not told (the authority asked so) until {secret_until:%Y-%m-%d}" in out
        order_id = re.search(r"Order (\d+):", out)
        assert order_id
        renewed = datetime.fromtimestamp(clock.now_ms() / 1000 + 30 * 86_400, UTC)
        out = await as_operator(
            "order", "extend-secrecy", order_id[1], "--until", renewed.isoformat()
        )
        assert f"uploaders told {renewed:%Y-%m-%d}" in out
        too_late = renewed.replace(year=renewed.year + 1).isoformat()
        refused = await as_operator(
            "order", "extend-secrecy", order_id[1], "--until", too_late, code=1
        )
        assert "six weeks" in refused
        assert (await uploader.message(chat.id, bad.id)).text is None
        assert (await uploader.message(chat.id, kept.id)).text == "an ordinary message"

        listed = await as_operator("order", "list")
        assert order_id[1] in listed
        assert "IRU-7" in listed
        shown = json.loads(await as_operator("order", "show", order_id[1], "--json"))
        assert shown["confirmation"]["items"][0]["outcome"] == "removed"
        assert shown["execution_ms"] == 2_000
        preserved = await as_operator("preserved", "list", "--order", order_id[1])
        assert "order" in preserved
        assert chat.id in preserved

        refused = await as_uploader("order", "list", code=1)
        assert "Not found" in refused
        await as_uploader(
            *("order", "register", "--authority", "me", "--reference", "x"),
            *("--reasons", "x", "--item", f"message:{kept.id}"),
            code=1,
        )
        assert (await uploader.message(chat.id, kept.id)).text == "an ordinary message"
