"""What a blocker sees of the people they blocked (docs/trust-and-safety.md, "Blocking").

In groups and channels a blocked user's messages reach the blocker as placeholders: the event
keeps its seq (clients see no gap, as with `events.without_others`) and the message keeps its
id, sender and time, but not its content, which the blocker fetches only if they ask to
(`include_blocked`). Their reactions still count, but the blocker is not told who reacted:
the `message.reactions_changed` event comes with `user_id` null. Direct chats are not
filtered: there the blocked user cannot send, and what was said before stays as it was (as
in Telegram).
"""

from __future__ import annotations

from typing import Any, Final

from colletta.domain import events
from colletta.domain.chats import ChatKind

# Events whose `message` is a message someone sent: these are the ones hidden.
HIDES: Final = frozenset({events.MESSAGE_CREATED, events.MESSAGE_EDITED})
# Events that name a reactor (`user_id`): the person is left out, the counts stay.
UNNAMES: Final = frozenset({events.MESSAGE_REACTIONS_CHANGED})
# How those frames begin (`events.frame` puts the type first): the live path tells them
# apart from every other frame without parsing JSON.
_PREFIXES: Final = tuple(b'{"type":"%s"' % t.encode() for t in sorted(HIDES))
_SENDER: Final = b'"sender_id":"'
_UNNAMES_PREFIXES: Final = tuple(b'{"type":"%s"' % t.encode() for t in sorted(UNNAMES))
# In a reactions frame the only string-valued `user_id` is the reactor's (the counts are
# numbers).
_REACTOR: Final = b'"user_id":"'


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
    """The event with its message replaced by a placeholder (or its reactor left out), or None
    if it is not hidden."""
    if event.get("type") in UNNAMES:
        reactor = event.get("user_id")
        if reactor is None or int(reactor) not in blocked:
            return None
        return {**event, "user_id": None}
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
    if frame.startswith(_PREFIXES):
        key = _SENDER
    elif frame.startswith(_UNNAMES_PREFIXES):
        key = _REACTOR
    else:
        return False
    at = frame.find(key)
    if at < 0:
        return False
    start = at + len(key)
    end = frame.find(b'"', start)
    digits = frame[start:end]
    return digits.isdigit() and int(digits) in blocked
