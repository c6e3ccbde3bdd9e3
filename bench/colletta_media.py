#!/usr/bin/env python3
"""Media throughput: upload and download of one large file against `cp` on the same disk.

  python colletta_media.py --url URL --dir DIR media --size-mb 100 --rounds 3

DIR/media_bench/ gets a file of random bytes (written and fsynced before anything is timed; it
stays in the page cache, so every reader below reads it from memory). Then:

- `cp SRC DST` three times (median; DST removed after each), then `cp` + an fsync of DST three
  times. The server fsyncs every upload, so the upload's target is ≥ 60 % of `cp` + fsync
  (`upload_vs_cp_fsync`); plain `cp` usually ends in the page cache and is kept as context.
- --rounds times: upload with `POST /api/v1/chats/{id}/media` (raw body streamed from the
  file in 1 MiB reads, Content-Length set, `Content-Disposition: attachment;
  filename*=UTF-8''…`) until the 201 answer; a message carrying it (`attachments: [id]`);
  download with `GET /api/v1/chats/{id}/media/{media_id}` streamed into DIR/media_bench/
  (not fsynced) until the last byte is written. The server's sha256 and the downloaded file's
  sha256 (computed after the timing) must equal the source's.

MB/s are 10^6 bytes per second; figures are medians over the copies or rounds.
DIR/data (the server's data dir) must be on the same filesystem; the line says whether it is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess

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


async def _upload(cx, token, chat_id, src, size):
    """One upload; returns (seconds, media view)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/octet-stream",
        "Content-Length": str(size),
        "Content-Disposition": "attachment; filename*=UTF-8''bench-media.bin",
    }
    t0 = now()
    async with cx.session.post(
        f"{cx.base}{API}/chats/{chat_id}/media",
        data=_file_body(src),
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=600),
    ) as resp:
        body = await resp.json(content_type=None)
        status = resp.status
    dt = now() - t0
    if status != 201:
        raise RuntimeError(f"upload -> {status}: {str(body)[:300]}")
    return dt, body


async def _download(cx, token, chat_id, media_id, dst):
    """One download streamed to dst; returns (seconds, bytes, Content-Length)."""
    t0 = now()
    n = 0
    async with cx.session.get(
        f"{cx.base}{API}/chats/{chat_id}/media/{media_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=600),
    ) as resp:
        if resp.status != 200:
            raise RuntimeError(f"download -> {resp.status}: {(await resp.read())[:300]!r}")
        length = resp.headers.get("Content-Length")
        with open(dst, "wb") as f:
            async for chunk in resp.content.iter_any():
                f.write(chunk)
                n += len(chunk)
    return now() - t0, n, int(length) if length else None


def _mbps(size, seconds):
    return round(size / 1e6 / seconds, 1) if seconds > 0 else None


def _ratio(mbps, baseline):
    return round(mbps / baseline, 3) if mbps and baseline else None


def _med_cpu(results, key):
    vals = [r.get(key) for r in results if r.get(key) is not None]
    return round(statistics.median(vals), 1) if vals else None


async def media(cx, a, env):
    """cp baseline, then --rounds upload + attach + download of the same file."""
    size = int(a.size_mb * 1024 * 1024)
    pid = env.server_pid()
    users, chat_id, setup = await make_room(cx, 1, new_prefix("med"))
    token = users[0][1]
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
        cp_fsync_s = [_time_cp(src, dst, True) for _ in range(COPIES)]
        cp_fsync = _mbps(size, statistics.median(cp_fsync_s))
        up_s, down_s, up_cpu, down_cpu, ok = [], [], [], [], True
        for r in range(a.rounds):
            cpu = CpuWindow(pid)
            dt, view = await _upload(cx, token, chat_id, src, size)
            up_cpu.append(cpu.result())
            up_s.append(dt)
            ok &= view.get("sha256") == digest and view.get("size_bytes") == size
            status, body = await cx.send_text(
                token, chat_id, f"media-{r}-{now()}", f"media round {r}", attachments=[view["id"]]
            )
            if status not in OK_SEND:
                raise RuntimeError(f"message with attachment -> {status}: {body[:300]!r}")
            got = os.path.join(work, "download.bin")
            cpu = CpuWindow(pid)
            dt, n, length = await _download(cx, token, chat_id, view["id"], got)
            down_cpu.append(cpu.result())
            down_s.append(dt)
            ok &= n == size and length == size and _sha256(got) == digest
            os.remove(got)
            log(
                f"media round {r}: upload {_mbps(size, up_s[-1])} MB/s "
                f"({_ratio(_mbps(size, up_s[-1]), cp_fsync)} of cp + fsync's {cp_fsync} MB/s), "
                f"download {_mbps(size, down_s[-1])} MB/s, sha256 ok so far: {ok}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cp = _mbps(size, statistics.median(cp_s))
    up = _mbps(size, statistics.median(up_s))
    down = _mbps(size, statistics.median(down_s))
    return {
        "workload": "media",
        "size_bytes": size,
        "rounds": a.rounds,
        "sha256_ok": ok,
        "same_filesystem": same_fs,
        "cp_mb_per_s": cp,
        "cp_fsync_mb_per_s": cp_fsync,
        "upload_mb_per_s": up,
        "download_mb_per_s": down,
        "upload_vs_cp": _ratio(up, cp),
        "upload_vs_cp_fsync": _ratio(up, cp_fsync),
        "download_vs_cp": _ratio(down, cp),
        "seconds": {
            "cp": [round(x, 3) for x in cp_s],
            "cp_fsync": [round(x, 3) for x in cp_fsync_s],
            "upload": [round(x, 3) for x in up_s],
            "download": [round(x, 3) for x in down_s],
        },
        "upload_server_cpu_pct": _med_cpu(up_cpu, "server_cpu_pct"),
        "upload_driver_cpu_pct": _med_cpu(up_cpu, "driver_cpu_pct"),
        "download_server_cpu_pct": _med_cpu(down_cpu, "server_cpu_pct"),
        "download_driver_cpu_pct": _med_cpu(down_cpu, "driver_cpu_pct"),
        "setup": setup,
        "room_id": chat_id,
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
