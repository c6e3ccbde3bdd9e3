"""How the server listens: uvicorn's options, built from the settings in one place for
`colletta serve` and the tests, and the connection limits uvicorn's httptools protocol lacks.

uvicorn offers `limit_concurrency` (a 503 once a request arrives, but idle connections stay
open), `timeout_keep_alive` (only between requests) and `h11_max_incomplete_event_size` (h11
only). Nothing bounds, under httptools, the size of a request head or how long a client may
take to send it or its body, and nothing closes connections over a cap: `GuardedHttpProtocol`
does, at the transport, before any of it reaches the application.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from colletta.api.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from colletta.api.middleware import SECURITY_HEADERS
from colletta.api.ws import MAX_FRAME_BYTES
from colletta.config import Settings


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_connections: int
    max_header_bytes: int
    header_timeout_s: float
    body_timeout_s: float


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-For is believed only from the trusted proxies.

    uvicorn trusts 127.0.0.1 by default; off by default here, since a local proxy is not a
    given and a spoofed header would let any client dodge the per-address login limit.
    """
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` (besides the app itself)."""
    limits = HttpLimits(
        max_connections=settings.max_connections,
        max_header_bytes=settings.http_max_header_bytes,
        header_timeout_s=settings.http_header_timeout_s,
        body_timeout_s=settings.http_body_timeout_s,
    )
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        # A partial, not a class made on the fly: worker processes receive it pickled.
        "http": functools.partial(GuardedHttpProtocol, limits=limits),
        "ws": "websockets-sansio",
        "ws_ping_interval": settings.ws_ping_interval_s,
        "ws_ping_timeout": settings.ws_ping_interval_s,
        "ws_max_size": MAX_FRAME_BYTES,
        # Compressing every frame once per socket costs more CPU than the whole fan-out.
        "ws_per_message_deflate": False,
        "timeout_keep_alive": settings.http_keep_alive_s,
        # Only used if the h11 protocol is chosen instead of ours.
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        **proxy_options(settings),
        "server_header": False,
        "access_log": False,
        # A worker answers uvicorn's health check only once its imports are done: ~2 s of CPU,
        # which on a busy machine took 9 s, and uvicorn's 5 s default killed every worker.
        "timeout_worker_healthcheck": 60,
    }


def _problem_response(status: int, slug: str, detail: str, *extra: tuple[bytes, bytes]) -> bytes:
    """A complete HTTP/1.1 problem+json answer that also closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = orjson.dumps(
        {"type": PROBLEM_BASE + slug, "title": phrase, "status": status, "detail": detail}
    )
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
        *extra,
    ]
    head = f"HTTP/1.1 {status} {phrase}\r\n".encode()
    return (
        head + b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body
    )


_AT_CAPACITY = _problem_response(
    503, "unavailable", "the server is at its connection limit", (b"retry-after", b"1")
)
_HEAD_TOO_LARGE = _problem_response(
    431, "headers_too_large", "the request line and headers are too large"
)
_TIMEOUT = _problem_response(408, "timeout", "the request was not received in time")
# After refusing, input is read and dropped this long so that the client, still sending,
# gets the answer rather than a reset.
_LINGER_S = 2.0


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a connection cap, a bound on the request head, and
    read timeouts for the head (from its first byte, or from connecting) and the body (the
    longest pause between chunks)."""

    def __init__(self, *args: Any, limits: HttpLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = limits
        self._in_head = True
        self._head_bytes = 0  # received since the head began: stops one still streaming
        self._head_size = 0  # request line and headers as parsed: sizes a complete head
        self._draining = False
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections:
            # No lingering here: under a flood of connections it would hold their sockets.
            self._refuse(_AT_CAPACITY, linger=False)
            return
        self._arm(self._limits.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._timer is None:
                self._arm(self._limits.header_timeout_s)
        super().data_received(data)
        if self._in_head and self._head_bytes > self._limits.max_header_bytes:
            self._refuse(_HEAD_TOO_LARGE)

    def shutdown(self) -> None:
        if self._draining:
            self.transport.close()
            return
        super().shutdown()

    def handle_websocket_upgrade(self) -> None:
        if self._draining:
            return
        self._disarm()
        self._in_head = False
        super().handle_websocket_upgrade()

    # Parser callbacks. After a refusal the rest of the chunk is still parsed: ignore it.

    def on_message_begin(self) -> None:
        self._head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._draining:
            return
        self._in_head = False
        self._head_bytes = 0
        self._disarm()
        if self._head_size > self._limits.max_header_bytes:
            self._refuse(_HEAD_TOO_LARGE)  # it arrived in one piece
            return
        super().on_headers_complete()
        self._arm(self._limits.body_timeout_s)

    def on_body(self, body: bytes) -> None:
        if self._draining:
            return
        self._arm(self._limits.body_timeout_s)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._draining:
            return
        self._disarm()
        self._in_head = True
        super().on_message_complete()

    def _arm(self, delay_s: float) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._timer = self.loop.call_later(delay_s, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if not self._in_head and cycle is not None:
            if cycle.waiting_for_100_continue or self.flow.read_paused:
                # Waiting on the application, not on the client.
                self._arm(self._limits.body_timeout_s)
                return
            if cycle.response_started:
                self._refuse(None)
                return
        self._refuse(_TIMEOUT)

    def _refuse(self, response: bytes | None, *, linger: bool = True) -> None:
        """Answer (if given) and close; a request in progress sees a disconnect."""
        self._disarm()
        self._in_head = False
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        if response is None or not linger or not self.transport.can_write_eof():
            if response is not None:
                self.transport.write(response)
            self.transport.close()
            return
        self.transport.write(response)
        self.transport.write_eof()
        self._draining = True
        self.flow.resume_reading()
        self._timer = self.loop.call_later(_LINGER_S, self.transport.close)
