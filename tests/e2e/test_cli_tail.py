"""`colletta tail` follows a chat live and keeps following across a server restart."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from tests.conftest import register_and_login
from tests.e2e.nodes import BIN, Node
from tests.test_messages import make_group, send

LINE_TIMEOUT_S = 30


async def _line_with(stream: asyncio.StreamReader, needle: str) -> str:
    async with asyncio.timeout(LINE_TIMEOUT_S):
        while True:
            line = (await stream.readline()).decode()
            assert line, "tail exited"
            if needle in line:
                return line


async def test_tail_survives_a_server_restart(tmp_path: Path) -> None:
    node = Node(tmp_path / "data")
    node.data_dir.mkdir()
    migrate = await asyncio.create_subprocess_exec(
        str(BIN), "migrate", "--data-dir", str(node.data_dir)
    )
    assert await migrate.wait() == 0
    node.start()
    tail = None
    try:
        async with httpx.AsyncClient(base_url=node.url) as http:
            ann = await register_and_login(http)
            chat_id = await make_group(ann)
            await send(ann, chat_id, "before tail")
            env = {
                **os.environ,
                "COLLETTA_SERVER": node.url,
                "COLLETTA_TOKEN": ann.token,
                "COLLETTA_CONFIG_DIR": str(tmp_path / "cli"),
            }
            tail = await asyncio.create_subprocess_exec(
                str(BIN),
                "tail",
                chat_id,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert tail.stdout is not None
            assert tail.stderr is not None
            assert "before tail" in await _line_with(tail.stdout, "before tail")
            await _line_with(tail.stderr, "following")
            await send(ann, chat_id, "live one")
            await _line_with(tail.stdout, "live one")

            node.stop()
            node.start()
            await send(ann, chat_id, "after restart")
            await _line_with(tail.stdout, "after restart")
    finally:
        if tail is not None and tail.returncode is None:
            tail.terminate()
            await tail.wait()
        node.stop()
