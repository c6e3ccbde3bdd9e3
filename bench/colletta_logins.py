"""Logins at once: the server's peak memory, and known against unknown usernames.

    python bench/colletta_logins.py [--logins 20] [--argon2-max-concurrent 2]

Starts `colletta serve` on a scratch SQLite database with the default argon2id parameters,
fires `--logins` logins at once and reads the server's peak RSS (VmHWM) before and after;
then times logins for a known username (wrong password) and an unknown one, one at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PASSWORD = "a long benchmark password"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def login_ms(client: httpx.AsyncClient, username: str, password: str) -> float:
    started = time.perf_counter()
    await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return (time.perf_counter() - started) * 1000


async def run(args: argparse.Namespace) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    scratch = tempfile.mkdtemp(prefix="colletta-logins-")
    colletta = str(Path(sys.executable).parent / "colletta")
    env = {
        **os.environ,
        "COLLETTA_DATA_DIR": scratch,
        "COLLETTA_RATE_LIMITS_ENABLED": "false",
        "COLLETTA_ARGON2_MAX_CONCURRENT": str(args.argon2_max_concurrent),
        "COLLETTA_LOG_LEVEL": "warning",
    }
    subprocess.run([colletta, "migrate"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([colletta, "serve", "--port", str(port)], env=env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            while True:
                try:
                    await client.get("/api/openapi.json")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            body = {"username": "bench_user", "password": PASSWORD}
            await client.post("/api/v1/auth/register", json=body)
            await login_ms(client, "bench_user", PASSWORD)
            before = peak_rss_mb(server.pid)
            started = time.perf_counter()
            await asyncio.gather(
                *(login_ms(client, "bench_user", PASSWORD) for _ in range(args.logins))
            )
            took_s = time.perf_counter() - started
            after = peak_rss_mb(server.pid)
            print(
                f"{args.logins} logins at once (argon2_max_concurrent="
                f"{args.argon2_max_concurrent}): peak RSS {before:.0f} -> {after:.0f} MB, "
                f"{took_s:.2f} s"
            )
            for label, name in (("known", "bench_user"), ("unknown", "nobody_at_all")):
                times = [await login_ms(client, name, "wrong password!") for _ in range(10)]
                print(f"{label} username, wrong password: median {statistics.median(times):.0f} ms")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--argon2-max-concurrent", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
