"""A minimal WebSocket client for tests: speaks docs/events.md directly, no SDK in between."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

RECV_TIMEOUT_S = 10.0


class Live:
    def __init__(self, ws: ClientConnection, ready: dict[str, Any]) -> None:
        self.ws = ws
        self.ready = ready

    @classmethod
    async def open(
        cls,
        url: str,
        token: str,
        cursors: dict[str, int] | None = None,
        *,
        include_blocked: bool = False,
        **kwargs: Any,
    ) -> Live:
        # A socket closed with frames still unread (a replay it did not drain) cannot see the
        # server's close frame behind them, and would wait out the library's 10 s.
        kwargs.setdefault("close_timeout", 1)
        ws = await connect(url, **kwargs)
        auth: dict[str, Any] = {"type": "auth", "token": token, "cursors": cursors or {}}
        if include_blocked:
            auth["include_blocked"] = True
        await ws.send(orjson.dumps(auth))
        ready = orjson.loads(await asyncio.wait_for(ws.recv(), RECV_TIMEOUT_S))
        assert ready["type"] == "ready", ready
        return cls(ws, ready)

    async def next(self) -> dict[str, Any]:
        return orjson.loads(await asyncio.wait_for(self.ws.recv(), RECV_TIMEOUT_S))  # type: ignore[no-any-return]

    async def next_of(self, *types: str) -> dict[str, Any]:
        """The next frame of one of `types`, skipping others (e.g. typing)."""
        while True:
            frame = await self.next()
            if frame["type"] in types:
                return frame

    async def until_closed(self) -> int | None:
        """Read (and drop) frames until the server closes; the close code it sent."""
        try:
            while True:
                await self.next()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(frame))

    async def close(self) -> None:
        await self.ws.close()
