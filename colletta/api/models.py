"""Request bodies and response shapes, as OpenAPI documents them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ID = 2**63 - 1
# Ids are 63-bit, past JavaScript's 2**53: the document types every id as a decimal string so
# generated clients never round one through a float (tests/test_openapi.py walks it for ints).
ID_PATTERN = r"^[1-9][0-9]{0,18}$"
ID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": ID_PATTERN,
    "description": "An id: a decimal string of up to 19 digits (a 63-bit integer).",
}


def _check_id(value: str) -> str:
    if int(value) > MAX_ID:
        raise ValueError("id out of range")
    return value


IdStr = Annotated[str, Field(pattern=ID_PATTERN), AfterValidator(_check_id)]
# The same, in responses (the server writes them; nothing to check).
IdOut = Annotated[str, Field(pattern=ID_PATTERN)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    display_name: str | None = Field(None, max_length=256)


class LoginIn(Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    device_name: str | None = Field(None, max_length=256)


class PasswordIn(Body):
    old_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class ProfileIn(Body):
    display_name: str | None = Field(None, max_length=256)
    bio: str | None = Field(None, max_length=4096)


class DirectIn(Body):
    user_id: IdStr


class ChatIn(Body):
    kind: Literal["group", "channel"]
    title: str = Field(max_length=1024)
    description: str = Field("", max_length=8192)
    is_public: bool = False
    signed_posts: bool = False


class ChatPatchIn(Body):
    title: str | None = Field(None, max_length=1024)
    description: str | None = Field(None, max_length=8192)
    slow_mode_s: int | None = Field(None, ge=0, le=86_400)
    signed_posts: bool | None = None
    members_create_pots: bool | None = None


class UserRefIn(Body):
    user_id: IdStr


class RoleIn(Body):
    role: Literal["admin", "moderator", "member"]


class ReadIn(Body):
    seq: int = Field(ge=0, le=MAX_ID)


class InviteIn(Body):
    expires_in_s: int | None = Field(None, ge=1, le=366 * 86_400)
    max_uses: int | None = Field(None, ge=1, le=1_000_000)
    requires_approval: bool = False


class ForwardIn(Body):
    chat_id: IdStr
    message_id: IdStr


class MessageIn(Body):
    text: str | None = Field(None, max_length=4096)
    client_txn_id: str = Field(min_length=1, max_length=64)
    reply_to_id: IdStr | None = None
    forward: ForwardIn | None = None
    attachments: list[IdStr] | None = Field(
        None, max_length=10, description="Ids of your uploads to this chat (POST …/media)."
    )
    self_destruct_s: int | None = Field(
        None,
        ge=5,
        le=7 * 86_400,
        description=(
            "Direct chats: the sender's copy expires this long after sending, the recipient's "
            "this long after their read marker passes it."
        ),
    )
    view_once: bool = Field(
        False, description="Direct chats: the attachments open once for the recipient."
    )


class MessageTtlIn(Body):
    message_ttl_s: int | None = Field(
        description="Auto-delete timer for new messages, 5 s to a year; null turns it off."
    )


class EditIn(Body):
    text: str = Field(max_length=4096)


# Responses


class User(BaseModel):
    id: IdOut
    username: str
    display_name: str
    bio: str
    is_operator: bool
    is_moderator: bool = False
    created_at_ms: int


class LoginOut(BaseModel):
    token: str
    session_id: IdOut
    user: User


class WebLoginOut(BaseModel):
    session_id: IdOut
    user: User
    csrf_token: str


class Session(BaseModel):
    id: IdOut
    device_name: str
    created_at_ms: int
    last_seen_at_ms: int
    current: bool


class Sessions(BaseModel):
    sessions: list[Session]


class Users(BaseModel):
    users: list[User]


class Chat(BaseModel):
    id: IdOut
    kind: Literal["direct", "group", "channel"]
    title: str
    description: str
    is_public: bool
    signed_posts: bool
    members_create_pots: bool
    slow_mode_s: int
    member_count: int
    last_seq: int
    created_at_ms: int
    message_ttl_s: int | None
    closed_at_ms: int | None = Field(
        None, description="When moderators closed the chat: readable, nobody posts."
    )
    my_role: Literal["owner", "admin", "moderator", "member"] | None


class Entity(BaseModel):
    type: Literal["bold", "italic", "code", "link", "mention"]
    offset: int
    length: int
    username: str | None = None


class Forward(BaseModel):
    chat_id: IdOut
    message_id: IdOut
    sender_id: IdOut | None = Field(
        description="Who wrote the original; null when it was posted in a channel that hides "
        "its posters (the channel is the origin)."
    )


class Message(BaseModel):
    id: IdOut
    chat_id: IdOut
    seq: int
    sender_id: IdOut | None
    author_signature: str | None
    text: str | None
    entities: list[Entity]
    reply_to_id: IdOut | None
    forward: Forward | None
    reactions: dict[str, int]
    edited_at_ms: int | None
    deleted: bool
    created_at_ms: int
    attachments: list[Media]
    expires_at_ms: int | None = Field(
        description="Chat timer: when it expires for everyone. Self-destruct: for its sender."
    )
    expires_after_read_s: int | None = Field(
        description="Self-destruct: the recipient's copy expires this long after they read it."
    )
    read_expires_at_ms: int | None = Field(
        description="Self-destruct or view-once: when the recipient's copy expires (once read)."
    )
    view_once: bool
    from_blocked: bool = Field(
        False,
        description="Sent by a user you blocked: text, entities, attachments and forward are "
        "left out; ask with include_blocked=true to see them.",
    )


class Media(BaseModel):
    id: IdOut
    chat_id: IdOut
    kind: Literal["image", "video", "audio", "file"]
    mime: str
    filename: str
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    has_thumbnail: bool


class ChatListItem(Chat):
    last_message: Message | None
    unread_count: int
    read_seq: int
    # How far the other members have read (the furthest of them): direct chats and small
    # groups only (`read_receipts_max_members`), null elsewhere.
    peer_read_seq: int | None
    last_activity_ms: int


class ChatList(BaseModel):
    chats: list[ChatListItem]
    next: str | None


class Chats(BaseModel):
    chats: list[Chat]


class Member(BaseModel):
    chat_id: IdOut
    user_id: IdOut
    username: str
    display_name: str
    role: Literal["owner", "admin", "moderator", "member"]
    joined_at_ms: int


class Members(BaseModel):
    members: list[Member]
    next: str | None


class Invite(BaseModel):
    code: str
    chat_id: IdOut
    created_by: IdOut
    expires_at_ms: int | None
    max_uses: int | None
    uses: int
    requires_approval: bool
    created_at_ms: int


class Invites(BaseModel):
    invites: list[Invite]


class InviteChat(BaseModel):
    id: IdOut
    kind: Literal["direct", "group", "channel"]
    title: str
    member_count: int


class InviteInfo(BaseModel):
    chat: InviteChat
    requires_approval: bool


class JoinOut(BaseModel):
    status: Literal["joined", "requested"]
    chat: Chat | None


class JoinRequest(BaseModel):
    user_id: IdOut
    username: str
    created_at_ms: int


class JoinRequests(BaseModel):
    requests: list[JoinRequest]


class Ban(BaseModel):
    user_id: IdOut
    username: str
    by_user_id: IdOut
    created_at_ms: int


class Bans(BaseModel):
    bans: list[Ban]


class Block(BaseModel):
    user_id: IdOut
    username: str
    display_name: str
    blocked_at_ms: int


class Blocks(BaseModel):
    blocks: list[Block]


class History(BaseModel):
    messages: list[Message]
    has_more: bool


class Pins(BaseModel):
    messages: list[Message]


class Edit(BaseModel):
    text: str | None
    edited_at_ms: int


class Edits(BaseModel):
    edits: list[Edit]


class ChatSeq(BaseModel):
    chat_id: IdOut
    last_seq: int


class SyncOut(BaseModel):
    events: list[dict[str, object]]
    resync_required: list[ChatSeq]
    removed: list[IdOut]
    has_more: bool


class Health(BaseModel):
    status: Literal["ok"]
    version: str


# --- pots: what the operator and a pot's organiser do to it, and its ledger


class FreezeIn(Body):
    reason: str = Field(min_length=1, max_length=512)


class PotState(BaseModel):
    """A pot's summary (no person in it) and, for the caller of these actions, why it is
    frozen."""

    id: IdOut
    chat_id: IdOut
    title: str
    description: str
    currency: str
    goal_minor: int
    goal: str
    raised_minor: int
    raised: str
    contributor_count: int
    deadline_at_ms: int
    model: Literal["all_or_nothing", "keep_what_you_raise"]
    visibility: Literal["named", "anonymous"]
    vote_weighting: Literal["member", "contribution"]
    member_cap_minor: int | None
    pot_cap_minor: int | None
    quorum_pct: int
    majority_pct: int
    proposal_window_s: int
    status: Literal["open", "closed", "refunding", "settled"]
    frozen: bool
    frozen_reason: str | None
    payouts_held: bool
    created_at_ms: int
    closed_at_ms: int | None


class LedgerTransfer(BaseModel):
    transfer: str = Field(description="The transfer's id in the ledger (its idempotency key).")
    at_ms: int
    code: Literal["contribution", "refund", "payout"]
    amount_minor: int
    amount: str = Field(description="The amount as a decimal in the currency's digits.")
    currency: str
    state: Literal["posted", "pending", "voided", "expired"]
    who_user_id: IdOut | None = Field(
        description="The contributor; null for a payout, or when the pot's visibility rule "
        "hides them from the caller."
    )
    who: str | None = Field(description="The contributor's display name, or a payout's payee.")
    why: str = Field(description="contribution, refund, or the title of a payout's proposal.")


class LedgerTotals(BaseModel):
    currency: str
    raised_minor: int
    raised: str
    refunded_minor: int
    refunded: str
    spent_minor: int
    spent: str
    reserved_minor: int
    reserved: str
    balance_minor: int
    balance: str
    available_minor: int
    available: str


class Ledger(BaseModel):
    pot_id: IdOut
    currency: str
    transfers: list[LedgerTransfer]
    totals: LedgerTotals
    next_after: str | None = Field(description="Pass as `after` for the next page.")


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str


# Every error is problem+json (api/errors.py); routers declare it so the document says so, and
# so FastAPI does not advertise its own 422 body, which this API never sends.
_PROBLEM_CONTENT = {"application/problem+json": {"schema": Problem.model_json_schema()}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A problem (RFC 9457); `type` ends in a stable slug",
        "content": _PROBLEM_CONTENT,
    },
    "5XX": {"description": "The server failed", "content": _PROBLEM_CONTENT},
}
