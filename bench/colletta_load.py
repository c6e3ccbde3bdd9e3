#!/usr/bin/env python3
"""Load driver for the anchor workloads W1-W3 against Colletta's HTTP + WebSocket API.

Mirrors ../shared/bench/anchors/synapse/load.py step for step (same flags, same
measurement, same JSON fields, plus "server": "colletta"); only the transport differs:

  python colletta_load.py --url http://127.0.0.1:8090 w1 -U 20 -S 4 -T 30
  python colletta_load.py --url URL w2 -M 100 -R 20 --rate 1
  python colletta_load.py --url URL --dir DIR w3 --fill 100000 --fill-seconds 400 --queries 200

Users register over HTTP (the server must run with COLLETTA_RATE_LIMITS_ENABLED=false)
and then log in; user 0 creates a group, the others join through one invite link. W2
listeners hold one WebSocket each (auth frame with empty cursors, wait for `ready`) and
count only `message.created` frames of the room. Loopback only; every loop is bounded in
count and time (--max-seconds for the whole run). One JSON object on stdout, progress on
stderr. DIR (--dir) holds the W3 state and optionally colletta.pid (server PID).
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

    async def send_text(self, token, chat_id, txn, text):
        """POST a text message; returns (status, raw body)."""
        return await self.req(
            "POST",
            f"{API}/chats/{chat_id}/messages",
            token,
            body={"text": text, "client_txn_id": txn},
        )


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


# ---------------------------------------------------------------- W1
async def w1(cx, a, server_pid):
    """Send throughput: S closed-loop senders, 3 s warm-up, T s measured."""
    assert 1 <= a.senders <= a.users
    users, room_id, setup = await make_room(cx, a.users, new_prefix("w1"))
    lat, errors = [], 0
    n_sent = 0
    t_start = now()
    t_measure = t_start + a.warmup
    t_end = t_measure + a.seconds
    last_ack = [t_measure]
    cpu = None

    async def sender(i):
        nonlocal n_sent, errors
        token = users[i][1]
        k = 0
        while True:
            t0 = now()
            if t0 >= t_end or (a.messages and n_sent >= a.messages):
                return
            k += 1
            measured = t0 >= t_measure
            if measured:
                n_sent += 1
            status, _ = await cx.send_text(
                token, room_id, f"w1-{i}-{k}-{t0}", body_text(f"w1 s{i} n{k}")
            )
            t1 = now()
            if status not in OK_SEND:
                errors += 1
                continue
            if measured:
                lat.append(t1 - t0)
                last_ack[0] = max(last_ack[0], t1)

    async def cpu_start():
        nonlocal cpu
        await asyncio.sleep(max(0.0, t_measure - now()))
        cpu = CpuWindow(server_pid)

    cs = asyncio.ensure_future(cpu_start())
    await asyncio.gather(*(sender(i) for i in range(a.senders)))
    await cs
    elapsed = last_ack[0] - t_measure
    return {
        "workload": "W1",
        "users": a.users,
        "senders": a.senders,
        "seconds": a.seconds,
        "warmup_s": a.warmup,
        "messages_cap": a.messages,
        "body_bytes": 100,
        "acked": len(lat),
        "errors": errors,
        "elapsed_s": round(elapsed, 2),
        "acked_msgs_per_s": round(len(lat) / elapsed, 1) if elapsed > 0 else None,
        "send_latency_ms": summary_ms(lat),
        "cpu": cpu.result() if cpu else None,
        "setup": setup,
        "room_id": room_id,
    }


# ---------------------------------------------------------------- W2
def _count(errors, key, what):
    d = errors.setdefault(key, {})
    d[str(what)] = d.get(str(what), 0) + 1


async def w2(cx, a, server_pid):
    """Fan-out latency: M WebSocket listeners, one sender at a fixed rate (open loop)."""
    m_count, r_count, k_per = a.members, a.messages, max(1, a.sockets_per_user)
    nofile = raise_nofile()
    if nofile < m_count + 256:
        log(f"W2: RLIMIT_NOFILE is {nofile}, may be too low for {m_count} WebSockets")
    n_listen_users = -(-m_count // k_per)
    users, room_id, setup = await make_room(
        cx,
        n_listen_users + 1,
        new_prefix("w2"),
        concurrency=a.setup_concurrency,
        pool_path=a.user_pool,
    )
    sender = users[0]
    # listener i is a WebSocket of user 1 + i // k_per (k_per == 1: one member per socket)
    listeners = [users[1 + i // k_per] for i in range(m_count)]
    send_start = {}  # idx -> t
    send_ack = []
    recv = [{} for _ in range(m_count)]  # per listener: idx -> t_recv
    errors = {"ws": 0, "send": 0, "ws_closed": 0}
    done = asyncio.Event()
    hard_deadline = [None]
    sockets = [None] * m_count
    tasks = [None] * m_count  # listener i's reader, started as soon as it is ready

    async def listen(i):
        ws, got = sockets[i], recv[i]
        while not done.is_set():  # keeps reading (and answering pings) until the end
            try:
                msg = await ws.receive()
            except Exception as e:  # counted and reported, the listener stops
                errors["ws"] += 1
                _count(errors, "ws_exceptions", type(e).__name__)
                return
            t = now()
            if msg.type != aiohttp.WSMsgType.TEXT:
                if msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.ERROR,
                ):
                    errors["ws_closed"] += 1
                    why = msg.data if msg.type == aiohttp.WSMsgType.CLOSE else msg.type.name
                    if msg.type == aiohttp.WSMsgType.ERROR:
                        why = type(msg.data).__name__
                    _count(errors, "ws_close_reasons", f"{why} {ws.close_code}")
                    return
                continue
            data = msg.data
            if '"message.created"' not in data:
                continue
            ev = json.loads(data)
            if ev.get("type") != "message.created" or str(ev.get("chat_id")) != room_id:
                continue
            b = (ev.get("message") or {}).get("text") or ""
            if b.startswith("w2 m"):
                idx = int(b[4:].split(" ", 1)[0])
                got.setdefault(idx, t)

    # connect + authenticate every listener (the subscription; analogue of the initial sync)
    t0 = now()

    async def connect(i):
        ws = await cx.session.ws_connect(
            cx.ws_url,
            autoping=True,
            heartbeat=None,
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
            max_msg_size=0,
        )
        await ws.send_str(json.dumps({"type": "auth", "token": listeners[i][1], "cursors": {}}))
        deadline = now() + 30
        while now() < deadline:
            msg = await ws.receive(timeout=max(0.1, deadline - now()))
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"listener {i}: {msg.type} {msg.data!r} before ready")
            if json.loads(msg.data).get("type") == "ready":
                sockets[i] = ws
                # read from now on: answers the server's pings while the others connect
                tasks[i] = asyncio.ensure_future(listen(i))
                return
        raise RuntimeError(f"listener {i}: no ready within 30 s")

    await bounded_gather([connect(i) for i in range(m_count)], a.setup_concurrency)
    t_init = now() - t0
    log(f"W2: {m_count} WebSockets authenticated (ready) in {t_init:.1f}s")

    listen_setup_done = now()
    await asyncio.sleep(a.settle)
    cpu = CpuWindow(server_pid)
    t_first = now()
    hard_deadline[0] = t_first + r_count / a.rate + a.drain
    stoken = sender[1]

    async def send_one(k):
        ts = now()
        send_start[k] = ts
        try:
            status, _ = await cx.send_text(stoken, room_id, f"w2-{k}-{ts}", body_text(f"w2 m{k}"))
        except (TimeoutError, aiohttp.ClientError):
            status = None
        if status in OK_SEND:
            send_ack.append(now() - ts)
        else:
            errors["send"] += 1

    # open loop: message k is sent at t_first + k/rate whether or not earlier sends were acked
    sends = []
    for k in range(r_count):
        d = t_first + k / a.rate - now()
        if d > 0:
            await asyncio.sleep(d)
        if now() > hard_deadline[0]:
            break
        sends.append(asyncio.ensure_future(send_one(k)))
    await asyncio.gather(*sends)
    log(f"W2: sent {len(send_start)} messages, waiting for deliveries (drain <= {a.drain}s)")
    while now() < hard_deadline[0]:
        if all(len(g) >= len(send_start) for g in recv):
            break
        await asyncio.sleep(0.05)
    done.set()
    cpu_res = cpu.result()
    live = [t for t in tasks if t is not None]
    for t in live:
        t.cancel()
    await asyncio.gather(*live, return_exceptions=True)
    await bounded_gather([ws.close() for ws in sockets if ws is not None], 256)

    lats, last = [], t_first
    per_msg_max = {}
    for g in recv:
        for idx, t in g.items():
            if idx in send_start:
                lat = t - send_start[idx]
                lats.append(lat)
                last = max(last, t)
                per_msg_max[idx] = max(per_msg_max.get(idx, 0), lat)
    expected = m_count * len(send_start)
    span = last - t_first
    return {
        "workload": "W2",
        "members": m_count,
        "messages": r_count,
        "rate_per_s": a.rate,
        "sent": len(send_start),
        "expected_deliveries": expected,
        "deliveries": len(lats),
        "missing": expected - len(lats),
        "errors": errors,
        "deliveries_per_s": round(len(lats) / span, 1) if span > 0 else None,
        "delivery_latency_ms": summary_ms(lats),
        "last_member_latency_ms": summary_ms(list(per_msg_max.values())),
        "send_ack_latency_ms": summary_ms(send_ack),
        "initial_sync_s": round(t_init, 2),
        "cpu": cpu_res,
        "setup": setup,
        "room_id": room_id,
        "listen_setup_s": round(listen_setup_done - t0, 2),
        "transport": "websocket",
        "listener_users": n_listen_users,
        "sockets_per_user": k_per,
        "rlimit_nofile": nofile,
    }


# ---------------------------------------------------------------- W3
def _save(state_path, st):
    with open(state_path, "w") as f:
        json.dump(st, f)


async def w3(cx, a, server_pid, state_path):
    """History: fill a room (resumable, bounded), then fetch the newest 50 sequentially."""
    st = None
    if os.path.exists(state_path):
        with open(state_path) as f:
            st = json.load(f)
    if not st or st.get("base_url") != cx.base:
        users, room_id, _ = await make_room(cx, a.fill_senders, new_prefix("w3"))
        st = {"room_id": room_id, "users": users, "count": 0, "base_url": cx.base}
        _save(state_path, st)
    room_id, users = st["room_id"], st["users"]
    t0 = now()
    t_end = t0 + a.fill_seconds
    count0 = st["count"]
    errors = 0

    async def filler(i):
        nonlocal errors
        token = users[i % len(users)][1]
        while now() < t_end and st["count"] < a.fill:
            st["count"] += 1
            k = st["count"]
            status, _ = await cx.send_text(
                token, room_id, f"w3-{k}-{i}-{t0}", body_text(f"w3 n{k}")
            )
            if status not in OK_SEND:
                errors += 1
                st["count"] -= 1

    async def saver():
        while now() < t_end and st["count"] < a.fill:
            await asyncio.sleep(5)
            _save(state_path, st)
            log(f"W3 fill: {st['count']} messages")

    sv = asyncio.ensure_future(saver())
    await asyncio.gather(*(filler(i) for i in range(len(users))))
    sv.cancel()
    _save(state_path, st)
    fill_s = now() - t0
    added = st["count"] - count0
    log(f"W3: room has {st['count']} messages (+{added} in {fill_s:.1f}s)")

    token = users[0][1]
    path = f"{API}/chats/{room_id}/messages"
    lat, bad = [], 0
    cpu = CpuWindow(server_pid)
    q_deadline = now() + a.query_seconds
    for _ in range(a.queries):
        if now() > q_deadline:
            break
        q0 = now()
        status, data = await cx.req("GET", path, token, params={"limit": "50"})
        q1 = now()
        if status != 200:
            bad += 1
            continue
        msgs = json.loads(data).get("messages", [])
        if len(msgs) < 50 and st["count"] >= 50:
            bad += 1
        lat.append(q1 - q0)
    return {
        "workload": "W3",
        "room_messages": st["count"],
        "fill_target": a.fill,
        "filled_this_run": added,
        "fill_s": round(fill_s, 1),
        "fill_errors": errors,
        "fill_msgs_per_s": round(added / fill_s, 1) if fill_s > 0 and added else None,
        "queries": len(lat),
        "bad_queries": bad,
        "history50_latency_ms": summary_ms(lat),
        "cpu": cpu.result(),
        "room_id": room_id,
    }


# ---------------------------------------------------------------- main
def parse_args(argv=None):
    """Same sub-commands and flags as load.py (w1, w2, w3) plus --url, --server-pid."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default="http://127.0.0.1:8080", help="Colletta base URL (loopback)")
    p.add_argument(
        "--server-pid",
        type=int,
        default=0,
        help="server PID for CPU/RSS (default: DIR/colletta.pid if present)",
    )
    p.add_argument("--dir", default=None, help="scratch dir for W3 state (default: /tmp/...)")
    p.add_argument("--server-version", default=None, help="recorded as server_version")
    p.add_argument("--max-seconds", type=float, default=600, help="hard cap for the whole run")
    sub = p.add_subparsers(dest="cmd", required=True)
    s1 = sub.add_parser("w1", help="send throughput")
    s1.add_argument("-U", "--users", type=int, default=10)
    s1.add_argument("-S", "--senders", type=int, default=4)
    s1.add_argument("-T", "--seconds", type=float, default=30)
    s1.add_argument(
        "-N", "--messages", type=int, default=0, help="stop after N measured sends (0: no cap)"
    )
    s1.add_argument("--warmup", type=float, default=3)
    s2 = sub.add_parser("w2", help="fan-out latency")
    s2.add_argument("-M", "--members", type=int, default=10)
    s2.add_argument("-R", "--messages", type=int, default=20)
    s2.add_argument("--rate", type=float, default=1.0, help="messages per second")
    s2.add_argument(
        "--drain", type=float, default=60, help="max wait for deliveries after the last send"
    )
    s2.add_argument("--settle", type=float, default=2, help="wait after all sockets are ready")
    s2.add_argument("--setup-concurrency", type=int, default=16)
    s2.add_argument(
        "--sockets-per-user",
        type=int,
        default=1,
        help="WebSockets per listening user (default 1: M members; >1 deviates from W2)",
    )
    s2.add_argument(
        "--user-pool",
        default=None,
        help="JSON file of users to reuse across runs (deviates from fresh users)",
    )
    s3 = sub.add_parser("w3", help="history fetch")
    s3.add_argument(
        "--fill", type=int, default=100000, help="target number of messages in the room"
    )
    s3.add_argument("--fill-seconds", type=float, default=420, help="max fill time in this run")
    s3.add_argument("--fill-senders", type=int, default=8)
    s3.add_argument("--queries", type=int, default=200)
    s3.add_argument("--query-seconds", type=float, default=60)
    return p.parse_args(argv)


def main():
    """Run one workload and print its JSON line."""
    a = parse_args()
    d = os.path.abspath(
        a.dir or os.path.join(os.environ.get("BENCH_DIR", "/tmp/colletta-bench"), "colletta")
    )
    os.makedirs(d, exist_ok=True)
    state_path = os.path.join(d, "w3_state.json")
    pidf = os.path.join(d, "colletta.pid")

    def server_pid():
        if a.server_pid:
            return a.server_pid
        try:
            with open(pidf) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    async def run():
        async with Colletta(a.url) as cx:
            t0 = time.time()
            if a.cmd == "w1":
                res = await w1(cx, a, server_pid())
            elif a.cmd == "w2":
                res = await w2(cx, a, server_pid())
            else:
                res = await w3(cx, a, server_pid(), state_path)
            pid = server_pid()
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


if __name__ == "__main__":
    main()
