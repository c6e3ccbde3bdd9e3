"""The floor of the media workload: the same HTTP server as Colletta (uvicorn, httptools, the
loop uvicorn picks), with nothing but the file I/O of an upload or a download.

  uvicorn --app-dir bench media_floor:app --port PORT   (FLOOR_DIR: where the file goes)

- `POST /upload` writes the body to FLOOR_DIR/floor.bin as it arrives and fsyncs it;
  `POST /upload?sha256` also takes its SHA-256, `?md5` its MD5 as well. Answers 201 with
  the hex digests.
- `GET /download` streams FLOOR_DIR/floor.bin in 1 MiB reads with its Content-Length.

Everything runs on the event loop, with no authorization, database, thread hop or
framework: no server of this kind does less per byte, so Colletta's ratio to it is the share
of the HTTP stack's own throughput it keeps, and the floor's ratio to `cp` is what the stack
allows on this machine (bench/README.md, media).
"""

from __future__ import annotations

import hashlib
import json
import os

CHUNK = 1024 * 1024


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _upload(path, query, receive, send):
    digests = []
    if query in ("sha256", "md5"):
        digests.append(hashlib.sha256())
    if query == "md5":
        digests.append(hashlib.md5(usedforsecurity=False))
    size = 0
    with open(path, "wb") as f:
        more = True
        while more:
            message = await receive()
            body = message.get("body", b"")
            f.write(body)
            for digest in digests:
                digest.update(body)
            size += len(body)
            more = message.get("more_body", False)
        f.flush()
        os.fsync(f.fileno())
    answer = json.dumps({"size_bytes": size, **{d.name: d.hexdigest() for d in digests}})
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer.encode()})


async def _download(path, send):
    size = os.path.getsize(path)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/octet-stream"),
                (b"content-length", str(size).encode()),
            ],
        }
    )
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def app(scope, receive, send):
    """The ASGI application."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path = os.path.join(os.environ["FLOOR_DIR"], "floor.bin")
    if scope["method"] == "POST" and scope["path"] == "/upload":
        await _upload(path, scope["query_string"].decode(), receive, send)
    elif scope["method"] == "GET" and scope["path"] == "/download":
        await _download(path, send)
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
