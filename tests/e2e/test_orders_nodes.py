"""A removal order registered on node A: the message is gone for a reader on node B, live,
within 5 s (the legal limit is one hour), and its file is refused by node B."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import PASSWORD, PG_URL, Person, register_and_login
from tests.e2e.nodes import BIN, nodes_on_postgres_and_redis
from tests.live_client import Live
from tests.orders.helpers import jpeg
from tests.test_media import send_with, upload
from tests.test_messages import make_group

LIMIT_MS = 5_000


def create_operator(data_dir: Path, username: str) -> None:
    env = {
        **os.environ,
        "COLLETTA_DATABASE_URL": PG_URL,
        "COLLETTA_DATA_DIR": str(data_dir),
        "COLLETTA_NEW_PASSWORD": PASSWORD,
        "COLLETTA_ARGON2_TIME_COST": "1",
        "COLLETTA_ARGON2_MEMORY_KIB": "64",
    }
    subprocess.run([str(BIN), "admin", "create-operator", username], env=env, check=True)


async def test_an_order_on_node_a_removes_the_message_for_a_reader_on_node_b_within_5_s(
    tmp_path: Path,
) -> None:
    async with (
        nodes_on_postgres_and_redis(tmp_path, {}, {}) as (node_a, node_b),
        httpx.AsyncClient(base_url=node_a.url) as on_a,
        httpx.AsyncClient(base_url=node_b.url) as on_b,
    ):
        create_operator(tmp_path, "op_orders")
        login = await on_a.post(
            "/api/v1/auth/login", json={"username": "op_orders", "password": PASSWORD}
        )
        op = Person(login.json()["user"]["id"], "op_orders", login.json()["token"], on_a)
        alice, bob = await register_and_login(on_a), await register_and_login(on_a)
        chat_id = await make_group(alice, bob)
        media = (await upload(alice, chat_id, jpeg(7), "flag.jpg")).json()
        bad = (await send_with(alice, chat_id, [media["id"]], text="propaganda")).json()
        kept = (await send_with(alice, chat_id, [], text="ordinary")).json()
        bob_on_b = Person(bob.id, bob.username, bob.token, on_b)
        media_path = f"/api/v1/chats/{chat_id}/media/{media['id']}"
        assert (await bob_on_b.call("GET", media_path)).status_code == 200
        live = await Live.open(node_b.ws_url, bob.token, {chat_id: kept["seq"]})
        try:
            received_at_ms = int(time.time() * 1000)
            started = time.monotonic()
            order = await op.ok(
                "POST",
                "/api/v1/orders",
                json={
                    "authority": "Bundeskriminalamt",
                    "reference": "TCO-2026-0042",
                    "reasons": "Terrorist content (Art. 2(7) TCO)",
                    "items": [f"message:{bad['id']}"],
                    "received_at_ms": received_at_ms,
                },
            )
            frame = await live.next_of("message.deleted")
            seen_on_b_ms = (time.monotonic() - started) * 1000
        finally:
            await live.close()
        assert frame["message_id"] == bad["id"]
        # What the operator is shown is what the law measures: received → executed.
        assert 0 <= order["execution_ms"] < LIMIT_MS
        assert seen_on_b_ms < LIMIT_MS
        print(
            f"executed {order['execution_ms']} ms after receipt; on node B at {seen_on_b_ms:.0f} ms"
        )
        assert (await bob_on_b.call("GET", media_path)).status_code == 404
        gone = await bob_on_b.ok("GET", f"/api/v1/chats/{chat_id}/messages/{bad['id']}")
        assert gone["text"] is None
        still = await bob_on_b.ok("GET", f"/api/v1/chats/{chat_id}/messages/{kept['id']}")
        assert still["text"] == "ordinary"
