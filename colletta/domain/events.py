"""Event types (`noun.past_verb`) and the frame every event travels in.

Events with a seq live in the chat's event log and are replayed on resume; ephemeral ones
(typing, per-user notices) are only published.
"""

from __future__ import annotations

from typing import Any, Final

MESSAGE_CREATED: Final = "message.created"
MESSAGE_EDITED: Final = "message.edited"
MESSAGE_DELETED: Final = "message.deleted"
MESSAGE_REACTIONS_CHANGED: Final = "message.reactions_changed"
MESSAGE_PINNED: Final = "message.pinned"
MESSAGE_UNPINNED: Final = "message.unpinned"
CHAT_CREATED: Final = "chat.created"
CHAT_UPDATED: Final = "chat.updated"
CHAT_MESSAGE_TTL_CHANGED: Final = "chat.message_ttl_changed"
CHAT_OWNER_TRANSFERRED: Final = "chat.owner_transferred"
MEMBER_JOINED: Final = "member.joined"
MEMBER_LEFT: Final = "member.left"
MEMBER_REMOVED: Final = "member.removed"
MEMBER_ROLE_CHANGED: Final = "member.role_changed"
# Pots (docs/events.md): each carries `pot_id` and `pot`, the pot's summary after the change.
POT_CREATED: Final = "pot.created"
POT_UPDATED: Final = "pot.updated"  # texts, verdict, status or freeze changed
POT_CONTRIBUTION_POSTED: Final = "pot.contribution_posted"
POT_CONTRIBUTION_REFUNDED: Final = "pot.contribution_refunded"
POT_OPTION_VOTED: Final = "pot.option_voted"
POT_PROPOSAL_CREATED: Final = "pot.proposal_created"
POT_PROPOSAL_VOTED: Final = "pot.proposal_voted"
POT_PROPOSAL_RESOLVED: Final = "pot.proposal_resolved"

# Ephemeral
TYPING: Final = "typing"
READ_UPDATED: Final = "read.updated"
MEMBER_READ: Final = "member.read"
CHAT_ADDED: Final = "chat.added"
CHAT_REMOVED: Final = "chat.removed"
MEMBER_JOIN_REQUESTED: Final = "member.join_requested"
RESYNC_REQUIRED: Final = "resync_required"
SESSION_REVOKED: Final = "session.revoked"
# To the blocker's own devices only (the blocked user is never told).
USER_BLOCKED: Final = "user.blocked"
USER_UNBLOCKED: Final = "user.unblocked"
NOTICE_CREATED: Final = "notice.created"  # a new notice in the user's inbox (GET /me/notices)

# Controls a notice may carry for live sessions (not shown to clients as such).
CONTROL_CHAT_ADDED: Final = "added"
CONTROL_CHAT_REMOVED: Final = "removed"
CONTROL_REVOKE_SESSION: Final = "revoke"
CONTROL_REVOKE_OTHER_SESSIONS: Final = "revoke_others"
CONTROL_PROFILE_CHANGED: Final = "profile"
CONTROL_BLOCKED: Final = "blocked"
CONTROL_UNBLOCKED: Final = "unblocked"
# On a chat event that names people: live sessions then choose between its two frames.
CONTROL_NAMES_PEOPLE: Final = "people"

STORED_TYPES: Final = frozenset(
    {
        MESSAGE_CREATED,
        MESSAGE_EDITED,
        MESSAGE_DELETED,
        MESSAGE_REACTIONS_CHANGED,
        MESSAGE_PINNED,
        MESSAGE_UNPINNED,
        CHAT_CREATED,
        CHAT_UPDATED,
        CHAT_MESSAGE_TTL_CHANGED,
        CHAT_OWNER_TRANSFERRED,
        MEMBER_JOINED,
        MEMBER_LEFT,
        MEMBER_REMOVED,
        MEMBER_ROLE_CHANGED,
        POT_CREATED,
        POT_UPDATED,
        POT_CONTRIBUTION_POSTED,
        POT_CONTRIBUTION_REFUNDED,
        POT_OPTION_VOTED,
        POT_PROPOSAL_CREATED,
        POT_PROPOSAL_VOTED,
        POT_PROPOSAL_RESOLVED,
    }
)


# Events that name people. Whoever may not see a chat's members (`chats.sees_members`) gets
# them with every person but themselves left out: the event keeps its seq, so clients see no
# gap. A message's own sender is hidden when the message is made (`chats.shows_sender`).
NAMES_PEOPLE: Final = frozenset(
    {
        MEMBER_JOINED,
        MEMBER_LEFT,
        MEMBER_REMOVED,
        MEMBER_ROLE_CHANGED,
        CHAT_OWNER_TRANSFERRED,
        CHAT_MESSAGE_TTL_CHANGED,
        MESSAGE_REACTIONS_CHANGED,
        MESSAGE_PINNED,
        MESSAGE_UNPINNED,
        POT_CREATED,
        POT_UPDATED,
        POT_CONTRIBUTION_POSTED,
        POT_CONTRIBUTION_REFUNDED,
        POT_OPTION_VOTED,
        POT_PROPOSAL_CREATED,
        POT_PROPOSAL_VOTED,
        POT_PROPOSAL_RESOLVED,
    }
)
# Events that may change what their subject sees.
CHANGES_ROLES: Final = frozenset({MEMBER_ROLE_CHANGED, CHAT_OWNER_TRANSFERRED})
_PERSON_KEYS = ("user_id", "by_user_id", "from_user_id", "to_user_id")


def without_others(event: dict[str, Any], viewer_id: int | None) -> dict[str, Any]:
    """`event` with every person other than `viewer_id` left out (null)."""
    me = None if viewer_id is None else str(viewer_id)
    shown = dict(event)
    for key in _PERSON_KEYS:
        if key in shown and shown[key] != me:
            shown[key] = None
    member = shown.get("member")
    if isinstance(member, dict) and member.get("user_id") != me:
        shown["member"] = None
    return shown


def frame(
    type_: str, chat_id: int, seq: int | None, at_ms: int, data: dict[str, Any]
) -> dict[str, Any]:
    """The JSON object a client receives for one event."""
    return {"type": type_, "chat_id": str(chat_id), "seq": seq, "at_ms": at_ms, **data}
