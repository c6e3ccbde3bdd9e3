"""What a blocker sees of the people they blocked (docs/trust-and-safety.md, "Blocking").

In groups and channels a blocked user's messages reach the blocker as placeholders: the event
keeps its seq (clients see no gap, as with `events.without_others`) and the message keeps its
id, sender and time, but not its content, which the blocker fetches only if they ask to
(`include_blocked`). Direct chats are not filtered: there the blocked user cannot send, and
what was said before stays as it was (as in Telegram).
"""

from __future__ import annotations

from typing import Any, Final

from colletta.domain import events
from colletta.domain.chats import ChatKind

# Events whose `message` is a message someone sent: these are the ones hidden.
HIDES: Final = frozenset({events.MESSAGE_CREATED, events.MESSAGE_EDITED})
# How those frames begin (`events.frame` puts the type first): the live path tells them
# apart from every other frame without parsing JSON.
_PREFIXES: Final = tuple(b'{"type":"%s"' % t.encode() for t in sorted(HIDES))
_SENDER: Final = b'"sender_id":"'


def filters(kind: ChatKind) -> bool:
    """Whether a blocker's view of this kind of chat hides the blocked users' messages."""
    return kind is not ChatKind.DIRECT


def from_blocked(view: dict[str, Any], blocked: frozenset[int] | set[int]) -> bool:
    """Whether a message view shows a sender the viewer blocked. Only the sender shown counts:
    a channel that hides its posters shows none, so a blocked admin's posts are not told apart
    (hiding them would reveal who posts)."""
    sender = view.get("sender_id")
    return sender is not None and int(sender) in blocked


def placeholder(view: dict[str, Any]) -> dict[str, Any]:
    """A message view without its content, marked as from someone the viewer blocked."""
    return {
        **view,
        "text": None,
        "entities": [],
        "attachments": [],
        "forward": None,
        "from_blocked": True,
    }


def shown(view: dict[str, Any], blocked: frozenset[int] | set[int]) -> dict[str, Any]:
    return placeholder(view) if blocked and from_blocked(view, blocked) else view


def hidden_event(
    event: dict[str, Any], blocked: frozenset[int] | set[int]
) -> dict[str, Any] | None:
    """The event with its message replaced by a placeholder, or None if it is not hidden."""
    message = event.get("message")
    if event.get("type") not in HIDES or not isinstance(message, dict):
        return None
    if not from_blocked(message, blocked):
        return None
    return {**event, "message": placeholder(message)}


def may_hide(frame: bytes, blocked: frozenset[int] | set[int]) -> bool:
    """Cheap test on a serialized frame: False means it is certainly not hidden; True means
    parse it and ask `hidden_event`. O(1) whatever the number of blocks: the first sender in a
    message frame is the message's own (a forward's origin comes after it)."""
    if not frame.startswith(_PREFIXES):
        return False
    at = frame.find(_SENDER)
    if at < 0:
        return False
    start = at + len(_SENDER)
    end = frame.find(b'"', start)
    digits = frame[start:end]
    return digits.isdigit() and int(digits) in blocked
