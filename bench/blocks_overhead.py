"""Micro-benchmark: CPU that blocking adds to live delivery, per message and socket.

    python bench/blocks_overhead.py

Times the test `LiveSession.frames` makes on every in-order frame (actions/live.py): for a
user who blocked no one (an empty set: almost everyone), for a blocker receiving a message
from someone else (`domain.blocks.may_hide`, 1 and 10,000 blocks), and for a frame from a
blocked sender (parsed and rewritten). A send costs ~250 µs of CPU (W1), so anything under
1 µs per socket is noise there.
"""

from __future__ import annotations

import timeit

import orjson

from colletta.domain import blocks
from colletta.domain.events import MESSAGE_CREATED, frame
from colletta.domain.messages import Message, parse_entities

CALLS = 1_000_000
SENDER = 7_000_000_000_000_000_001


def message_frame(sender_id: int) -> bytes:
    text = "see you at the allotment at six, bring the seeds"
    message = Message(
        id=7_100_000_000_000_000_001,
        chat_id=7_200_000_000_000_000_001,
        seq=1234,
        sender_id=sender_id,
        author_signature=None,
        text=text,
        entities=parse_entities(text),
        reply_to_id=None,
        forward=None,
        reactions={},
        edited_at_ms=None,
        deleted=False,
        created_at_ms=1_800_000_000_000,
    )
    return orjson.dumps(
        frame(
            MESSAGE_CREATED, message.chat_id, 1234, 1_800_000_000_000, {"message": message.view()}
        )
    )


def per_call_ns(blocked: set[int], data: bytes, calls: int = CALLS) -> float:
    def run() -> None:
        for _ in range(calls):
            if blocked and blocks.may_hide(data, blocked):
                blocks.hidden_event(orjson.loads(data), blocked)

    best = min(timeit.repeat(run, number=1, repeat=5))
    return best / calls * 1e9


def main() -> None:
    data = message_frame(SENDER)
    empty = per_call_ns(set(), data)
    print(f"blocked no one:                    {empty:6.0f} ns per message")
    for count in (1, 10_000):
        others = {SENDER + 1 + i for i in range(count)}
        ns = per_call_ns(others, data)
        print(f"{count:>6} block(s), other sender:     {ns:6.0f} ns per message")
    hidden = per_call_ns({SENDER}, data, CALLS // 10)
    print(f"from a blocked sender (rewritten): {hidden:6.0f} ns per message")


if __name__ == "__main__":
    main()
