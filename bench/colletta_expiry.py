#!/usr/bin/env python3
"""Expiry lag: how long after a message's `expires_at_ms` its `message.deleted` frame reaches a
member, with many pending timers in the database and W1's send load running at the same time.

Three steps; run.py drives them around a restart of the server:

  expiry-setup    (server up)    users, the W1 group (U users), a 2-member TTL group with
                                 `message_ttl_s` = --ttl-s, and a 1-member bulk chat (1 day
                                 timer); state in DIR/expiry_state.json
  expiry-preload  (server DOWN)  N messages of the bulk chat and N pending `expiries` rows
                                 (kind 'message', due in a day) inserted straight into
                                 DIR/data/colletta.db, in one transaction
  expiry          (server up)    W1's closed-loop senders (S of them) post to the W1 group for
                                 the whole window; one member posts R messages to the TTL group,
                                 spread over --spread s (open loop); a WebSocket of the other
                                 member notes when each `message.deleted` frame arrives

  python colletta_expiry.py --url URL --dir DIR expiry-setup -U 20
  python colletta_expiry.py --dir DIR expiry-preload --pending 1000000
  python colletta_expiry.py --url URL --dir DIR expiry -S 16 -R 200 --spread 20

lag = arrival (driver wall clock, read before JSON decoding) - the message's `expires_at_ms`
from its send answer; server and driver share the machine's clock. `server_lag` uses the
frame's own `at_ms` (when the server logged the deletion) instead of the arrival time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time

import aiohttp
from colletta_common import (
    OK_SEND,
    WS_ENDS,
    CpuWindow,
    base_parser,
    body_text,
    closed_loop_senders,
    driver_main,
    log,
    make_room,
    new_prefix,
    now,
    proc_mem_mb,
    summary_ms,
    ws_close_reason,
)

BULK_DUE_S = 86_400  # the preloaded expiries fall due a day from now (+1 ms per row)
# colletta.ids: ids are (ms since 2026-01-01 << 22 | node << 12 | counter); the preloaded rows
# take consecutive ids within one such millisecond, while the server is down.
ID_EPOCH_MS = 1_767_225_600_000
ID_MS_SHIFT = 22


def wall_ms():
    """The wall clock in ms (the server's clock for `expires_at_ms`)."""
    return time.time() * 1000.0


def _state_path(env):
    return os.path.join(env.dir, "expiry_state.json")


def _db_path(a, env):
    return os.path.abspath(a.db or os.path.join(env.dir, "data", "colletta.db"))


def _load_state(env):
    with open(_state_path(env)) as f:
        return json.load(f)


def _save_state(env, st):
    with open(_state_path(env), "w") as f:
        json.dump(st, f)


# ---------------------------------------------------------------- step 1: setup
async def setup(cx, a, env):
    """Users and chats over the API; the server's RSS before any preload."""
    t0 = now()
    w1_users, w1_chat, w1_setup = await make_room(cx, a.users, new_prefix("exw"))
    ttl_users, ttl_chat, _ = await make_room(cx, 2, new_prefix("ext"))
    await cx.set_message_ttl(ttl_users[0][1], ttl_chat, a.ttl_s)
    bulk_users, bulk_chat, _ = await make_room(cx, 1, new_prefix("exb"))
    await cx.set_message_ttl(bulk_users[0][1], bulk_chat, BULK_DUE_S)
    pid = env.server_pid()
    st = {
        "base_url": cx.base,
        "w1": {"chat_id": w1_chat, "tokens": [u[1] for u in w1_users]},
        "ttl": {
            "chat_id": ttl_chat,
            "ttl_s": a.ttl_s,
            "sender_token": ttl_users[0][1],
            "listener_token": ttl_users[1][1],
        },
        "bulk": {"chat_id": bulk_chat, "user_id": bulk_users[0][0]},
        "setup_s": round(now() - t0, 2),
        "w1_setup": w1_setup,
        "server_mem_fresh": proc_mem_mb(pid) if pid else None,
    }
    _save_state(env, st)
    return {"step": "expiry-setup", "setup_s": st["setup_s"], "chats": [w1_chat, ttl_chat]}


# ---------------------------------------------------------------- step 2: preload
def _preload_rows(db, chat_id, sender_id, n):
    """Insert n messages of chat_id with their expiries in one transaction; returns info."""
    con = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        con.execute("BEGIN IMMEDIATE")
        row = con.execute("SELECT last_seq FROM chats WHERE id = ?", (chat_id,)).fetchone()
        if row is None:
            raise SystemExit(f"preload: no chat {chat_id} in {db}")
        seq0 = int(row[0])
        now_ms = int(wall_ms())
        due0 = now_ms + BULK_DUE_S * 1000
        id0 = (now_ms - ID_EPOCH_MS) << ID_MS_SHIFT
        con.executemany(
            "INSERT INTO messages (id, chat_id, seq, sender_id, text, entities, reactions,"
            " created_at_ms, attachments, expires_at_ms, view_once)"
            " VALUES (?, ?, ?, ?, ?, '[]', '{}', ?, '[]', ?, 0)",
            (
                (
                    id0 + i,
                    chat_id,
                    seq0 + 1 + i,
                    sender_id,
                    body_text(f"bulk n{i}"),
                    now_ms,
                    due0 + i,
                )
                for i in range(n)
            ),
        )
        con.executemany(
            "INSERT INTO expiries (kind, item_id, chat_id, due_at_ms) VALUES ('message', ?, ?, ?)",
            ((id0 + i, chat_id, due0 + i) for i in range(n)),
        )
        con.execute(
            "UPDATE chats SET last_seq = ?, last_message_id = ?, last_activity_ms = ? WHERE id = ?",
            (seq0 + n, id0 + n - 1, now_ms, chat_id),
        )
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pending = con.execute("SELECT count(*) FROM expiries").fetchone()[0]
    finally:
        con.close()
    return {"first_due_at_ms": due0, "pending_after": pending}


async def preload(cx, a, env):
    """Step 2, with the server stopped: bulk rows straight into its SQLite file."""
    if not 0 < a.pending <= 4_000_000:
        raise SystemExit("--pending must be 1..4,000,000 (ids of one millisecond)")
    st = _load_state(env)
    db = _db_path(a, env)
    t0 = now()
    info = _preload_rows(db, int(st["bulk"]["chat_id"]), int(st["bulk"]["user_id"]), a.pending)
    info.update(
        {
            "rows": a.pending,
            "seconds": round(now() - t0, 2),
            "db_mb": round(os.path.getsize(db) / 1e6, 1),
        }
    )
    log(f"preload: {a.pending:,} messages + expiries in {info['seconds']:.1f}s, {info['db_mb']} MB")
    st["preload"] = info
    _save_state(env, st)
    return {"step": "expiry-preload", **info}


# ---------------------------------------------------------------- step 3: measure
def _db_counts(db, ttl_chat):
    """Pending and overdue expiries, and purged rows of the TTL chat (read-only)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as e:
        return {"error": str(e)}
    try:
        q = con.execute
        return {
            "pending": q("SELECT count(*) FROM expiries").fetchone()[0],
            "overdue": q(
                "SELECT count(*) FROM expiries WHERE due_at_ms <= ?", (int(wall_ms()),)
            ).fetchone()[0],
            "ttl_chat_pending": q(
                "SELECT count(*) FROM expiries WHERE chat_id = ?", (int(ttl_chat),)
            ).fetchone()[0],
            "ttl_chat_purged_rows": q(
                "SELECT count(*) FROM messages WHERE chat_id = ? AND text IS NULL"
                " AND deleted_at_ms IS NOT NULL",
                (int(ttl_chat),),
            ).fetchone()[0],
        }
    except sqlite3.Error as e:
        return {"error": str(e)}
    finally:
        con.close()


async def _listen(ws, chat_id, deleted, errors):
    """Arrival time (wall ms) and `at_ms` of every message.deleted frame of chat_id."""
    while True:
        msg = await ws.receive()
        t = wall_ms()
        if msg.type != aiohttp.WSMsgType.TEXT:
            if msg.type in WS_ENDS:
                errors["ws_closed"] = ws_close_reason(ws, msg)
                return
            continue
        if '"message.deleted"' not in msg.data:
            continue
        ev = json.loads(msg.data)
        if ev.get("type") == "message.deleted" and str(ev.get("chat_id")) == chat_id:
            deleted.setdefault(str(ev.get("message_id")), (t, ev.get("at_ms")))


async def measure(cx, a, env):
    """W1 load plus R timed messages to the TTL group; lags of their deletions."""
    st = _load_state(env)
    pid = env.server_pid()
    mem_start = proc_mem_mb(pid) if pid else None
    ttl = st["ttl"]
    ttl_chat = str(ttl["chat_id"])
    deleted, errors = {}, {"send": 0}
    ws = await cx.ws_ready(ttl["listener_token"])
    listener = asyncio.ensure_future(_listen(ws, ttl_chat, deleted, errors))

    t_measure = now() + a.warmup
    t_end = t_measure + a.spread + ttl["ttl_s"] + a.tail
    w1 = asyncio.ensure_future(
        closed_loop_senders(
            cx, st["w1"]["tokens"][: a.senders], st["w1"]["chat_id"], t_measure, t_end, tag="exw1"
        )
    )
    await asyncio.sleep(max(0.0, t_measure - now()))
    cpu = CpuWindow(pid)
    sent, send_ack, order = {}, [], {}  # message id -> expires_at_ms; k -> message id

    async def send_one(k):
        ts = now()
        try:
            status, body = await cx.send_text(
                ttl["sender_token"], ttl_chat, f"ttl-{k}-{ts}", body_text(f"ttl m{k}")
            )
        except (TimeoutError, aiohttp.ClientError):
            status, body = None, b""
        if status not in OK_SEND:
            errors["send"] += 1
            return
        send_ack.append(now() - ts)
        m = json.loads(body)
        sent[str(m["id"])] = m["expires_at_ms"]
        order[k] = str(m["id"])

    t_first = now()
    sends = []
    for k in range(a.messages):  # open loop, evenly spread
        d = t_first + k * a.spread / a.messages - now()
        if d > 0:
            await asyncio.sleep(d)
        sends.append(asyncio.ensure_future(send_one(k)))
    await asyncio.gather(*sends)
    w1_lat, w1_errors, w1_last_ack = await w1
    w1_end_ms = wall_ms()
    cpu_res = cpu.result()
    log(f"expiry: W1 done; {len(deleted)}/{len(sent)} deletions so far, draining <= {a.drain}s")
    drain_until = max(sent.values(), default=wall_ms()) + a.drain * 1000
    while wall_ms() < drain_until and any(m not in deleted for m in sent):
        await asyncio.sleep(0.05)
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    await ws.close()

    got = [m for m in sent if m in deleted]
    sent_order = [order[k] for k in sorted(order)]
    lags = [(deleted[m][0] - sent[m]) / 1000.0 for m in got]
    server_lags = [(deleted[m][1] - sent[m]) / 1000.0 for m in got if deleted[m][1] is not None]
    late_after_load = sum(1 for m in got if deleted[m][0] > w1_end_ms)
    w1_elapsed = w1_last_ack - t_measure
    return {
        "workload": "expiry",
        "pending_preloaded": (st.get("preload") or {}).get("rows", 0),
        "ttl_s": ttl["ttl_s"],
        "messages": a.messages,
        "spread_s": a.spread,
        "sent": len(sent),
        "deleted_frames": len(got),
        "missing": len(sent) - len(got),
        "lag_ms": summary_ms(lags),
        # in send order (= due order), None if its deletion never arrived
        "lag_ms_in_send_order": [
            round(deleted[m][0] - sent[m]) if m in deleted else None for m in sent_order
        ],
        "server_lag_ms": summary_ms(server_lags),
        "late_after_load_window": late_after_load,
        "ttl_send_ack_ms": summary_ms(send_ack),
        "errors": errors,
        "w1": {
            "senders": a.senders,
            "acked": len(w1_lat),
            "errors": w1_errors,
            "elapsed_s": round(w1_elapsed, 2),
            "acked_msgs_per_s": round(len(w1_lat) / w1_elapsed, 1) if w1_elapsed > 0 else None,
            "send_latency_ms": summary_ms(w1_lat),
        },
        "db_after": _db_counts(_db_path(a, env), ttl_chat),
        "server_start_s": {"empty_db": a.startup_empty_s, "preloaded": a.startup_s},
        "server_mem_fresh": st.get("server_mem_fresh"),
        "server_mem_start": mem_start,
        "preload": st.get("preload"),
        "cpu": cpu_res,
        "room_id": st["w1"]["chat_id"],
        "ttl_chat_id": ttl_chat,
    }


# ---------------------------------------------------------------- main
def main():
    """Parse the step and run it; one JSON line on stdout."""
    p = base_parser(__doc__)
    p.add_argument("--db", default=None, help="SQLite file (default DIR/data/colletta.db)")
    sub = p.add_subparsers(dest="cmd", required=True)
    s1 = sub.add_parser("expiry-setup", help="users and chats (server up)")
    s1.add_argument("-U", "--users", type=int, default=20, help="members of the W1 group")
    s1.add_argument("--ttl-s", type=int, default=5, help="auto-delete timer of the TTL group")
    s2 = sub.add_parser("expiry-preload", help="bulk rows into the SQLite file (server DOWN)")
    s2.add_argument("--pending", type=int, default=1_000_000)
    s3 = sub.add_parser("expiry", help="the measured run (server up)")
    s3.add_argument("-S", "--senders", type=int, default=16, help="W1 closed-loop senders")
    s3.add_argument("-R", "--messages", type=int, default=200, help="timed messages")
    s3.add_argument("--spread", type=float, default=20, help="seconds the timed sends span")
    s3.add_argument("--warmup", type=float, default=3, help="W1 warm-up before the first send")
    s3.add_argument("--tail", type=float, default=3, help="W1 goes on this long after the last due")
    s3.add_argument("--drain", type=float, default=30, help="max wait for late deletions")
    s3.add_argument("--startup-s", type=float, default=None, help="recorded (from run.py)")
    s3.add_argument("--startup-empty-s", type=float, default=None, help="recorded (from run.py)")
    a = p.parse_args()
    driver_main(a, {"expiry-setup": setup, "expiry-preload": preload, "expiry": measure})


if __name__ == "__main__":
    main()
