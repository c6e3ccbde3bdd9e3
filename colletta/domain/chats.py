"""Chats, roles and who may do what: the one place permissions are decided."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from colletta.domain.text import check_line, check_multiline
from colletta.errors import InvalidInput

TITLE_MAX_CHARS = 128
DESCRIPTION_MAX_CHARS = 2048
SLOW_MODE_MAX_S = 86_400


class ChatKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"
    CHANNEL = "channel"


class Role(IntEnum):
    """Ranks compare: an actor acts only on members ranked strictly below."""

    MEMBER = 1
    MODERATOR = 2
    ADMIN = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, label: str) -> Role:
        try:
            return cls[label.upper()]
        except KeyError:
            raise InvalidInput(
                "role must be one of owner, admin, moderator, member", field="role"
            ) from None


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    kind: ChatKind
    title: str
    description: str
    is_public: bool
    signed_posts: bool
    slow_mode_s: int
    member_count: int
    last_seq: int
    last_activity_ms: int
    created_at_ms: int
    message_ttl_s: int | None = None
    members_create_pots: bool = False
    # Closed by moderators: readable, but nobody posts (docs/trust-and-safety.md).
    closed_at_ms: int | None = None

    def view(self, my_role: Role | None = None, title: str | None = None) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "kind": self.kind.value,
            "title": title if title is not None else self.title,
            "description": self.description,
            "is_public": self.is_public,
            "signed_posts": self.signed_posts,
            "slow_mode_s": self.slow_mode_s,
            "member_count": self.member_count,
            "last_seq": self.last_seq,
            "created_at_ms": self.created_at_ms,
            "message_ttl_s": self.message_ttl_s,
            "members_create_pots": self.members_create_pots,
            "closed_at_ms": self.closed_at_ms,
            "my_role": my_role.label if my_role is not None else None,
        }

    def shared_view(self) -> dict[str, Any]:
        """The chat as an event carries it to every member: without `my_role`, which is each
        member's own (a null there would take every member's role away)."""
        view = self.view()
        del view["my_role"]
        return view


def shows_read_receipts(chat: Chat, max_members: int) -> bool:
    """Whether members see how far the others have read: direct chats and small groups."""
    if chat.kind is ChatKind.DIRECT:
        return True
    return chat.kind is ChatKind.GROUP and chat.member_count <= max_members


@dataclass(frozen=True, slots=True)
class Member:
    chat_id: int
    user_id: int
    role: Role
    joined_at_ms: int
    read_seq: int
    last_post_ms: int

    def view(self, username: str, display_name: str) -> dict[str, Any]:
        return {
            "chat_id": str(self.chat_id),
            "user_id": str(self.user_id),
            "username": username,
            "display_name": display_name,
            "role": self.role.label,
            "joined_at_ms": self.joined_at_ms,
        }


def check_title(title: str) -> str:
    return check_line(title, "title", TITLE_MAX_CHARS)


def check_description(description: str) -> str:
    return check_multiline(description, "description", DESCRIPTION_MAX_CHARS)


def check_slow_mode(slow_mode_s: int) -> int:
    if not 0 <= slow_mode_s <= SLOW_MODE_MAX_S:
        raise InvalidInput(
            f"slow_mode_s must be between 0 and {SLOW_MODE_MAX_S}", field="slow_mode_s"
        )
    return slow_mode_s


# Permissions. A direct chat has two members who are both "member" and may do everything
# that concerns only their own chat; groups and channels follow the role ranks.


def can_post(chat: Chat, role: Role) -> bool:
    if chat.closed_at_ms is not None:
        return False
    if chat.kind is ChatKind.CHANNEL:
        return role >= Role.ADMIN
    return True


def refuse_post(chat: Chat) -> str:
    """Why `can_post` said no, for the refusal."""
    if chat.closed_at_ms is not None:
        return "this chat was closed by the moderators: it can be read, not posted in"
    return "only admins post in a channel"


def can_edit_chat(chat: Chat, role: Role) -> bool:
    return chat.kind is not ChatKind.DIRECT and role >= Role.ADMIN


def can_set_message_ttl(chat: Chat, role: Role) -> bool:
    """Either side of a direct chat; admins elsewhere."""
    return chat.kind is ChatKind.DIRECT or role >= Role.ADMIN


def can_add_members(chat: Chat, role: Role) -> bool:
    return chat.kind is not ChatKind.DIRECT and role >= Role.ADMIN


def can_remove_member(chat: Chat, actor: Role, target: Role) -> bool:
    return chat.kind is not ChatKind.DIRECT and actor >= Role.MODERATOR and actor > target


def can_set_role(chat: Chat, actor: Role, target: Role, new_role: Role) -> bool:
    """Admins promote and demote below themselves; only a transfer makes an owner."""
    return (
        chat.kind is not ChatKind.DIRECT
        and actor >= Role.ADMIN
        and actor > target
        and new_role < Role.OWNER
        and (new_role < actor or actor is Role.OWNER)
    )


def can_delete_any_message(chat: Chat, role: Role) -> bool:
    return chat.kind is not ChatKind.DIRECT and role >= Role.MODERATOR


def can_pin(chat: Chat, role: Role) -> bool:
    return chat.kind is ChatKind.DIRECT or role >= Role.ADMIN


def can_manage_invites(chat: Chat, role: Role) -> bool:
    return chat.kind is not ChatKind.DIRECT and role >= Role.ADMIN


def can_see_edit_history(chat: Chat, role: Role) -> bool:
    return chat.kind is not ChatKind.DIRECT and role >= Role.MODERATOR


def sees_members(kind: ChatKind, role: Role) -> bool:
    """Subscribers of a channel do not see each other, nor who runs it (as in Telegram)."""
    return kind is not ChatKind.CHANNEL or role >= Role.ADMIN


def is_slow_mode_exempt(role: Role) -> bool:
    return role >= Role.MODERATOR


def shows_sender(chat: Chat) -> bool:
    """Channel posts are anonymous (signed with the channel) unless the channel signs posts."""
    return chat.kind is not ChatKind.CHANNEL or chat.signed_posts


def direct_key(user_a: int, user_b: int) -> str:
    """The one key of the direct chat between two users, whichever of them asks."""
    low, high = sorted((user_a, user_b))
    return f"{low}:{high}"
