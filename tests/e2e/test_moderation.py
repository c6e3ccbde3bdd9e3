"""Report → warn → report → suspend → statement → complaint → reversal, through two real
server processes on PostgreSQL and Redis, with the SDK: the suspension reaches the poster's
socket on the other node, and the reversal lets them back in."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from colletta_sdk import Client

from tests.conftest import PASSWORD, PG_URL, register_and_login
from tests.e2e.nodes import BIN, Node, nodes_on_postgres_and_redis
from tests.live_client import Live

RISK = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"


@pytest.fixture
async def two_nodes(tmp_path: Path) -> AsyncIterator[tuple[Node, ...]]:
    async with nodes_on_postgres_and_redis(tmp_path, {}, {}) as nodes:
        yield nodes


async def _grant(username: str) -> None:
    """`colletta admin grant USER moderator`, as the operator runs it."""
    done = await asyncio.to_thread(
        subprocess.run,
        [str(BIN), "admin", "grant", username, "moderator"],
        env={**os.environ, "COLLETTA_DATABASE_URL": PG_URL},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


async def _sdk(url: str, username: str) -> Client:
    client = Client(url)
    await client.login(username, PASSWORD)
    return client


async def test_report_act_statement_appeal_reversal(two_nodes: tuple[Node, ...]) -> None:
    node_a, node_b = two_nodes
    async with (
        httpx.AsyncClient(base_url=node_a.url) as on_a,
        httpx.AsyncClient(base_url=node_b.url) as on_b,
    ):
        poster, reporter, mod, other = [await register_and_login(on_a) for _ in range(4)]
        await _grant(mod.username)
        await _grant(other.username)
        clients = [
            await _sdk(node_a.url, reporter.username),
            await _sdk(node_a.url, mod.username),
            await _sdk(node_a.url, other.username),
            await _sdk(node_b.url, poster.username),
        ]
        as_reporter, as_mod, as_other, as_poster = clients
        try:
            channel = await as_poster.create_chat("channel", "Front news", is_public=True)
            await as_reporter.subscribe(channel.id)

            async def reported_case(text: str) -> str:
                post = await as_poster.send_message(channel.id, text)
                await as_reporter.report(
                    "message", post.id, RISK, "fundraising for weapons", chat_id=channel.id
                )
                queue = await as_mod.mod_queue()
                return str(queue["cases"][0]["id"])

            warned = await as_mod.mod_act(
                await reported_case("donate for rifles"), "warn", "Weapons."
            )
            assert warned["action"]["statement_id"] is not None

            live = await Live.open(node_b.ws_url, poster.token)
            case_id = await reported_case("donate for rifles, again")
            suspended = await as_mod.mod_act(case_id, "suspend", "Again.", duration_s=86_400)
            statement_id = suspended["action"]["statement_id"]
            # The poster's socket on the other node closes; their token works nowhere.
            assert await live.until_closed() == 4401
            me = await on_b.get("/api/v1/me", headers={"Authorization": f"Bearer {poster.token}"})
            assert me.status_code == 401
            login = await on_b.post(
                "/api/v1/auth/login", json={"username": poster.username, "password": PASSWORD}
            )
            assert login.status_code == 403
            assert login.json()["statement_id"] == statement_id

            filed = await on_b.post(
                "/api/v1/complaints/restricted",
                json={
                    "username": poster.username,
                    "password": PASSWORD,
                    "statement_id": statement_id,
                    "text": "I was quoting a news report.",
                },
            )
            assert filed.status_code == 201, filed.text
            queue = await as_other.mod_queue()
            assert [(c["id"], c["kind"]) for c in queue["cases"]] == [
                (filed.json()["id"], "appeal")
            ]
            decided = await as_other.mod_act(filed.json()["id"], "reverse", "Quoting news.")
            assert (decided["decision"], decided["undone"]) == ("reversed", ["suspend"])

            back = await _sdk(node_b.url, poster.username)
            clients.append(back)
            kinds = [n.kind for n in await back.notices()]
            assert "appeal.decided" in kinds
            assert statement_id in [s.id for s in await back.statements()]
            told = await as_reporter.notices()
            assert [n.data["outcome"] for n in told if n.kind == "report.decided"] == [
                "action_taken",
                "action_taken",
            ]
        finally:
            for client in clients:
                await client.aclose()
