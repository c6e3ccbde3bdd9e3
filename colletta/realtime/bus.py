"""The bus carries serialized event frames between nodes. It may drop: the log is the truth.

Topics are `chat:<id>` (events of a chat) and `user:<id>` (notices to one user's devices).
An envelope is one header line `"<chat_id> <seq|-> <control|->\\n"` followed by the frame, so
receivers route and de-duplicate without parsing JSON. An event that names people also
carries the frame for those who may not see the chat's members (a channel's subscribers):
the header then ends with the full frame's length, ` <bytes>`, and that frame follows it;
such events are marked with a control, so the common path never looks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

OnMessage = Callable[[str, bytes], None]

# Not a real topic: a bus delivers it locally after it lost messages (its connection broke
# and came back), so live sessions re-read what they follow from the log.
RESYNC_TOPIC = "bus:resync"
CONTROL_CATCH_UP = "catch_up"


@dataclass(frozen=True, slots=True)
class Envelope:
    chat_id: int
    seq: int | None
    control: str | None
    frame: bytes
    # The frame without the people that those who do not see the chat's members may not see.
    redacted: bytes | None = None

    def encode(self) -> bytes:
        seq = "-" if self.seq is None else str(self.seq)
        control = self.control or "-"
        if self.redacted is None:
            return f"{self.chat_id} {seq} {control}\n".encode() + self.frame
        header = f"{self.chat_id} {seq} {control} {len(self.frame)}\n".encode()
        return header + self.frame + self.redacted

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        header, _, frame = data.partition(b"\n")
        chat_id, seq, control, *split = header.decode().split(" ")
        redacted = None
        if split:
            full_bytes = int(split[0])
            frame, redacted = frame[:full_bytes], frame[full_bytes:]
        return cls(
            int(chat_id),
            None if seq == "-" else int(seq),
            None if control == "-" else control,
            frame,
            redacted,
        )


def chat_topic(chat_id: int) -> str:
    return f"chat:{chat_id}"


def user_topic(user_id: int) -> str:
    return f"user:{user_id}"


class Bus(Protocol):
    async def start(self, on_message: OnMessage) -> None: ...

    async def publish(self, topic: str, data: bytes) -> None: ...

    async def subscribe(self, topic: str) -> None: ...

    async def unsubscribe(self, topic: str) -> None: ...

    async def close(self) -> None: ...
