"""Shared parts of the Colletta bench drivers (colletta_load.py, colletta_expiry.py,
colletta_media.py): statistics, server CPU/RSS from /proc, a minimal HTTP + WebSocket client,
room setup, the W1 closed-loop sender, and the common command line and JSON line fields.

Runs in the bench driver interpreter (aiohttp + uvloop); loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import string
import sys
import time
from urllib.parse import urlsplit

import aiohttp

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

CLK_TCK = os.sysconf("SC_CLK_TCK")
now = time.perf_counter  # CLOCK_MONOTONIC on Linux
API = "/api/v1"
OK_SEND = (200, 201)


def log(*a):
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}]", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- statistics
def pct(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, round(p / 100.0 * len(sorted_vals) + 0.5) - 1))
    return sorted_vals[k]


def summary_ms(vals_s):
    """n, p50, p90, p99, max, mean in ms of a list of seconds."""
    v = sorted(x * 1000.0 for x in vals_s)
    if not v:
        return {"n": 0}

    def r(x):
        return round(x, 2)

    return {
        "n": len(v),
        "p50": r(pct(v, 50)),
        "p90": r(pct(v, 90)),
        "p99": r(pct(v, 99)),
        "max": r(v[-1]),
        "mean": r(sum(v) / len(v)),
    }


# ---------------------------------------------------------------- process stats
def _children(pid):
    """Direct child PIDs of pid (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def proc_tree(pid):
    """pid and all its descendants (a server may run worker processes)."""
    out, todo = [], [pid]
    while todo and len(out) < 256:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _one_cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def proc_cpu_s(pid):
    """utime+stime of the server process tree in seconds (None if pid is gone)."""
    vals = [_one_cpu_s(p) for p in proc_tree(pid)]
    if not vals or vals[0] is None:
        return None
    return sum(v for v in vals if v is not None)


def proc_mem_mb(pid):
    """VmRSS and VmHWM of the server process tree in MB."""
    tot = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    found = False
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        tot[line.split()[0]] += int(line.split()[1]) / 1024.0
                        found = True
        except OSError:
            continue
    if not found:
        return None
    return {"rss_mb": round(tot["VmRSS:"], 1), "peak_rss_mb": round(tot["VmHWM:"], 1)}


def self_cpu_s():
    """CPU seconds of this driver process."""
    t = os.times()
    return t.user + t.system


class CpuWindow:
    """CPU seconds used by the server (by PID tree) and by this driver over a window."""

    def __init__(self, server_pid):
        self.pid = server_pid
        self.t0 = now()
        self.s0 = proc_cpu_s(server_pid) if server_pid else None
        self.d0 = self_cpu_s()

    def result(self):
        """Wall, driver and server CPU seconds and percentages."""
        wall = now() - self.t0
        s1 = proc_cpu_s(self.pid) if self.pid else None
        d = self_cpu_s() - self.d0
        out = {
            "wall_s": round(wall, 2),
            "driver_cpu_s": round(d, 2),
            "driver_cpu_pct": round(100 * d / wall, 1) if wall > 0 else None,
        }
        if s1 is not None and self.s0 is not None:
            s = s1 - self.s0
            out.update(
                {
                    "server_cpu_s": round(s, 2),
                    "server_cpu_pct": round(100 * s / wall, 1) if wall > 0 else None,
                }
            )
        return out


def raise_nofile():
    """Raise RLIMIT_NOFILE to the hard limit (W2 with many WebSockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- client
class Colletta:
    """Minimal Colletta client on one aiohttp session (HTTP and WebSocket)."""

    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        host = urlsplit(self.base).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"loopback only, refusing {self.base}")
        self.ws_url = "ws" + self.base[4:] + API + "/ws"
        self.session = None

    async def __aenter__(self):
        conn = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=None)
        self.session = aiohttp.ClientSession(
            connector=conn, timeout=aiohttp.ClientTimeout(total=120, sock_connect=10)
        )
        return self

    async def __aexit__(self, *exc):
        await self.session.close()

    async def req(self, method, path, token=None, body=None, params=None, timeout=None):
        """One request; returns (status, raw body bytes)."""
        headers = {"Authorization": f"Bearer {token}"} if token else None
        kw = {}
        if timeout is not None:
            kw["timeout"] = aiohttp.ClientTimeout(total=timeout)
        async with self.session.request(
            method, self.base + path, headers=headers, json=body, params=params, **kw
        ) as resp:
            data = await resp.read()
            return resp.status, data

    async def req_json(
        self, method, path, token=None, body=None, params=None, ok=(200,), timeout=None
    ):
        """Request expecting a status in ok; returns the decoded JSON body."""
        status, data = await self.req(method, path, token, body, params, timeout)
        if status not in ok:
            raise RuntimeError(f"{method} {path} -> {status}: {data[:300]!r}")
        return json.loads(data) if data else {}

    async def register(self, username, password):
        """POST /auth/register (server with rate limits off)."""
        return await self.req_json(
            "POST",
            f"{API}/auth/register",
            ok=(200, 201),
            body={"username": username, "password": password},
        )

    async def login(self, username, password):
        """POST /auth/login; returns (token, user_id)."""
        r = await self.req_json(
            "POST",
            f"{API}/auth/login",
            body={"username": username, "password": password, "device_name": "bench"},
        )
        return r["token"], r["user"]["id"]

    async def create_room(self, token, name):
        """A group chat; returns its id."""
        r = await self.req_json(
            "POST", f"{API}/chats", token, ok=(200, 201), body={"kind": "group", "title": name}
        )
        return r["id"]

    async def create_invite(self, token, chat_id):
        """An invite link without approval; returns its code."""
        r = await self.req_json(
            "POST",
            f"{API}/chats/{chat_id}/invites",
            token,
            ok=(200, 201),
            body={"requires_approval": False},
        )
        return r["code"]

    async def join(self, token, code):
        """Join through an invite link."""
        r = await self.req_json("POST", f"{API}/invites/{code}/join", token, ok=(200, 201))
        if r.get("status") != "joined":
            raise RuntimeError(f"join via invite {code}: {r!r}")

    async def set_message_ttl(self, token, chat_id, seconds):
        """The chat's auto-delete timer (PUT …/message-ttl)."""
        return await self.req_json(
            "PUT", f"{API}/chats/{chat_id}/message-ttl", token, body={"message_ttl_s": seconds}
        )

    async def send_text(self, token, chat_id, txn, text, attachments=None):
        """POST a text message; returns (status, raw body)."""
        body = {"text": text, "client_txn_id": txn}
        if attachments:
            body["attachments"] = attachments
        return await self.req("POST", f"{API}/chats/{chat_id}/messages", token, body=body)

    async def ws_ready(self, token, timeout_s=30):
        """A WebSocket authenticated with empty cursors, returned once `ready` arrived."""
        ws = await self.session.ws_connect(
            self.ws_url,
            autoping=True,
            heartbeat=None,
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
            max_msg_size=0,
        )
        await ws.send_str(json.dumps({"type": "auth", "token": token, "cursors": {}}))
        deadline = now() + timeout_s
        while now() < deadline:
            msg = await ws.receive(timeout=max(0.1, deadline - now()))
            if msg.type != aiohttp.WSMsgType.TEXT:
                await ws.close()
                raise RuntimeError(f"WebSocket: {msg.type} {msg.data!r} before ready")
            if json.loads(msg.data).get("type") == "ready":
                return ws
        await ws.close()
        raise RuntimeError(f"WebSocket: no ready within {timeout_s} s")


WS_ENDS = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.ERROR,
)


def ws_close_reason(ws, msg):
    """Why a WebSocket ended (msg.type in WS_ENDS): the close data or error, and close code."""
    why = msg.data if msg.type == aiohttp.WSMsgType.CLOSE else msg.type.name
    if msg.type == aiohttp.WSMsgType.ERROR:
        why = type(msg.data).__name__
    return f"{why} {ws.close_code}"


def body_text(tag, n=100):
    """A 100-byte message body starting with tag."""
    return (tag + " " + "x" * n)[:n]


async def bounded_gather(coros, concurrency):
    """gather with at most `concurrency` coroutines running."""
    sem = asyncio.Semaphore(concurrency)

    async def one(c):
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def make_room(cx, n_users, prefix, concurrency=8, pool_path=None):
    """Register + log in n_users, user 0 creates a group, the rest join via an invite.

    With pool_path, users (and their tokens) already in that pool file are reused and only
    the missing ones registered (a deviation from "fresh users per run", for setups too big
    to register afresh each time). Returns (users [(user_id, token, username, password)],
    chat_id, timings).
    """
    t0 = now()
    pool = _load_pool(pool_path, cx.base) if pool_path else []
    reused = pool[:n_users]
    if reused and not await _token_ok(cx, reused[0][1]):
        log("user pool: tokens no longer valid, registering afresh")
        pool, reused = [], []
    names = [f"{prefix}_{i}" for i in range(len(reused), n_users)]
    pw = "pw-" + prefix

    async def reg_login(name):
        await cx.register(name, pw)
        token, uid = await cx.login(name, pw)
        return (uid, token, name, pw)

    fresh = await bounded_gather([reg_login(n) for n in names], concurrency)
    users = [tuple(u) for u in reused] + fresh
    if pool_path and fresh:
        _save_pool(pool_path, cx.base, pool + [list(u) for u in fresh])
    t1 = now()
    chat_id = await cx.create_room(users[0][1], f"bench {prefix}")
    code = await cx.create_invite(users[0][1], chat_id)
    await bounded_gather([cx.join(u[1], code) for u in users[1:]], concurrency)
    t2 = now()
    tm = {
        "register_login_s": round(t1 - t0, 2),
        "create_join_s": round(t2 - t1, 2),
        "users": n_users,
    }
    if pool_path:
        tm["users_reused"] = len(reused)
    log(
        f"chat {chat_id}: {n_users} users ({len(reused)} reused) registered+logged in in "
        f"{t1 - t0:.1f}s, joined in {t2 - t1:.1f}s"
    )
    return users, chat_id, tm


def _load_pool(path, base):
    try:
        with open(path) as f:
            p = json.load(f)
    except (OSError, ValueError):
        return []
    return p.get("users", []) if p.get("base_url") == base else []


def _save_pool(path, base, users):
    with open(path, "w") as f:
        json.dump({"base_url": base, "users": users}, f)


async def _token_ok(cx, token):
    try:
        status, _ = await cx.req("GET", f"{API}/me", token, timeout=30)
    except (TimeoutError, aiohttp.ClientError):
        return False
    return status == 200


def new_prefix(tag):
    """Unique lower-case user-name prefix (time + random)."""
    rnd = "".join(random.choice(string.ascii_lowercase) for _ in range(4))
    return tag + time.strftime("%m%d%H%M%S") + rnd


# ---------------------------------------------------------------- W1 senders
async def closed_loop_senders(cx, tokens, room_id, t_measure, t_end, cap=0, tag="w1"):
    """W1's senders: one closed loop per token (one outstanding send each) until t_end.

    Sends started at or after t_measure are measured. Returns (latencies in s of the measured
    acknowledged sends, non-success answers, time of the last measured ack).
    """
    lat = []
    st = {"started": 0, "errors": 0, "last_ack": t_measure}

    async def sender(i):
        token = tokens[i]
        k = 0
        while True:
            t0 = now()
            if t0 >= t_end or (cap and st["started"] >= cap):
                return
            k += 1
            measured = t0 >= t_measure
            if measured:
                st["started"] += 1
            status, _ = await cx.send_text(
                token, room_id, f"{tag}-{i}-{k}-{t0}", body_text(f"{tag} s{i} n{k}")
            )
            t1 = now()
            if status not in OK_SEND:
                st["errors"] += 1
                continue
            if measured:
                lat.append(t1 - t0)
                st["last_ack"] = max(st["last_ack"], t1)

    await asyncio.gather(*(sender(i) for i in range(len(tokens))))
    return lat, st["errors"], st["last_ack"]


# ---------------------------------------------------------------- command line, JSON line
def base_parser(doc):
    """The options every driver shares; add sub-commands to `parser.add_subparsers(...)`."""
    p = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default="http://127.0.0.1:8080", help="Colletta base URL (loopback)")
    p.add_argument(
        "--server-pid",
        type=int,
        default=0,
        help="server PID for CPU/RSS (default: DIR/colletta.pid if present)",
    )
    p.add_argument("--dir", default=None, help="scratch dir for state (default: /tmp/...)")
    p.add_argument("--server-version", default=None, help="recorded as server_version")
    p.add_argument("--max-seconds", type=float, default=600, help="hard cap for the whole run")
    return p


class Env:
    """Where a driver keeps its state, and the server's PID."""

    def __init__(self, a):
        self.dir = os.path.abspath(
            a.dir or os.path.join(os.environ.get("BENCH_DIR", "/tmp/colletta-bench"), "colletta")
        )
        os.makedirs(self.dir, exist_ok=True)
        self._pid_arg = a.server_pid

    def server_pid(self):
        """--server-pid, else DIR/colletta.pid, else None."""
        if self._pid_arg:
            return self._pid_arg
        try:
            with open(os.path.join(self.dir, "colletta.pid")) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None


def driver_main(a, commands):
    """Run `commands[a.cmd](cx, a, env)` within --max-seconds; print its JSON line with the
    fields every driver adds (server, version, RSS after, start time, argv, driver)."""
    env = Env(a)

    async def run():
        async with Colletta(a.url) as cx:
            t0 = time.time()
            res = await commands[a.cmd](cx, a, env)
            pid = env.server_pid()
            if pid:
                res["server_mem_after"] = proc_mem_mb(pid)
            version = a.server_version
            if version is None:
                try:
                    h = await cx.req_json("GET", f"{API}/health", timeout=5)
                    version = h.get("version") if isinstance(h, dict) else None
                except Exception:
                    version = None
            res["server"] = "colletta"
            res["server_version"] = version
            res["started_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0))
            argv = " ".join(sys.argv[1:])
            if a.dir:
                argv = argv.replace(a.dir, "DIR")
            res["argv"] = argv
            res["driver"] = {
                "python": sys.version.split()[0],
                "aiohttp": aiohttp.__version__,
                "uvloop": uvloop.__version__ if uvloop else None,
            }
            return res

    async def bounded():
        return await asyncio.wait_for(run(), timeout=a.max_seconds)

    res = uvloop.run(bounded()) if uvloop else asyncio.run(bounded())
    print(json.dumps(res), flush=True)
