"""MessageCache without a server: events, deletions, and expiry on an injected clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from colletta_sdk import CacheChange, MessageCache
from colletta_sdk.models import Event, Message

from colletta.clock import FakeClock

ME, OTHER = "1", "2"
T0 = 1_800_000_000_000


def message(seq: int, *, sender: str = OTHER, chat: str = "10", **over: Any) -> Message:
    raw: dict[str, Any] = {
        "id": f"m{seq}",
        "chat_id": chat,
        "seq": seq,
        "sender_id": sender,
        "author_signature": None,
        "text": f"text {seq}",
        "reply_to_id": None,
        "forward": None,
        "reactions": {},
        "edited_at_ms": None,
        "deleted": False,
        "created_at_ms": T0,
        "attachments": [],
        "expires_at_ms": None,
        "expires_after_read_s": None,
        "read_expires_at_ms": None,
        "view_once": False,
        **over,
    }
    return Message.from_json(raw)


def event(type_: str, chat: str = "10", seq: int | None = 1, **data: Any) -> Event:
    return Event(type_, chat, seq, data)


def created(m: Message) -> Event:
    return event("message.created", m.chat_id, m.seq, message=_json(m))


def _json(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "chat_id": m.chat_id,
        "seq": m.seq,
        "sender_id": m.sender_id,
        "text": m.text,
        "deleted": m.deleted,
        "created_at_ms": m.created_at_ms,
        "edited_at_ms": m.edited_at_ms,
        "expires_at_ms": m.expires_at_ms,
        "expires_after_read_s": m.expires_after_read_s,
        "read_expires_at_ms": m.read_expires_at_ms,
        "view_once": m.view_once,
    }


def kinds(changes: list[CacheChange]) -> list[tuple[str, str]]:
    return [(c.kind, c.message.id) for c in changes]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def cache(clock: FakeClock) -> MessageCache:
    return MessageCache(ME, clock=clock.now_ms)


def test_created_edited_deleted(cache: MessageCache) -> None:
    one, two = message(1), message(2)
    assert kinds(cache.apply(created(one))) == [("added", "m1")]
    assert kinds(cache.apply(created(two))) == [("added", "m2")]
    edited = message(1, text="fixed", edited_at_ms=T0 + 5)
    changes = cache.apply(event("message.edited", seq=3, message=_json(edited)))
    assert kinds(changes) == [("updated", "m1")]
    assert cache.get("m1") == edited

    changes = cache.apply(event("message.deleted", seq=4, message_id="m1"))
    assert kinds(changes) == [("deleted", "m1")]
    assert changes[0].message == edited  # the copy that was dropped, for the caller to un-show
    assert [m.id for m in cache.messages("10")] == ["m2"]
    assert "m1" not in cache
    # A late or replayed copy never brings it back, nor does an unknown deletion fail.
    assert cache.apply(created(one)) == []
    assert cache.put(one) is None
    assert cache.apply(event("message.deleted", seq=5, message_id="nope")) == []


def test_a_tombstone_drops_the_cached_copy(cache: MessageCache) -> None:
    cache.put(message(1))
    change = cache.put(message(1, text=None, deleted=True))
    assert change is not None
    assert (change.kind, change.message.text) == ("deleted", "text 1")
    assert len(cache) == 0


def test_chat_timer_expires_for_everyone_on_the_clock(
    cache: MessageCache, clock: FakeClock
) -> None:
    mine = message(1, sender=ME, expires_at_ms=T0 + 60_000)
    theirs = message(2, expires_at_ms=T0 + 30_000)
    plain = message(3)
    cache.put_all([mine, theirs, plain])
    assert cache.next_expiry_ms() == T0 + 30_000
    clock.advance(29_999)
    assert cache.expire() == []
    assert len(cache) == 3
    clock.advance(1)
    # Hidden by reads at once, dropped by expire().
    assert [m.id for m in cache.messages()] == ["m1", "m3"]
    assert kinds(cache.expire()) == [("expired", "m2")]
    assert cache.next_expiry_ms() == T0 + 60_000
    clock.advance(30_000)
    # apply() reports what fell due before the event's own change.
    changes = cache.apply(created(message(4)))
    assert kinds(changes) == [("expired", "m1"), ("added", "m4")]
    assert cache.next_expiry_ms() is None
    assert [m.id for m in cache.messages()] == ["m3", "m4"]


def test_an_already_expired_message_is_never_shown(cache: MessageCache) -> None:
    assert cache.put(message(1, expires_at_ms=T0)) is None
    assert cache.apply(created(message(2, expires_at_ms=T0 - 1))) == []
    assert len(cache) == 0


def test_self_destruct_sender_from_sending_reader_from_reading(clock: FakeClock) -> None:
    timers = {"expires_at_ms": T0 + 10_000, "expires_after_read_s": 10}
    sender = MessageCache(ME, clock=clock.now_ms)
    reader = MessageCache(OTHER, clock=clock.now_ms)
    sent = message(1, sender=ME, **timers)
    sender.put(sent)
    reader.put(sent)
    assert reader.next_expiry_ms() is None  # not read yet: no deadline for the reader
    clock.advance(10_000)
    assert kinds(sender.expire()) == [("expired", "m1")]
    assert reader.expire() == []
    assert reader.get("m1") is not None

    # The reader's own read marker (another device of theirs, say) starts their timer.
    reader.apply(event("read.updated", seq=None, user_id=OTHER, read_seq=1))
    assert reader.next_expiry_ms() == clock.now_ms() + 10_000
    # A later edit event does not carry the local read timer; it is kept.
    reader.apply(event("message.edited", seq=2, message=_json(sent)))
    assert reader.next_expiry_ms() == clock.now_ms() + 10_000
    clock.advance(10_000)
    assert kinds(reader.expire()) == [("expired", "m1")]


def test_someone_elses_read_marker_starts_nothing(cache: MessageCache) -> None:
    cache.put(message(1, expires_at_ms=T0 + 5_000, expires_after_read_s=5))
    cache.apply(event("read.updated", seq=None, user_id="3", read_seq=1))
    assert cache.next_expiry_ms() is None


def test_view_once_opened_elsewhere_expires_from_the_server_copy(
    cache: MessageCache, clock: FakeClock
) -> None:
    cache.put(message(1, view_once=True))
    assert cache.next_expiry_ms() is None
    cache.put(message(1, view_once=True, read_expires_at_ms=T0 + 1_000))
    clock.advance(1_000)
    assert cache.get("m1") is None
    assert kinds(cache.expire()) == [("expired", "m1")]


def test_reactions_resync_and_removal(cache: MessageCache) -> None:
    cache.put_all([message(1), message(2, chat="11")])
    changes = cache.apply(
        event("message.reactions_changed", seq=3, message_id="m1", reactions={"👍": 2})
    )
    assert kinds(changes) == [("updated", "m1")]
    assert changes[0].message.reactions == {"👍": 2}
    cache.apply(event("resync_required", seq=None, last_seq=9))
    assert [m.id for m in cache.messages()] == ["m2"]
    cache.apply(event("chat.removed", chat="11", seq=None))
    assert len(cache) == 0


async def test_run_expiry_drops_messages_when_they_fall_due(
    cache: MessageCache, clock: FakeClock
) -> None:
    seen: asyncio.Queue[list[tuple[str, str]]] = asyncio.Queue()
    task = asyncio.create_task(cache.run_expiry(lambda changes: seen.put_nowait(kinds(changes))))
    try:
        cache.put(message(1, expires_at_ms=T0 + 3_600_000))
        cache.put(message(2, expires_at_ms=T0 + 5_000))  # earlier: wakes the timer
        clock.advance(5_000)
        cache.wake()  # the fake clock moved; a real one would be noticed by the timer
        async with asyncio.timeout(5):
            assert await seen.get() == [("expired", "m2")]
        assert [m.id for m in cache.messages()] == ["m1"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_run_expiry_sleeps_until_the_deadline() -> None:
    """With a real clock: a message due 50 ms from now is dropped without any nudge."""
    cache = MessageCache(ME)
    seen: asyncio.Queue[list[tuple[str, str]]] = asyncio.Queue()
    task = asyncio.create_task(cache.run_expiry(lambda changes: seen.put_nowait(kinds(changes))))
    try:
        cache.put(message(1, expires_at_ms=cache.now_ms() + 50))
        async with asyncio.timeout(5):
            assert await seen.get() == [("expired", "m1")]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
