"""Typed, immutable views of the JSON the API returns (docs/api.md).

Parsers ignore unknown members, so a newer server does not break an older SDK. Ids are
strings everywhere, even if a server were to send numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]


def _id(value: Any) -> str:
    if value is None or isinstance(value, bool):
        raise ValueError(f"expected an id, got {value!r}")
    return str(value)


def _opt_id(value: Any) -> str | None:
    return None if value is None else _id(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str
    bio: str | None
    is_operator: bool
    created_at_ms: int

    @classmethod
    def from_json(cls, d: Json) -> User:
        return cls(
            id=_id(d["id"]),
            username=str(d["username"]),
            display_name=str(d.get("display_name") or d["username"]),
            bio=_opt_str(d.get("bio")),
            is_operator=bool(d.get("is_operator", False)),
            created_at_ms=int(d.get("created_at_ms", 0)),
        )


@dataclass(frozen=True, slots=True)
class Block:
    """A user you blocked (only you see this)."""

    user_id: str
    username: str
    display_name: str
    blocked_at_ms: int

    @classmethod
    def from_json(cls, d: Json) -> Block:
        return cls(
            user_id=_id(d["user_id"]),
            username=str(d["username"]),
            display_name=str(d.get("display_name") or d["username"]),
            blocked_at_ms=int(d.get("blocked_at_ms", 0)),
        )


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    device_name: str | None
    created_at_ms: int
    last_seen_at_ms: int | None
    current: bool

    @classmethod
    def from_json(cls, d: Json) -> Session:
        return cls(
            id=_id(d["id"]),
            device_name=_opt_str(d.get("device_name")),
            created_at_ms=int(d.get("created_at_ms", 0)),
            last_seen_at_ms=_opt_int(d.get("last_seen_at_ms")),
            current=bool(d.get("current", False)),
        )


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str = field(repr=False)
    session_id: str
    user: User

    @classmethod
    def from_json(cls, d: Json) -> LoginResult:
        return cls(
            token=str(d["token"]), session_id=_id(d["session_id"]), user=User.from_json(d["user"])
        )


@dataclass(frozen=True, slots=True)
class Forward:
    chat_id: str
    message_id: str
    sender_id: str | None

    @classmethod
    def from_json(cls, d: Json) -> Forward:
        return cls(
            chat_id=_id(d["chat_id"]),
            message_id=_id(d["message_id"]),
            sender_id=_opt_id(d.get("sender_id")),
        )


@dataclass(frozen=True, slots=True)
class Media:
    """An uploaded file: `kind` is image, video, audio or file, read from its bytes."""

    id: str
    chat_id: str
    kind: str
    mime: str
    filename: str
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    has_thumbnail: bool

    @classmethod
    def from_json(cls, d: Json) -> Media:
        return cls(
            id=_id(d["id"]),
            chat_id=_id(d["chat_id"]),
            kind=str(d.get("kind") or "file"),
            mime=str(d.get("mime") or "application/octet-stream"),
            filename=str(d.get("filename") or "file"),
            size_bytes=int(d.get("size_bytes") or 0),
            sha256=str(d.get("sha256") or ""),
            width=_opt_int(d.get("width")),
            height=_opt_int(d.get("height")),
            has_thumbnail=bool(d.get("has_thumbnail", False)),
        )


def expiry_for(
    viewer_id: str | None,
    *,
    sender_id: str | None,
    expires_at_ms: int | None,
    expires_after_read_s: int | None,
    read_expires_at_ms: int | None,
) -> int | None:
    """When a message's content expires for `viewer_id`; None while it has no deadline.

    The server's rule: a chat timer (`expires_at_ms` without `expires_after_read_s`) ends
    it for everyone; a self-destruct ends the sender's copy at `expires_at_ms` and a
    reader's at `read_expires_at_ms` (set once they read it, or open a view-once file).
    """
    is_sender = viewer_id is not None and viewer_id == sender_id
    dues: list[int] = []
    if expires_at_ms is not None and (is_sender or expires_after_read_s is None):
        dues.append(expires_at_ms)
    if read_expires_at_ms is not None and not is_sender:
        dues.append(read_expires_at_ms)
    return min(dues) if dues else None


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    chat_id: str
    seq: int
    sender_id: str | None
    author_signature: str | None
    text: str | None
    reply_to_id: str | None
    forward: Forward | None
    reactions: dict[str, int] = field(hash=False)
    edited_at_ms: int | None
    deleted: bool
    created_at_ms: int
    attachments: list[Media] = field(hash=False)
    expires_at_ms: int | None  # chat timer: for everyone; self-destruct: for the sender
    expires_after_read_s: int | None  # self-destruct: a reader's copy lasts this long
    read_expires_at_ms: int | None  # self-destruct or view-once: the reader's deadline
    view_once: bool
    # From a user you blocked: a placeholder without text, attachments or forward.
    from_blocked: bool = False

    @classmethod
    def from_json(cls, d: Json) -> Message:
        fwd = d.get("forward")
        return cls(
            id=_id(d["id"]),
            chat_id=_id(d["chat_id"]),
            seq=int(d["seq"]),
            sender_id=_opt_id(d.get("sender_id")),
            author_signature=_opt_str(d.get("author_signature")),
            text=_opt_str(d.get("text")),
            reply_to_id=_opt_id(d.get("reply_to_id")),
            forward=Forward.from_json(fwd) if isinstance(fwd, Mapping) else None,
            reactions={str(k): int(v) for k, v in (d.get("reactions") or {}).items()},
            edited_at_ms=_opt_int(d.get("edited_at_ms")),
            deleted=bool(d.get("deleted", False)),
            created_at_ms=int(d.get("created_at_ms", 0)),
            attachments=[
                Media.from_json(m) for m in d.get("attachments") or [] if isinstance(m, Mapping)
            ],
            expires_at_ms=_opt_int(d.get("expires_at_ms")),
            expires_after_read_s=_opt_int(d.get("expires_after_read_s")),
            read_expires_at_ms=_opt_int(d.get("read_expires_at_ms")),
            view_once=bool(d.get("view_once", False)),
            from_blocked=bool(d.get("from_blocked", False)),
        )

    @property
    def timer_s(self) -> int | None:
        """The message's timer in seconds (self-destruct, or the chat's), for display."""
        if self.expires_after_read_s is not None:
            return self.expires_after_read_s
        if self.expires_at_ms is not None:
            return max(0, (self.expires_at_ms - self.created_at_ms) // 1000)
        return None

    def expires_at_for(self, viewer_id: str | None) -> int | None:
        """When this message's content expires for `viewer_id` (None: no deadline yet)."""
        return expiry_for(
            viewer_id,
            sender_id=self.sender_id,
            expires_at_ms=self.expires_at_ms,
            expires_after_read_s=self.expires_after_read_s,
            read_expires_at_ms=self.read_expires_at_ms,
        )

    def expired_for(self, viewer_id: str | None, now_ms: int) -> bool:
        """Whether `viewer_id` may no longer see the content at `now_ms`."""
        due = self.expires_at_for(viewer_id)
        return due is not None and now_ms >= due


def _chat_fields(d: Json) -> dict[str, Any]:
    return {
        "id": _id(d["id"]),
        "kind": str(d["kind"]),
        "title": str(d.get("title") or ""),
        "description": _opt_str(d.get("description")),
        "is_public": bool(d.get("is_public", False)),
        "signed_posts": bool(d.get("signed_posts", False)),
        "slow_mode_s": int(d.get("slow_mode_s") or 0),
        "member_count": int(d.get("member_count") or 0),
        "last_seq": int(d.get("last_seq") or 0),
        "created_at_ms": int(d.get("created_at_ms") or 0),
        "my_role": _opt_str(d.get("my_role")),
        "message_ttl_s": _opt_int(d.get("message_ttl_s")),
    }


@dataclass(frozen=True, slots=True)
class Chat:
    id: str
    kind: str
    title: str
    description: str | None
    is_public: bool
    signed_posts: bool
    slow_mode_s: int
    member_count: int
    last_seq: int
    created_at_ms: int
    my_role: str | None
    message_ttl_s: int | None  # the chat's auto-delete timer; None: off

    @classmethod
    def from_json(cls, d: Json) -> Chat:
        return cls(**_chat_fields(d))


@dataclass(frozen=True, slots=True)
class ChatListItem(Chat):
    last_message: Message | None
    unread_count: int
    read_seq: int
    last_activity_ms: int
    # How far the other members have read (direct chats and small groups), else None.
    peer_read_seq: int | None = None

    @classmethod
    def from_json(cls, d: Json) -> ChatListItem:
        last = d.get("last_message")
        return cls(
            **_chat_fields(d),
            last_message=Message.from_json(last) if isinstance(last, Mapping) else None,
            unread_count=int(d.get("unread_count") or 0),
            read_seq=int(d.get("read_seq") or 0),
            last_activity_ms=int(d.get("last_activity_ms") or 0),
            peer_read_seq=None if d.get("peer_read_seq") is None else int(d["peer_read_seq"]),
        )


@dataclass(frozen=True, slots=True)
class ChatPage:
    chats: list[ChatListItem] = field(hash=False)
    next: str | None


@dataclass(frozen=True, slots=True)
class Member:
    chat_id: str
    user_id: str
    username: str
    display_name: str
    role: str
    joined_at_ms: int

    @classmethod
    def from_json(cls, d: Json) -> Member:
        return cls(
            chat_id=_id(d["chat_id"]),
            user_id=_id(d["user_id"]),
            username=str(d.get("username") or ""),
            display_name=str(d.get("display_name") or d.get("username") or ""),
            role=str(d.get("role") or "member"),
            joined_at_ms=int(d.get("joined_at_ms") or 0),
        )


@dataclass(frozen=True, slots=True)
class MemberPage:
    members: list[Member] = field(hash=False)
    next: str | None


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    chat_id: str
    created_by: str | None
    expires_at_ms: int | None
    max_uses: int | None
    uses: int
    requires_approval: bool
    created_at_ms: int

    @classmethod
    def from_json(cls, d: Json) -> Invite:
        return cls(
            code=str(d["code"]),
            chat_id=_id(d["chat_id"]),
            created_by=_opt_id(d.get("created_by")),
            expires_at_ms=_opt_int(d.get("expires_at_ms")),
            max_uses=_opt_int(d.get("max_uses")),
            uses=int(d.get("uses") or 0),
            requires_approval=bool(d.get("requires_approval", False)),
            created_at_ms=int(d.get("created_at_ms") or 0),
        )


@dataclass(frozen=True, slots=True)
class InviteChat:
    """The little a link reveals about its chat before joining."""

    id: str
    kind: str
    title: str
    member_count: int


@dataclass(frozen=True, slots=True)
class InviteInfo:
    chat: InviteChat
    requires_approval: bool

    @classmethod
    def from_json(cls, d: Json) -> InviteInfo:
        c = d["chat"]
        return cls(
            chat=InviteChat(
                id=_id(c["id"]),
                kind=str(c.get("kind") or ""),
                title=str(c.get("title") or ""),
                member_count=int(c.get("member_count") or 0),
            ),
            requires_approval=bool(d.get("requires_approval", False)),
        )


@dataclass(frozen=True, slots=True)
class JoinResult:
    status: str  # "joined" or "requested"
    chat: Chat | None

    @classmethod
    def from_json(cls, d: Json) -> JoinResult:
        chat = d.get("chat")
        return cls(
            status=str(d["status"]),
            chat=Chat.from_json(chat) if isinstance(chat, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class JoinRequest:
    user_id: str
    username: str
    created_at_ms: int

    @classmethod
    def from_json(cls, d: Json) -> JoinRequest:
        return cls(
            user_id=_id(d["user_id"]),
            username=str(d.get("username") or ""),
            created_at_ms=int(d.get("created_at_ms") or 0),
        )


@dataclass(frozen=True, slots=True)
class MessageEdit:
    text: str | None
    edited_at_ms: int

    @classmethod
    def from_json(cls, d: Json) -> MessageEdit:
        return cls(text=_opt_str(d.get("text")), edited_at_ms=int(d.get("edited_at_ms") or 0))


@dataclass(frozen=True, slots=True)
class HistoryPage:
    messages: list[Message] = field(hash=False)  # oldest first
    has_more: bool


@dataclass(frozen=True, slots=True)
class Event:
    """One event frame; `data` holds every member except type, chat_id and seq."""

    type: str
    chat_id: str
    seq: int | None
    data: dict[str, Any] = field(hash=False)

    @classmethod
    def from_json(cls, d: Json) -> Event:
        seq = d.get("seq")
        return cls(
            type=str(d["type"]),
            chat_id=_id(d["chat_id"]),
            seq=None if seq is None else int(seq),
            data={k: v for k, v in d.items() if k not in {"type", "chat_id", "seq"}},
        )

    @property
    def message(self) -> Message | None:
        """The Message of `message.created`/`message.edited` events, else None."""
        m = self.data.get("message")
        return Message.from_json(m) if isinstance(m, Mapping) else None


@dataclass(frozen=True, slots=True)
class ResyncRequired:
    chat_id: str
    last_seq: int


@dataclass(frozen=True, slots=True)
class SyncResult:
    events: list[Event] = field(hash=False)
    resync_required: list[ResyncRequired] = field(hash=False)
    has_more: bool

    @classmethod
    def from_json(cls, d: Json) -> SyncResult:
        return cls(
            events=[Event.from_json(e) for e in d.get("events") or []],
            resync_required=[
                ResyncRequired(chat_id=_id(r["chat_id"]), last_seq=int(r["last_seq"]))
                for r in d.get("resync_required") or []
            ],
            has_more=bool(d.get("has_more", False)),
        )


__all__ = [
    "Chat",
    "ChatListItem",
    "ChatPage",
    "Event",
    "Forward",
    "HistoryPage",
    "Invite",
    "InviteChat",
    "InviteInfo",
    "JoinRequest",
    "JoinResult",
    "LoginResult",
    "Media",
    "Member",
    "MemberPage",
    "Message",
    "MessageEdit",
    "ResyncRequired",
    "Session",
    "SyncResult",
    "User",
    "expiry_for",
]


def send_fields(
    text: str | None,
    reply_to_id: str | None,
    attachments: Sequence[Media | str] | None,
    self_destruct_s: int | None,
    view_once: bool,
) -> dict[str, Any]:
    """The optional members of a send, as both POST …/messages and a `send` frame take them."""
    fields: dict[str, Any] = {}
    if text is not None:
        fields["text"] = text
    if reply_to_id is not None:
        fields["reply_to_id"] = reply_to_id
    if attachments:
        fields["attachments"] = [a.id if isinstance(a, Media) else str(a) for a in attachments]
    if self_destruct_s is not None:
        fields["self_destruct_s"] = self_destruct_s
    if view_once:
        fields["view_once"] = True
    return fields
