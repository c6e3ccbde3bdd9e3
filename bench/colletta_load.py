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

import asyncio
import json
import os

import aiohttp
from colletta_common import (
    API,
    OK_SEND,
    WS_ENDS,
    CpuWindow,
    base_parser,
    body_text,
    bounded_gather,
    closed_loop_senders,
    driver_main,
    log,
    make_room,
    new_prefix,
    now,
    raise_nofile,
    summary_ms,
    ws_close_reason,
)


# ---------------------------------------------------------------- W1
async def w1(cx, a, server_pid):
    """Send throughput: S closed-loop senders, 3 s warm-up, T s measured."""
    assert 1 <= a.senders <= a.users
    users, room_id, setup = await make_room(cx, a.users, new_prefix("w1"))
    t_measure = now() + a.warmup
    t_end = t_measure + a.seconds
    cpu = None

    async def cpu_start():
        nonlocal cpu
        await asyncio.sleep(max(0.0, t_measure - now()))
        cpu = CpuWindow(server_pid)

    cs = asyncio.ensure_future(cpu_start())
    tokens = [u[1] for u in users[: a.senders]]
    lat, errors, last_ack = await closed_loop_senders(
        cx, tokens, room_id, t_measure, t_end, cap=a.messages
    )
    await cs
    elapsed = last_ack - t_measure
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
                if msg.type in WS_ENDS:
                    errors["ws_closed"] += 1
                    _count(errors, "ws_close_reasons", ws_close_reason(ws, msg))
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
        try:
            ws = await cx.ws_ready(listeners[i][1])
        except RuntimeError as e:
            raise RuntimeError(f"listener {i}: {e}") from None
        sockets[i] = ws
        # read from now on: answers the server's pings while the others connect
        tasks[i] = asyncio.ensure_future(listen(i))

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
    p = base_parser(__doc__)
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
    driver_main(
        a,
        {
            "w1": lambda cx, a, env: w1(cx, a, env.server_pid()),
            "w2": lambda cx, a, env: w2(cx, a, env.server_pid()),
            "w3": lambda cx, a, env: w3(
                cx, a, env.server_pid(), os.path.join(env.dir, "w3_state.json")
            ),
        },
    )


if __name__ == "__main__":
    main()
