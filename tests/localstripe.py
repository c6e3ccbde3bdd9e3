"""A `localstripe` process (a stateful fake Stripe server, which also serves a fake Stripe.js
at /js.stripe.com/v3/) for the tests that take payments with the Stripe provider.

In CI it must start; elsewhere the tests that need it skip when it cannot."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI

SECRET_KEY = "sk_test_colletta"
PUBLISHABLE_KEY = "pk_test_colletta"
WEBHOOK_SECRET = "whsec_colletta_test"
START_TIMEOUT_S = 30.0
# The events Colletta's webhook endpoint is subscribed to (the ones localstripe sends).
EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payout.created")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cannot_start(why: str) -> None:
    if IN_CI:
        pytest.fail(f"localstripe must run in CI: {why}")
    pytest.skip(f"localstripe cannot start here: {why}")


@contextmanager
def running_localstripe(log_dir: Path) -> Iterator[str]:
    """A localstripe process on a free port; its base URL."""
    port = free_port()
    log_path = log_dir / "localstripe.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                _cannot_start(f"exited with {process.returncode}: {log_path.read_text()[-500:]}")
            try:
                httpx.get(f"{url}/v1/balance", auth=(SECRET_KEY, ""), timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    _cannot_start(f"no answer on port {port} in {START_TIMEOUT_S} s")
                time.sleep(0.1)  # polling a process that is starting
        yield url
    finally:
        process.terminate()
        process.wait(10)


def webhook_form(server_url: str) -> tuple[str, dict[str, str]]:
    """The path and form that point a new localstripe webhook endpoint at `server_url`
    (localstripe keeps the endpoints of earlier tests too: one per test)."""
    form = {"url": f"{server_url}/api/v1/payments/webhooks/stripe", "secret": WEBHOOK_SECRET}
    form.update({f"events[{i}]": name for i, name in enumerate(EVENTS)})
    return f"/_config/webhooks/colletta-{secrets.token_hex(4)}", form
