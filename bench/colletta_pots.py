#!/usr/bin/env python3
"""Pots: confirmed contributions per second through the payment webhook path.

  python colletta_pots.py --url URL --dir DIR pots -N 20000 -C 64 \
      [--database-url URL] [--colletta .venv/bin/colletta]

Setup (not measured): --users users register; the first opens a group, the others join by
invite; the first opens a pot (keep_what_you_raise, a goal far out of reach, no caps). Then N
contributions are started over the API (`POST /api/v1/pots/{id}/contributions`, spread over
the users, --setup-concurrency at a time); each answer carries the sandbox's checkout URL,
whose token is the payment the sandbox made (payment id, amount, currency, metadata), signed
with the sandbox secret. The driver checks that signature and builds from the token exactly
the `payment.succeeded` event the sandbox itself sends when the payer confirms (the same JSON,
the same event id), signed the way the sandbox signs it (`Stripe-Signature:
t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`).

Measured: the N webhooks are POSTed to `/api/v1/payments/webhooks/sandbox`, C in flight, each
signed as it is sent. confirmed/s = N / (first request's start to the last 200); latency of
the webhook POST (p50/p99); server and driver CPU over the window.

Checked afterwards: the pot's raised_minor equals the sum of the N amounts, every
contribution is `posted` (listed by the pot), a sample of --replays webhooks sent again
changes nothing, and `colletta admin check-ledger` on the server's database exits 0.

The sandbox secret: env COLLETTA_SANDBOX_WEBHOOK_SECRET (what the server was given), else
DIR/data/sandbox-secret (the one the server made).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time

from colletta_common import (
    API,
    CpuWindow,
    base_parser,
    bounded_gather,
    driver_main,
    log,
    make_room,
    new_prefix,
    now,
    summary_ms,
)

WEBHOOK_PATH = f"{API}/payments/webhooks/sandbox"
CHECKOUT_PREFIX = "/pay/sandbox/"
CURRENCY = "EUR"
GOAL_MINOR = 10**14  # out of reach: the pot stays open and collecting


def sandbox_secret(env):
    """The secret the server's sandbox signs with."""
    secret = os.environ.get("COLLETTA_SANDBOX_WEBHOOK_SECRET", "")
    if secret:
        return secret
    with open(os.path.join(env.dir, "data", "sandbox-secret")) as f:
        return f.read().strip()


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sandbox:
    """What the sandbox provider does with its secret (colletta/payments/sandbox.py and
    signing.py), re-done here without importing the server."""

    def __init__(self, secret):
        self.secret = secret.encode()
        self.token_key = hmac.new(self.secret, b"sandbox checkout token", "sha256").digest()

    def checkout(self, checkout_url):
        """The payment a checkout URL's token stands for; refuses a token not signed by the
        sandbox with this secret."""
        token = checkout_url.rsplit(CHECKOUT_PREFIX, 1)[1]
        payload, _, mac = token.partition(".")
        want = _b64(hmac.new(self.token_key, payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, want):
            raise RuntimeError("checkout token not signed with the given sandbox secret")
        return json.loads(_unb64(payload))

    def digest(self, text):
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:24]

    def succeeded_body(self, checkout, created_s):
        """The `payment.succeeded` event the sandbox sends once the payer confirms
        (`SandboxProvider._send_later`: orjson.dumps of this dict, compact, in this order)."""
        payment_id = checkout["p"]
        kind = "payment.succeeded"
        event = {
            "id": "evt_sbx_" + self.digest(f"event:{kind}:{payment_id}"),
            "object": "event",
            "type": kind,
            "created": created_s,
            "data": {
                "object": {
                    "id": payment_id,
                    "payment_id": payment_id,
                    "amount_minor": checkout["a"],
                    "currency": checkout["c"],
                    "metadata": checkout["m"],
                }
            },
        }
        return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()

    def headers(self, body):
        """Signed now, as the sandbox signs each delivery attempt."""
        t = int(time.time())
        sig = hmac.new(self.secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={sig}"}


def amount_of(i):
    """The i-th contribution's amount in cents: 1.00 to 99.99 EUR, varied."""
    return 100 + (i * 7919) % 9900


async def start_contributions(cx, users, pot_id, n, concurrency):
    """n pending contributions, round-robin over the users; returns their views, in order."""

    async def one(i):
        token = users[i % len(users)][1]
        return await cx.req_json(
            "POST",
            f"{API}/pots/{pot_id}/contributions",
            token,
            ok=(201,),
            body={"client_id": f"bench-{i}", "amount_minor": amount_of(i), "currency": CURRENCY},
        )

    return await bounded_gather([one(i) for i in range(n)], concurrency)


async def post_webhooks(cx, sandbox, bodies, concurrency):
    """POST every body (C in flight); returns (latencies s of the 200s, errors, t_first,
    t_last_ok)."""
    url = cx.base + WEBHOOK_PATH
    todo = list(reversed(bodies))
    lat, errors = [], []
    st = {"first": None, "last": None}

    async def worker():
        while todo:
            body = todo.pop()
            t0 = now()
            if st["first"] is None:
                st["first"] = t0
            async with cx.session.post(url, data=body, headers=sandbox.headers(body)) as resp:
                data = await resp.read()
                status = resp.status
            t1 = now()
            if status == 200:
                lat.append(t1 - t0)
                st["last"] = t1
            else:
                errors.append(f"{status}: {data[:200]!r}")

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(bodies)))))
    return lat, errors, st["first"], st["last"]


async def list_statuses(cx, token, pot_id):
    """{contribution id: status} of every contribution the pot lists (posted, refunding,
    refunded), page by page."""
    out, after = {}, None
    while True:
        params = {"limit": "200"}
        if after:
            params["after"] = after
        page = await cx.req_json("GET", f"{API}/pots/{pot_id}/contributions", token, params=params)
        for c in page["contributions"]:
            out[c["id"]] = c["status"]
        after = page.get("next_after")
        if not after:
            return out


def check_ledger(exe, env, database_url):
    """`colletta admin check-ledger` on the server's database: (exit code, last line)."""
    cmd = [exe, "admin", "check-ledger", "--data-dir", os.path.join(env.dir, "data")]
    if database_url:
        cmd += ["--database-url", database_url]
    t0 = now()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = (r.stdout + r.stderr).strip().splitlines()
    return {
        "exit_code": r.returncode,
        "output": lines[-1] if lines else "",
        "problems": lines[:-1][:10] if r.returncode else [],
        "seconds": round(now() - t0, 2),
    }


async def pots(cx, a, env):
    """Setup, N webhooks in the window, then the checks."""
    pid = env.server_pid()
    sandbox = Sandbox(sandbox_secret(env))
    users, chat_id, setup = await make_room(cx, a.users, new_prefix("pot"))
    admin = users[0][1]
    pot = await cx.req_json(
        "POST",
        f"{API}/chats/{chat_id}/pots",
        admin,
        ok=(201,),
        body={
            "title": "bench pot",
            "currency": CURRENCY,
            "goal_minor": GOAL_MINOR,
            "deadline_at_ms": int(time.time() * 1000) + 30 * 86_400_000,
            "model": "keep_what_you_raise",
        },
    )
    pot_id = pot["id"]
    t0 = now()
    views = await start_contributions(cx, users, pot_id, a.contributions, a.setup_concurrency)
    setup["start_contributions_s"] = round(now() - t0, 2)
    log(f"pot {pot_id}: {len(views):,} pending contributions in {now() - t0:.1f}s")
    created_s = int(time.time())
    bodies, expected = [], 0
    for i, v in enumerate(views):
        if v["status"] != "pending" or not v.get("checkout_url"):
            raise RuntimeError(f"contribution {v['id']} is not pending with a checkout: {v!r}")
        co = sandbox.checkout(v["checkout_url"])
        if co["m"].get("contribution_id") != v["id"] or co["a"] != amount_of(i):
            raise RuntimeError(f"checkout of contribution {v['id']} does not match it: {co!r}")
        bodies.append(sandbox.succeeded_body(co, created_s))
        expected += co["a"]

    t_window = time.time()
    cpu = CpuWindow(pid)
    lat, errors, t_first, t_last = await post_webhooks(cx, sandbox, bodies, a.concurrency)
    cpu_res = cpu.result()
    confirmed = len(lat)
    wall = (t_last - t_first) if t_first is not None and t_last is not None else None
    rate = round(confirmed / wall, 1) if wall else None
    log(
        f"pots: {confirmed:,} webhooks answered 200 in {wall or 0:.2f}s = {rate} confirmed/s, "
        f"errors {len(errors)}, server CPU {cpu_res.get('server_cpu_pct')}%"
    )

    after = await cx.req_json("GET", f"{API}/pots/{pot_id}", admin)
    statuses = await list_statuses(cx, admin, pot_id)
    want_ids = {v["id"] for v in views}
    posted = sum(1 for k, s in statuses.items() if k in want_ids and s == "posted")
    # Replays: the same events again (signed afresh) must change nothing.
    replay_bodies = bodies[:: max(1, len(bodies) // a.replays)][: a.replays] if a.replays else []
    r_lat, r_err, _, _ = await post_webhooks(cx, sandbox, replay_bodies, a.concurrency)
    after_replay = await cx.req_json("GET", f"{API}/pots/{pot_id}", admin)
    ledger = check_ledger(a.colletta, env, a.database_url)
    log(f"check-ledger: exit {ledger['exit_code']}: {ledger['output']}")
    checks = {
        "raised_minor": after["raised_minor"],
        "expected_raised_minor": expected,
        "raised_ok": after["raised_minor"] == expected,
        "contributor_count": after["contributor_count"],
        "expected_contributors": min(a.users, a.contributions),
        "contributors_ok": after["contributor_count"] == min(a.users, a.contributions),
        "posted": posted,
        "all_posted": posted == len(views),
        "replays_sent": len(replay_bodies),
        "replays_ok": len(r_lat),
        "replay_errors": len(r_err),
        "replays_changed_nothing": after_replay["raised_minor"] == after["raised_minor"]
        and after_replay["contributor_count"] == after["contributor_count"],
    }
    ok = (
        checks["raised_ok"]
        and checks["contributors_ok"]
        and checks["all_posted"]
        and checks["replays_changed_nothing"]
        and not errors
        and ledger["exit_code"] == 0
    )
    return {
        "workload": "pots",
        "database": "postgresql" if a.database_url else "sqlite",
        "contributions": a.contributions,
        "concurrency": a.concurrency,
        "users": a.users,
        "confirmed": confirmed,
        "confirmed_per_s": rate,
        "window_s": round(wall, 3) if wall else None,
        "window_started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_window)),
        "webhook_latency_ms": summary_ms(lat),
        "errors": len(errors),
        "error_samples": errors[:5],
        "cpu": cpu_res,
        "checks": checks,
        "check_ledger": ledger,
        "ok": ok,
        "setup": setup,
        "room_id": chat_id,
        "pot_id": pot_id,
    }


def main():
    """Parse and run; one JSON line on stdout."""
    p = base_parser(__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("pots", help="confirmed contributions/s through the webhook path")
    s.add_argument("-N", "--contributions", type=int, default=20000, help="webhooks measured")
    s.add_argument("-C", "--concurrency", type=int, default=64, help="webhooks in flight")
    s.add_argument("-U", "--users", type=int, default=8, help="contributors (the first: admin)")
    s.add_argument("--setup-concurrency", type=int, default=16, help="contributions started")
    s.add_argument("--replays", type=int, default=200, help="webhooks sent again afterwards")
    s.add_argument(
        "--database-url", default=None, help="the server's COLLETTA_DATABASE_URL (check-ledger)"
    )
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    s.add_argument(
        "--colletta",
        default=os.path.join(here, ".venv", "bin", "colletta"),
        help="the colletta executable for check-ledger",
    )
    a = p.parse_args()
    driver_main(a, {"pots": pots})


if __name__ == "__main__":
    main()
