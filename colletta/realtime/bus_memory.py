"""The bus of a single process: publishing is a function call."""

from __future__ import annotations

from colletta.realtime.bus import OnMessage


class MemoryBus:
    def __init__(self) -> None:
        self._on_message: OnMessage | None = None
        self._topics: set[str] = set()

    async def start(self, on_message: OnMessage) -> None:
        self._on_message = on_message

    async def publish(self, topic: str, data: bytes) -> None:
        if self._on_message is not None and topic in self._topics:
            self._on_message(topic, data)

    async def subscribe(self, topic: str) -> None:
        self._topics.add(topic)

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)

    async def close(self) -> None:
        self._on_message = None
        self._topics.clear()
