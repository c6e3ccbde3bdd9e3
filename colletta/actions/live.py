"""Live sessions and resume (DESIGN.md §3, steps 5–6), independent of the transport.

A session registers with the hub before it reads anything, then replays what the client
missed; live envelopes queued meanwhile are de-duplicated by seq. Any gap (the bus may drop)
is filled from the chat's event log, so a client sees every event once and in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson

from colletta.actions.blocks import blocked_by
from colletta.actions.callers import Caller
from colletta.actions.chats import CONTROL_ADDED, CONTROL_REMOVED
from colletta.actions.context import Context
from colletta.domain import blocks, events
from colletta.domain.blocks import may_hide
from colletta.domain.chats import ChatKind, sees_members
from colletta.domain.events import frame
from colletta.domain.messages import expired_for, tombstone_view
from colletta.errors import InvalidInput
from colletta.realtime.bus import CONTROL_CATCH_UP, Envelope
from colletta.realtime.hub import Connection
from colletta.store import chats as chat_store
from colletta.store import events as event_store
from colletta.store.db import Conn
from colletta.store.events import LoggedEvent

REPLAY_PAGE = 500
SYNC_LIMIT_MAX = 1000
# A cursor per followed chat: a member of thousands of chats must still be able to resume
# over the WebSocket; the bound keeps the largest `auth` frame under a megabyte. `/sync`
# carries its cursors in the URL, which the request-head limit keeps to about a thousand.
CURSORS_MAX = 10_000
SYNC_CURSORS_MAX = 1000
_ID_MAX = 2**63 - 1
_OVERFLOW = "overflow"


class SlowConsumer(Exception):
    """The client did not read fast enough; it must reconnect and resume."""


class SessionRevoked(Exception):
    """The device session behind this connection was logged out or revoked."""


def parse_cursors(raw: Mapping[str, object], max_count: int = CURSORS_MAX) -> dict[int, int]:
    """The one set of rules for cursors, the WebSocket's and `/sync`'s: a chat id in decimal
    (1…2^63−1) to a seq as an integer (0…2^63−1), at most `max_count` of them."""
    if len(raw) > max_count:
        raise InvalidInput(f"at most {max_count} cursors", field="cursors")
    cursors: dict[int, int] = {}
    for chat, seq in raw.items():
        # isascii: str.isdigit() also accepts digits like "²" that int() refuses.
        if not (isinstance(chat, str) and chat.isascii() and chat.isdigit() and len(chat) < 20):
            raise InvalidInput("cursors must map chat ids to seqs", field="cursors")
        # Not bool (an int), not 1.5 or "1": a seq is a JSON integer.
        if type(seq) is not int or not 0 < int(chat) <= _ID_MAX or not 0 <= seq <= _ID_MAX:
            raise InvalidInput("cursors must map chat ids to seqs", field="cursors")
        cursors[int(chat)] = seq
    return cursors


def _resync_frame(ctx: Context, chat_id: int, last_seq: int) -> bytes:
    return orjson.dumps(
        frame(events.RESYNC_REQUIRED, chat_id, None, ctx.clock.now_ms(), {"last_seq": last_seq})
    )


def _too_far(ctx: Context, cursor: int, last_seq: int) -> bool:
    return cursor > last_seq or last_seq - cursor > ctx.settings.resync_window_events


class LiveSession:
    """One client's live stream. Create, `await open(cursors)`, iterate `frames()`, `close()`."""

    def __init__(self, ctx: Context, caller: Caller, *, include_blocked: bool = False) -> None:
        self.ctx = ctx
        self.caller = caller
        self.connection = Connection(caller.user_id, ctx.settings.ws_queue_max)
        self.cursors: dict[int, int] = {}
        # Chats whose members this user may not see: events naming people come redacted.
        self.members_hidden: set[int] = set()
        # Users this user blocked, whose messages in groups and channels come as placeholders
        # (domain.blocks): read at connect, then kept by controls on the user's topic. Empty
        # for most users, and then the live path costs one test of it per message.
        self.blocked: set[int] = set()
        self.include_blocked = include_blocked
        # Direct chats, which blocks do not filter.
        self.direct: set[int] = set()
        self._me = orjson.dumps(str(caller.user_id))
        self._pending: list[bytes] = []
        self._replay: list[int] = []
        self._overflow_envelope = Envelope(0, None, _OVERFLOW, b"")

    async def open(self, client_cursors: dict[int, int]) -> bytes:
        """Register for live events, then decide what to replay; returns the `ready` frame."""
        self.connection.on_overflow = self._on_overflow
        async with self.ctx.db.read() as conn:
            chat_seqs = await chat_store.list_user_chat_seqs(conn, self.caller.user_id)
        # Subscribe before comparing cursors: anything committed after this read arrives live.
        await self.ctx.hub.register(self.connection, set(chat_seqs))
        async with self.ctx.db.read() as conn:
            chat_seqs = await chat_store.list_user_chat_seqs(conn, self.caller.user_id)
            self.members_hidden, self.direct = await viewer_chats(conn, self.caller.user_id)
            if not self.include_blocked:
                self.blocked.update(await blocked_by(conn, self.caller.user_id))
        # Membership may have changed between the two reads.
        for chat_id in set(chat_seqs) - self.connection.chat_ids:
            await self.ctx.hub.add_chat(self.connection, chat_id)
        for chat_id in self.connection.chat_ids - set(chat_seqs):
            await self.ctx.hub.remove_chat(self.connection, chat_id)
        now_ms = self.ctx.clock.now_ms()
        for chat_id in client_cursors.keys() - chat_seqs.keys():
            self._pending.append(
                orjson.dumps(frame(events.CHAT_REMOVED, chat_id, None, now_ms, {}))
            )
        for chat_id, last_seq in chat_seqs.items():
            cursor = client_cursors.get(chat_id)
            if cursor is None:
                self.cursors[chat_id] = last_seq
            elif _too_far(self.ctx, cursor, last_seq):
                self.cursors[chat_id] = last_seq
                self._pending.append(_resync_frame(self.ctx, chat_id, last_seq))
            else:
                self.cursors[chat_id] = cursor
                if cursor < last_seq:
                    self._replay.append(chat_id)
        return orjson.dumps(
            {
                "type": "ready",
                "user_id": str(self.caller.user_id),
                "chats": [
                    {"chat_id": str(chat_id), "last_seq": seq} for chat_id, seq in chat_seqs.items()
                ],
            }
        )

    def _on_overflow(self) -> None:
        # The queue was emptied by the hub; this marker is what wakes the reader to stop.
        self.connection.queue.put_nowait(self._overflow_envelope)

    async def frames(self) -> AsyncIterator[bytes]:
        """Every frame for the client, in order; raises SlowConsumer if it fell behind."""
        for data in self._pending:
            yield data
        self._pending.clear()
        for chat_id in self._replay:
            async for data in self._catch_up(chat_id, None):
                yield data
        self._replay.clear()
        queue = self.connection.queue
        cursors = self.cursors
        blocked = self.blocked  # updated in place, never replaced
        while True:
            envelope = await queue.get()
            if self.connection.overflowed.is_set():
                raise SlowConsumer
            # The common case, the next event of a followed chat, skips the general path.
            if envelope.control is None and envelope.seq is not None:
                cursor = cursors.get(envelope.chat_id)
                if cursor is not None and envelope.seq == cursor + 1:
                    cursors[envelope.chat_id] = envelope.seq
                    if blocked and may_hide(envelope.frame, blocked):
                        yield self._unblocked(envelope.chat_id, envelope.frame)
                    else:
                        yield envelope.frame
                    continue
            async for data in self._apply(envelope):
                yield data

    async def _apply(self, envelope: Envelope) -> AsyncIterator[bytes]:
        chat_id = envelope.chat_id
        if envelope.control == CONTROL_CATCH_UP:
            # While Redis is down this comes every `bus_down_poll_interval_s`: one read finds
            # the chats that moved, so a quiet chat costs nothing.
            async with self.ctx.db.read() as conn:
                chat_seqs = await chat_store.list_user_chat_seqs(conn, self.caller.user_id)
                if not self.include_blocked:
                    # A block or unblock control may have been lost with the rest.
                    current = await blocked_by(conn, self.caller.user_id)
                    self.blocked.clear()  # the same set: `frames` holds it
                    self.blocked.update(current)
            for followed, at_seq in tuple(self.cursors.items()):
                if chat_seqs.get(followed, at_seq + 1) > at_seq:
                    async for data in self._catch_up(followed, None):
                        yield data
            return
        if envelope.control == events.CONTROL_REVOKE_SESSION:
            if envelope.seq == self.caller.session_id:
                raise SessionRevoked
            return
        if envelope.control == events.CONTROL_REVOKE_OTHER_SESSIONS:
            if envelope.seq != self.caller.session_id:
                raise SessionRevoked
            return
        if envelope.control in (events.CONTROL_BLOCKED, events.CONTROL_UNBLOCKED):
            if envelope.seq is not None and not self.include_blocked:
                if envelope.control == events.CONTROL_BLOCKED:
                    self.blocked.add(envelope.seq)
                else:
                    self.blocked.discard(envelope.seq)
            yield envelope.frame  # the blocker's other devices update their list
            return
        if envelope.control == CONTROL_ADDED:
            if chat_id not in self.cursors:
                self.cursors[chat_id] = envelope.seq or 0
                await self._see_role(chat_id)
                await self.ctx.hub.add_chat(self.connection, chat_id)
                yield envelope.frame
                async for data in self._catch_up(chat_id, None):
                    yield data
            return
        if envelope.control == CONTROL_REMOVED:
            if self.cursors.pop(chat_id, None) is not None:
                await self.ctx.hub.remove_chat(self.connection, chat_id)
                yield envelope.frame
            return
        # Past here: chat events, some marked CONTROL_NAMES_PEOPLE (see `_shown_live`).
        seq = envelope.seq
        if seq is None:
            yield envelope.frame  # ephemeral: typing, read markers, join requests
            return
        cursor = self.cursors.get(chat_id)
        if cursor is None or seq <= cursor:
            return
        if seq > cursor + 1:
            async for data in self._catch_up(chat_id, seq - 1):
                yield data
            if seq <= self.cursors.get(chat_id, seq):
                return
        self.cursors[chat_id] = seq
        yield await self._shown_live(envelope)

    async def _shown_live(self, envelope: Envelope) -> bytes:
        """A live event as this user may see it; the common cases parse nothing."""
        if envelope.redacted is None:
            if self.blocked and may_hide(envelope.frame, self.blocked):
                return self._unblocked(envelope.chat_id, envelope.frame)
            return envelope.frame
        if self._me not in envelope.frame:
            if envelope.chat_id in self.members_hidden:
                return envelope.redacted
            if self.blocked and may_hide(envelope.frame, self.blocked):  # a blocked reactor
                return self._unblocked(envelope.chat_id, envelope.frame)
            return envelope.frame
        # It names this user, who sees themselves, and whose role it may have changed.
        event = orjson.loads(envelope.frame)
        if event["type"] in events.CHANGES_ROLES:
            await self._see_role(envelope.chat_id)
        if envelope.chat_id not in self.members_hidden:
            return envelope.frame
        return orjson.dumps(events.without_others(event, self.caller.user_id))

    def _unblocked(self, chat_id: int, data: bytes) -> bytes:
        """A frame `may_hide` flagged, as this user sees it."""
        if chat_id in self.direct:
            return data
        hidden = blocks.hidden_event(orjson.loads(data), self.blocked)
        return data if hidden is None else orjson.dumps(hidden)

    async def _see_role(self, chat_id: int) -> None:
        """Read whether this user now sees the chat's members (role changes are rare)."""
        async with self.ctx.db.read() as conn:
            found = await chat_store.get_chat_and_member(conn, chat_id, self.caller.user_id)
        if found is not None and found[0].kind is ChatKind.DIRECT:
            self.direct.add(chat_id)
        if (
            found is not None
            and found[1] is not None
            and sees_members(found[0].kind, found[1].role)
        ):
            self.members_hidden.discard(chat_id)
        else:
            self.members_hidden.add(chat_id)

    async def _catch_up(self, chat_id: int, upto_seq: int | None) -> AsyncIterator[bytes]:
        """Events after the chat's cursor from the log, up to `upto_seq` (or the end)."""
        while chat_id in self.cursors:
            cursor = self.cursors[chat_id]
            if upto_seq is not None and cursor >= upto_seq:
                return
            limit = REPLAY_PAGE if upto_seq is None else min(REPLAY_PAGE, upto_seq - cursor)
            async with self.ctx.db.read() as conn:
                page = await event_store.get_events(conn, chat_id, cursor, limit)
            now_ms = self.ctx.clock.now_ms()
            for event in page:
                self.cursors[chat_id] = event.seq
                if event.type in events.CHANGES_ROLES and self._me in event.payload:
                    await self._see_role(chat_id)
                hide = chat_id in self.members_hidden
                yield shown_payload(
                    event,
                    self.caller.user_id,
                    now_ms,
                    members_hidden=hide,
                    blocked=frozenset() if chat_id in self.direct else self.blocked,
                )
            if len(page) < limit:
                return

    async def close(self) -> None:
        await self.ctx.hub.unregister(self.connection)


async def viewer_chats(conn: Conn, user_id: int) -> tuple[set[int], set[int]]:
    """The user's chats whose members they may not see (channels they only subscribe to),
    and their direct chats (which blocks do not filter), in one read."""
    roles = await chat_store.list_user_chat_roles(conn, user_id)
    hidden = {chat_id for chat_id, (kind, role) in roles.items() if not sees_members(kind, role)}
    direct = {chat_id for chat_id, (kind, _) in roles.items() if kind is ChatKind.DIRECT}
    return hidden, direct


def shown_payload(
    event: LoggedEvent,
    viewer_id: int,
    now_ms: int,
    *,
    members_hidden: bool = False,
    blocked: frozenset[int] | set[int] = frozenset(),
) -> bytes:
    """The logged frame as `viewer_id` may see it now: content that expired for them is
    replaced by a tombstone even before the purge has rewritten the log, where they may
    not see the chat's members, people other than themselves are left out, and messages of
    users in `blocked` are placeholders (domain.blocks)."""
    expired = event.sender_id is not None and expired_for(
        viewer_id,
        now_ms,
        sender_id=event.sender_id,
        expires_at_ms=event.expires_at_ms,
        expires_after_read_s=event.expires_after_read_s,
        read_expires_at_ms=event.read_expires_at_ms,
    )
    redact = members_hidden and event.type in events.NAMES_PEOPLE
    unblock = bool(blocked) and (
        (event.sender_id in blocked and event.type in blocks.HIDES)
        or (event.type in blocks.UNNAMES and blocks.may_hide(event.payload, blocked))
    )
    if not expired and not redact and not unblock:
        return event.payload
    logged = orjson.loads(event.payload)
    if unblock and not expired:
        logged = blocks.hidden_event(logged, blocked) or logged
    if expired and isinstance(logged.get("message"), dict):
        logged["message"] = tombstone_view(logged["message"])
    if redact:
        logged = events.without_others(logged, viewer_id)
    return orjson.dumps(logged)


async def access_sync(
    ctx: Context,
    caller: Caller,
    cursors: dict[int, int],
    limit: int,
    *,
    include_blocked: bool = False,
) -> dict[str, Any]:
    """The difference since the given cursors, for clients that saw a gap or were offline;
    messages of users the caller blocked come as placeholders unless `include_blocked`."""
    if not 1 <= limit <= SYNC_LIMIT_MAX:
        raise InvalidInput(f"limit must be 1–{SYNC_LIMIT_MAX}", field="limit")
    out: list[Any] = []
    resync: list[dict[str, Any]] = []
    removed: list[str] = []
    has_more = False
    async with ctx.db.read() as conn:
        chat_seqs = await chat_store.list_user_chat_seqs(conn, caller.user_id)
        hidden, direct = await viewer_chats(conn, caller.user_id)
        blocked = frozenset() if include_blocked else await blocked_by(conn, caller.user_id)
        for chat_id, cursor in cursors.items():
            last_seq = chat_seqs.get(chat_id)
            if last_seq is None:
                removed.append(str(chat_id))
                continue
            if _too_far(ctx, cursor, last_seq):
                resync.append({"chat_id": str(chat_id), "last_seq": last_seq})
                continue
            room = limit - len(out)
            if room <= 0:
                has_more = has_more or cursor < last_seq
                continue
            page = await event_store.get_events(conn, chat_id, cursor, room)
            now_ms = ctx.clock.now_ms()
            out.extend(
                orjson.loads(
                    shown_payload(
                        e,
                        caller.user_id,
                        now_ms,
                        members_hidden=chat_id in hidden,
                        blocked=frozenset() if chat_id in direct else blocked,
                    )
                )
                for e in page
            )
            if page and page[-1].seq < last_seq:
                has_more = True
    return {"events": out, "resync_required": resync, "removed": removed, "has_more": has_more}
