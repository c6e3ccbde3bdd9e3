"""A client's copy of messages that never shows a deleted or expired one.

`MessageCache` takes messages from history pages (`put`) and live events (`apply`). It drops
a message on `message.deleted`, and also by itself when the message's timer runs out on the
local clock (chat timer, self-destruct, view-once), so nothing expired is shown even while
the server's purge and its `message.deleted` are still on their way.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

from colletta_sdk.models import Event, Message

Clock = Callable[[], int]
"""Milliseconds since the Unix epoch."""

ChangeKind = Literal["added", "updated", "deleted", "expired"]


def system_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class CacheChange:
    """What happened to one cached message: for `deleted`/`expired`, the copy dropped."""

    kind: ChangeKind
    message: Message


class MessageCache:
    """Messages as one user may see them now, across chats, keyed by message id.

    `user_id` is the viewer: self-destruct timers differ for the sender and the reader.
    `clock` is injectable so tests move time instead of waiting for it. Reading (`get`,
    `messages`) never returns an expired message even before `expire` has dropped it.
    """

    def __init__(self, user_id: str | None = None, *, clock: Clock = system_clock_ms) -> None:
        self.user_id = user_id
        self._clock = clock
        self._messages: dict[str, Message] = {}
        self._gone: set[str] = set()  # deleted or expired: a stale copy never comes back
        self._due: list[tuple[int, str]] = []  # (expires at, message id), a min-heap
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self.messages())

    def __contains__(self, message_id: object) -> bool:
        return isinstance(message_id, str) and self.get(message_id) is not None

    def now_ms(self) -> int:
        return self._clock()

    # Reading

    def get(self, message_id: str) -> Message | None:
        message = self._messages.get(message_id)
        if message is None or message.expired_for(self.user_id, self._clock()):
            return None
        return message

    def messages(self, chat_id: str | None = None) -> list[Message]:
        """The visible messages of one chat (or all), in seq order."""
        now_ms = self._clock()
        shown = [
            m
            for m in self._messages.values()
            if (chat_id is None or m.chat_id == chat_id) and not m.expired_for(self.user_id, now_ms)
        ]
        return sorted(shown, key=lambda m: (m.chat_id, m.seq))

    # Writing

    def put(self, message: Message) -> CacheChange | None:
        """Store the newest copy of a message (from history or an event).

        A tombstone (`deleted`) or a message already expired drops any cached copy. Returns
        what changed for a viewer, or None when nothing they were shown changed.
        """
        old = self._messages.get(message.id)
        if message.id in self._gone:
            return None
        if message.deleted:
            return self._drop(message.id, "deleted")
        if (
            old is not None
            and message.read_expires_at_ms is None
            and old.read_expires_at_ms is not None
        ):
            # Keep a read timer started locally (the server's edits do not repeat it).
            message = replace(message, read_expires_at_ms=old.read_expires_at_ms)
        if message.expired_for(self.user_id, self._clock()):
            return self._drop(message.id, "expired")
        self._messages[message.id] = message
        self._schedule(message)
        return CacheChange("updated" if old is not None else "added", message)

    def put_all(self, messages: Iterable[Message]) -> list[CacheChange]:
        return [c for c in (self.put(m) for m in messages) if c is not None]

    def drop(self, message_id: str) -> CacheChange | None:
        """Forget a message for good, as `message.deleted` does."""
        return self._drop(message_id, "deleted")

    def clear_chat(self, chat_id: str) -> None:
        """Forget a chat's messages (it was left, or must be fetched afresh)."""
        for message_id in [m.id for m in self._messages.values() if m.chat_id == chat_id]:
            del self._messages[message_id]

    def read_up_to(self, chat_id: str, seq: int) -> None:
        """The viewer read the chat up to `seq`: self-destruct timers of what they received
        start now, as they do on the server when the read marker passes a message."""
        now_ms = self._clock()
        for message in list(self._messages.values()):
            if (
                message.chat_id == chat_id
                and message.seq <= seq
                and message.expires_after_read_s is not None
                and message.read_expires_at_ms is None
                and message.sender_id != self.user_id
            ):
                started = replace(
                    message, read_expires_at_ms=now_ms + message.expires_after_read_s * 1000
                )
                self._messages[message.id] = started
                self._schedule(started)

    def apply(self, event: Event) -> list[CacheChange]:
        """Apply one live event; returns the expiries now due, then the event's own change."""
        changes = self.expire()
        change: CacheChange | None = None
        if event.type in {"message.created", "message.edited"} and event.message is not None:
            change = self.put(event.message)
        elif event.type == "message.deleted":
            change = self.drop(str(event.data.get("message_id")))
        elif event.type == "message.reactions_changed":
            change = self._react(event)
        elif event.type == "read.updated" and str(event.data.get("user_id")) == self.user_id:
            self.read_up_to(event.chat_id, int(event.data.get("read_seq") or 0))
        elif event.type in {"resync_required", "chat.removed"}:
            self.clear_chat(event.chat_id)
        if change is not None:
            changes.append(change)
        return changes

    # Expiry

    def expire(self) -> list[CacheChange]:
        """Drop every message whose time is up on the clock; returns them in seq order."""
        now_ms = self._clock()
        expired: list[CacheChange] = []
        while self._due and self._due[0][0] <= now_ms:
            due_ms, message_id = heapq.heappop(self._due)
            message = self._messages.get(message_id)
            if message is not None and message.expires_at_for(self.user_id) == due_ms:
                change = self._drop(message_id, "expired")
                if change is not None:
                    expired.append(change)
        return sorted(expired, key=lambda c: (c.message.chat_id, c.message.seq))

    def next_expiry_ms(self) -> int | None:
        """When the next cached message expires, if any does."""
        while self._due:
            due_ms, message_id = self._due[0]
            message = self._messages.get(message_id)
            if message is not None and message.expires_at_for(self.user_id) == due_ms:
                return due_ms
            heapq.heappop(self._due)  # stale: dropped, or its deadline changed
        return None

    def wake(self) -> None:
        """Make `run_expiry` look at the clock now (after the clock jumped, say)."""
        self._wake.set()

    async def run_expiry(
        self, on_change: Callable[[list[CacheChange]], None], *, max_wait_s: float = 60.0
    ) -> None:
        """Drop messages as they expire, telling `on_change`; runs until cancelled.

        It sleeps until the next deadline, and wakes early when a message with an earlier one
        is stored; `max_wait_s` bounds each sleep so a clock that jumps is noticed.
        """
        while True:
            self._wake.clear()
            changes = self.expire()
            if changes:
                on_change(changes)
            due_ms = self.next_expiry_ms()
            wait_s = max_wait_s
            if due_ms is not None:
                wait_s = min(wait_s, max(0.0, (due_ms - self._clock()) / 1000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)

    # Internals

    def _schedule(self, message: Message) -> None:
        due_ms = message.expires_at_for(self.user_id)
        if due_ms is None:
            return
        earliest = self.next_expiry_ms()
        heapq.heappush(self._due, (due_ms, message.id))
        if earliest is None or due_ms < earliest:
            self._wake.set()

    def _drop(self, message_id: str, kind: ChangeKind) -> CacheChange | None:
        self._gone.add(message_id)
        old = self._messages.pop(message_id, None)
        return None if old is None else CacheChange(kind, old)

    def _react(self, event: Event) -> CacheChange | None:
        message = self._messages.get(str(event.data.get("message_id")))
        reactions = event.data.get("reactions")
        if message is None or not isinstance(reactions, dict):
            return None
        updated = replace(message, reactions={str(k): int(v) for k, v in reactions.items()})
        self._messages[message.id] = updated
        return CacheChange("updated", updated)
