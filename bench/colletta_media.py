#!/usr/bin/env python3
"""Media throughput: upload and download of one large file against `cp` on the same disk.

  python colletta_media.py --url URL --dir DIR media --size-mb 100 --rounds 3

DIR/media_bench/ gets a file of random bytes (written and fsynced before anything is timed; it
stays in the page cache, so every reader below reads it from memory). Then:

- `cp SRC DST` three times (median; DST removed after each), then three times, one after
  the other: `cp` + an fsync of DST, the MD5 of SRC, the SHA-256 of SRC (hashlib, 1 MiB
  reads, in this process). Each is timed apart; the references are medians over the three of
  cp + fsync, cp + fsync + sha256 and cp + fsync + md5 + sha256. The server fsyncs every
  upload and takes the SHA-256 of each, plus the MD5 of those posted into a group or channel
  (matched against hash banks), so the upload's targets are ≥ 60 % of cp + fsync + sha256
  into a direct chat (`upload_direct_vs_cp_fsync_sha256`) and ≥ 60 % of cp + fsync + md5 +
  sha256 into a group (`upload_vs_cp_fsync_digests`). `upload_vs_cp_fsync` (the former
  target) and plain `cp` (usually ends in the page cache) are kept as context.
- --rounds times: upload into the group with `POST /api/v1/chats/{id}/media` (raw body
  streamed from the file in 1 MiB reads, Content-Length set, `Content-Disposition:
  attachment; filename*=UTF-8''…`) until the 201 answer; a message carrying it
  (`attachments: [id]`); download with `GET /api/v1/chats/{id}/media/{media_id}` streamed
  into DIR/media_bench/ (not fsynced) until the last byte is written; then the same upload
  and message into a direct chat of the group's two members. The server's sha256s and the
  downloaded file's sha256 (computed after the timing) must equal the source's.

MB/s are 10^6 bytes per second; figures are medians over the copies or rounds.
DIR/data (the server's data dir) must be on the same filesystem; the line says whether it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys

import aiohttp
from colletta_common import (
    API,
    OK_SEND,
    CpuWindow,
    base_parser,
    driver_main,
    log,
    make_room,
    new_prefix,
    now,
)

IO_CHUNK = 1024 * 1024
COPIES = 3


def _make_source(path, size):
    """size random bytes, fsynced; returns their sha256 (hex)."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left > 0:
            chunk = os.urandom(min(IO_CHUNK, left))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
        f.flush()
        os.fsync(f.fileno())
    return h.hexdigest()


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(IO_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _time_digest(path, name):
    """Seconds to hash the file at path with hashlib's `name`, in 1 MiB reads."""
    t0 = now()
    h = hashlib.new(name, usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(IO_CHUNK):
            h.update(chunk)
    h.hexdigest()
    return now() - t0


def _time_cp(src, dst, fsync):
    """Seconds for `cp src dst` (plus an fsync of dst if asked); dst is removed after."""
    t0 = now()
    subprocess.run(["cp", src, dst], check=True)
    if fsync:
        fd = os.open(dst, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    dt = now() - t0
    os.remove(dst)
    return dt


async def _file_body(path):
    with open(path, "rb") as f:
        while chunk := f.read(IO_CHUNK):
            yield chunk


async def _post_file(cx, url, headers, src, size):
    """One upload of src streamed as the raw body; returns (seconds, status, JSON answer)."""
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size), **headers}
    t0 = now()
    async with cx.session.post(
        url, data=_file_body(src), headers=headers, timeout=aiohttp.ClientTimeout(total=600)
    ) as resp:
        body = await resp.json(content_type=None)
        status = resp.status
    return now() - t0, status, body


async def _get_file(cx, url, headers, dst):
    """One download streamed to dst; returns (seconds, bytes, Content-Length)."""
    t0 = now()
    n = 0
    async with cx.session.get(
        url, headers=headers, timeout=aiohttp.ClientTimeout(total=600)
    ) as resp:
        if resp.status != 200:
            raise RuntimeError(f"download -> {resp.status}: {(await resp.read())[:300]!r}")
        length = resp.headers.get("Content-Length")
        with open(dst, "wb") as f:
            async for chunk in resp.content.iter_any():
                f.write(chunk)
                n += len(chunk)
    return now() - t0, n, int(length) if length else None


async def _upload(cx, token, chat_id, src, size):
    """One upload; returns (seconds, media view)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Disposition": "attachment; filename*=UTF-8''bench-media.bin",
    }
    url = f"{cx.base}{API}/chats/{chat_id}/media"
    dt, status, body = await _post_file(cx, url, headers, src, size)
    if status != 201:
        raise RuntimeError(f"upload -> {status}: {str(body)[:300]}")
    return dt, body


async def _download(cx, token, chat_id, media_id, dst):
    """One download streamed to dst; returns (seconds, bytes, Content-Length)."""
    url = f"{cx.base}{API}/chats/{chat_id}/media/{media_id}"
    return await _get_file(cx, url, {"Authorization": f"Bearer {token}"}, dst)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _floor(cx, src, size, digest, work, rounds):
    """The same rounds against bench/media_floor.py (uvicorn with nothing but the file I/O):
    seconds of each upload + fsync, + sha256, + md5 + sha256, and download; sha256 ok."""
    port = _free_port()
    floor_dir = os.path.join(work, "floor")
    os.makedirs(floor_dir)
    # The driver may run in a venv of its own: the floor runs with the server's Python.
    here = os.path.dirname(os.path.abspath(__file__))
    python = os.path.join(os.path.dirname(here), ".venv", "bin", "python")
    server = subprocess.Popen(
        [python if os.path.exists(python) else sys.executable, "-m", "uvicorn", "--app-dir", here,
         "media_floor:app", "--host", "127.0.0.1", "--port", str(port), "--http", "httptools",
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "FLOOR_DIR": floor_dir},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    seconds = {"upload": [], "upload_sha256": [], "upload_digests": [], "download": []}
    ok = True
    try:
        for _ in range(300):  # up to 30 s for the server to listen
            if server.poll() is not None:
                raise RuntimeError(f"the floor server exited with {server.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                await asyncio.sleep(0.1)
        got = os.path.join(work, "floor-download.bin")
        for _ in range(rounds):
            for key, query in (("upload", ""), ("upload_sha256", "?sha256"),
                               ("upload_digests", "?md5")):  # fmt: skip
                dt, status, body = await _post_file(cx, f"{base}/upload{query}", {}, src, size)
                ok &= status == 201 and body["size_bytes"] == size
                ok &= not query or body["sha256"] == digest
                seconds[key].append(dt)
            dt, n, length = await _get_file(cx, f"{base}/download", {}, got)
            ok &= n == size and length == size and _sha256(got) == digest
            os.remove(got)
            seconds["download"].append(dt)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return seconds, ok


def _mbps(size, seconds):
    return round(size / 1e6 / seconds, 1) if seconds > 0 else None


def _ratio(mbps, baseline):
    return round(mbps / baseline, 3) if mbps and baseline else None


def _med_cpu(results, key):
    vals = [r.get(key) for r in results if r.get(key) is not None]
    return round(statistics.median(vals), 1) if vals else None


def _cp_fsync_digests(src, dst):
    """Seconds of cp + fsync, then of the MD5 and of the SHA-256 of src, each timed apart."""
    return {
        "cp_fsync": _time_cp(src, dst, True),
        "md5": _time_digest(src, "md5"),
        "sha256": _time_digest(src, "sha256"),
    }


async def _upload_attach(cx, token, chat_id, src, size, pid, seconds, cpus):
    """One timed upload (its time and CPU appended to seconds and cpus), then a message
    carrying it (not timed); returns the media view."""
    cpu = CpuWindow(pid)
    dt, view = await _upload(cx, token, chat_id, src, size)
    cpus.append(cpu.result())
    seconds.append(dt)
    txn = f"media-{chat_id}-{now()}"
    status, body = await cx.send_text(token, chat_id, txn, txn, attachments=[view["id"]])
    if status not in OK_SEND:
        raise RuntimeError(f"message with attachment -> {status}: {body[:300]!r}")
    return view


async def media(cx, a, env):
    """cp baselines, then --rounds of: upload + attach + download in a group, upload + attach
    in a direct chat."""
    size = int(a.size_mb * 1024 * 1024)
    pid = env.server_pid()
    users, chat_id, setup = await make_room(cx, 2, new_prefix("med"))
    token = users[0][1]
    direct = await cx.req_json(
        "POST", f"{API}/chats/direct", token, ok=(200, 201), body={"user_id": users[1][0]}
    )
    direct_id = direct["id"]
    work = os.path.join(env.dir, "media_bench")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    data_dir = os.path.join(env.dir, "data")
    same_fs = os.path.isdir(data_dir) and os.stat(data_dir).st_dev == os.stat(work).st_dev
    src, dst = os.path.join(work, "source.bin"), os.path.join(work, "copy.bin")
    t0 = now()
    digest = _make_source(src, size)
    log(f"media: {size:,} random bytes in {now() - t0:.1f}s; same filesystem as data: {same_fs}")
    try:
        cp_s = [_time_cp(src, dst, False) for _ in range(COPIES)]
        refs = [_cp_fsync_digests(src, dst) for _ in range(COPIES)]
        cp_fsync_s = [t["cp_fsync"] for t in refs]
        cp_fsync_sha256_s = [t["cp_fsync"] + t["sha256"] for t in refs]
        cp_fsync_digests_s = [t["cp_fsync"] + t["md5"] + t["sha256"] for t in refs]
        cp_fsync = _mbps(size, statistics.median(cp_fsync_s))
        cp_fsync_sha256 = _mbps(size, statistics.median(cp_fsync_sha256_s))
        cp_fsync_digests = _mbps(size, statistics.median(cp_fsync_digests_s))
        log(
            f"media: cp + fsync {cp_fsync} MB/s, + sha256 {cp_fsync_sha256} MB/s, "
            f"+ md5 + sha256 {cp_fsync_digests} MB/s"
        )
        up_s, down_s, direct_s, up_cpu, down_cpu, direct_cpu = [], [], [], [], [], []
        ok = True
        for r in range(a.rounds):
            view = await _upload_attach(cx, token, chat_id, src, size, pid, up_s, up_cpu)
            ok &= view.get("sha256") == digest and view.get("size_bytes") == size
            got = os.path.join(work, "download.bin")
            cpu = CpuWindow(pid)
            dt, n, length = await _download(cx, token, chat_id, view["id"], got)
            down_cpu.append(cpu.result())
            down_s.append(dt)
            ok &= n == size and length == size and _sha256(got) == digest
            os.remove(got)
            view = await _upload_attach(cx, token, direct_id, src, size, pid, direct_s, direct_cpu)
            ok &= view.get("sha256") == digest and view.get("size_bytes") == size
            up_r, direct_r = _mbps(size, up_s[-1]), _mbps(size, direct_s[-1])
            log(
                f"media round {r}: upload into the group {up_r} MB/s "
                f"({_ratio(up_r, cp_fsync_digests)} of cp + fsync + md5 + sha256), "
                f"into the direct chat {direct_r} MB/s "
                f"({_ratio(direct_r, cp_fsync_sha256)} of cp + fsync + sha256), "
                f"download {_mbps(size, down_s[-1])} MB/s, sha256 ok so far: {ok}"
            )
        floor_s, floor_ok = await _floor(cx, src, size, digest, work, a.rounds)
        log(f"media: the floor (bare uvicorn) {floor_s}, sha256 ok: {floor_ok}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = {k: _mbps(size, statistics.median(v)) for k, v in floor_s.items()}
    cp = _mbps(size, statistics.median(cp_s))
    up = _mbps(size, statistics.median(up_s))
    down = _mbps(size, statistics.median(down_s))
    up_direct = _mbps(size, statistics.median(direct_s))
    return {
        "workload": "media",
        "size_bytes": size,
        "rounds": a.rounds,
        "sha256_ok": ok,
        "same_filesystem": same_fs,
        "cp_mb_per_s": cp,
        "cp_fsync_mb_per_s": cp_fsync,
        "cp_fsync_sha256_mb_per_s": cp_fsync_sha256,
        "cp_fsync_digests_mb_per_s": cp_fsync_digests,
        "digests_by": f"hashlib ({ssl.OPENSSL_VERSION}), in the driver, one after the other",
        "upload_mb_per_s": up,
        "upload_direct_mb_per_s": up_direct,
        "download_mb_per_s": down,
        "upload_vs_cp": _ratio(up, cp),
        "upload_vs_cp_fsync": _ratio(up, cp_fsync),
        "upload_vs_cp_fsync_digests": _ratio(up, cp_fsync_digests),
        "upload_direct_vs_cp_fsync": _ratio(up_direct, cp_fsync),
        "upload_direct_vs_cp_fsync_sha256": _ratio(up_direct, cp_fsync_sha256),
        "download_vs_cp": _ratio(down, cp),
        "floor_sha256_ok": floor_ok,
        "floor_upload_mb_per_s": floor["upload"],
        "floor_upload_sha256_mb_per_s": floor["upload_sha256"],
        "floor_upload_digests_mb_per_s": floor["upload_digests"],
        "floor_download_mb_per_s": floor["download"],
        "floor_upload_vs_cp_fsync": _ratio(floor["upload"], cp_fsync),
        "floor_upload_sha256_vs_cp_fsync_sha256": _ratio(floor["upload_sha256"], cp_fsync_sha256),
        "floor_download_vs_cp": _ratio(floor["download"], cp),
        "upload_vs_floor_digests": _ratio(up, floor["upload_digests"]),
        "upload_direct_vs_floor_sha256": _ratio(up_direct, floor["upload_sha256"]),
        "download_vs_floor": _ratio(down, floor["download"]),
        "seconds": {
            "cp": [round(x, 3) for x in cp_s],
            "cp_fsync": [round(x, 3) for x in cp_fsync_s],
            "md5": [round(t["md5"], 3) for t in refs],
            "sha256": [round(t["sha256"], 3) for t in refs],
            "upload": [round(x, 3) for x in up_s],
            "upload_direct": [round(x, 3) for x in direct_s],
            "download": [round(x, 3) for x in down_s],
            **{f"floor_{k}": [round(x, 3) for x in v] for k, v in floor_s.items()},
        },
        "upload_server_cpu_pct": _med_cpu(up_cpu, "server_cpu_pct"),
        "upload_driver_cpu_pct": _med_cpu(up_cpu, "driver_cpu_pct"),
        "upload_direct_server_cpu_pct": _med_cpu(direct_cpu, "server_cpu_pct"),
        "upload_direct_driver_cpu_pct": _med_cpu(direct_cpu, "driver_cpu_pct"),
        "download_server_cpu_pct": _med_cpu(down_cpu, "server_cpu_pct"),
        "download_driver_cpu_pct": _med_cpu(down_cpu, "driver_cpu_pct"),
        "setup": setup,
        "room_id": chat_id,
        "direct_chat_id": direct_id,
    }


def main():
    """Parse and run; one JSON line on stdout."""
    p = base_parser(__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("media", help="upload/download throughput vs cp")
    s.add_argument("--size-mb", type=float, default=100, help="file size in MiB (default 100)")
    s.add_argument("--rounds", type=int, default=3, help="upload+download rounds (median)")
    a = p.parse_args()
    driver_main(a, {"media": media})


if __name__ == "__main__":
    main()
