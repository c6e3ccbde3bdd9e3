"""Real `colletta serve` processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.conftest import PG_URL, REDIS_URL, need

BIN = Path(sys.executable).parent / "colletta"
START_TIMEOUT_S = 90.0  # a worker process imports for seconds on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Node:
    """One server process; `url` once started."""

    def __init__(self, data_dir: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/api/v1/ws"
        self.data_dir = data_dir
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"node-{self.port}.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "COLLETTA_RATE_LIMITS_ENABLED": "false",
            "COLLETTA_ARGON2_TIME_COST": "1",
            "COLLETTA_ARGON2_MEMORY_KIB": "64",
            "COLLETTA_LOG_LEVEL": "warning",
            **{f"COLLETTA_{k.upper()}": v for k, v in self.settings.items()},
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("node did not start in time")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@asynccontextmanager
async def nodes_on_postgres_and_redis(
    data_dir: Path, *per_node: dict[str, str]
) -> AsyncIterator[tuple[Node, ...]]:
    """One started node per settings dict, all on the test PostgreSQL (emptied) and Redis."""
    need(PG_URL, "COLLETTA_TEST_DATABASE_URL")
    need(REDIS_URL, "COLLETTA_TEST_REDIS_URL")
    from tests.conftest import _fresh_postgres

    await _fresh_postgres()
    nodes = tuple(
        Node(data_dir, database_url=PG_URL, bus_url=REDIS_URL, **extra) for extra in per_node
    )
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
