"""This node's live connections, indexed by chat and by user.

The hub only routes: it puts each envelope on the bounded queue of every interested local
connection. A full queue marks the connection as too slow instead of buffering without
bound; the transport then closes it and the client resumes from its cursors.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from colletta.realtime.bus import CONTROL_CATCH_UP, Bus, Envelope, chat_topic, user_topic


class Connection:
    """One live client of one user, as the hub sees it."""

    __slots__ = ("chat_ids", "closed", "on_overflow", "overflowed", "queue", "user_id")

    def __init__(self, user_id: int, queue_max: int) -> None:
        self.user_id = user_id
        self.on_overflow: Callable[[], None] | None = None
        self.chat_ids: set[int] = set()
        self.queue: asyncio.Queue[Envelope] = asyncio.Queue(maxsize=queue_max)
        self.overflowed = asyncio.Event()
        self.closed = False

    def offer(self, envelope: Envelope) -> None:
        if self.overflowed.is_set():
            return
        try:
            self.queue.put_nowait(envelope)
        except asyncio.QueueFull:
            self.overflowed.set()
            # Free what was buffered now; the client will replay it from the log.
            while not self.queue.empty():
                self.queue.get_nowait()
            if self.on_overflow is not None:
                self.on_overflow()


class Hub:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._by_chat: dict[int, set[Connection]] = defaultdict(set)
        self._by_user: dict[int, set[Connection]] = defaultdict(set)

    @property
    def connection_count(self) -> int:
        return sum(len(conns) for conns in self._by_user.values())

    def on_bus_message(self, topic: str, data: bytes) -> None:
        envelope = Envelope.decode(data)
        kind, _, raw_id = topic.partition(":")
        targets = self._by_chat if kind == "chat" else self._by_user
        for conn in tuple(targets.get(int(raw_id), ())):
            conn.offer(envelope)

    def catch_up_all(self) -> None:
        """Ask every local connection to re-read its chats from the log (the bus lost some)."""
        marker = Envelope(0, None, CONTROL_CATCH_UP, b"")
        for conns in tuple(self._by_user.values()):
            for conn in tuple(conns):
                conn.offer(marker)

    async def register(self, conn: Connection, chat_ids: set[int]) -> None:
        users = self._by_user[conn.user_id]
        users.add(conn)
        if len(users) == 1:
            await self._bus.subscribe(user_topic(conn.user_id))
        for chat_id in chat_ids:
            await self.add_chat(conn, chat_id)

    async def add_chat(self, conn: Connection, chat_id: int) -> None:
        if conn.closed or chat_id in conn.chat_ids:
            return
        conn.chat_ids.add(chat_id)
        conns = self._by_chat[chat_id]
        conns.add(conn)
        if len(conns) == 1:
            await self._bus.subscribe(chat_topic(chat_id))

    async def remove_chat(self, conn: Connection, chat_id: int) -> None:
        if chat_id not in conn.chat_ids:
            return
        conn.chat_ids.discard(chat_id)
        conns = self._by_chat.get(chat_id)
        if conns is None:
            return
        conns.discard(conn)
        if not conns:
            del self._by_chat[chat_id]
            await self._bus.unsubscribe(chat_topic(chat_id))

    async def unregister(self, conn: Connection) -> None:
        for chat_id in tuple(conn.chat_ids):
            await self.remove_chat(conn, chat_id)
        conn.closed = True
        users = self._by_user.get(conn.user_id)
        if users is not None:
            users.discard(conn)
            if not users:
                del self._by_user[conn.user_id]
                await self._bus.unsubscribe(user_topic(conn.user_id))
