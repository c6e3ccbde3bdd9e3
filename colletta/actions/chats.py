"""Chats: direct, groups and channels; creating, reading, listing and editing them."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from colletta.actions.blocks import blocked_by, check_not_blocked_by
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.domain import blocks, events
from colletta.domain.chats import (
    TITLE_MAX_CHARS,
    Chat,
    ChatKind,
    Member,
    Role,
    can_edit_chat,
    can_set_message_ttl,
    check_description,
    check_slow_mode,
    check_title,
    direct_key,
    shows_read_receipts,
    shows_sender,
)
from colletta.domain.messages import check_chat_ttl
from colletta.domain.text import check_line
from colletta.errors import Forbidden, InvalidInput, NotFound
from colletta.ids import new_id
from colletta.store import chats as store
from colletta.store import messages as message_store
from colletta.store import users as user_store
from colletta.store.db import Conn, Tx

CHAT_LIST_MAX = 100
CONTROL_ADDED = events.CONTROL_CHAT_ADDED
CONTROL_REMOVED = events.CONTROL_CHAT_REMOVED


@dataclass(frozen=True, slots=True)
class ChatAccess:
    """A chat as one caller may see it; `member` is None for a reader of a public channel."""

    chat: Chat
    member: Member | None

    @property
    def role(self) -> Role | None:
        return self.member.role if self.member else None


def hidden_chat() -> NotFound:
    # Same answer for "missing" and "not yours", so chat ids cannot be probed.
    return NotFound("no such chat")


async def load_chat_access(
    conn: Conn,
    caller: Caller,
    chat_id: int,
    *,
    allow_public: bool,
    for_update: bool,
    cached: bool = False,
) -> ChatAccess:
    """The chat and the caller's membership, or the same 404 as for a chat that does not
    exist. `cached`: see `store.chats.get_chat_and_member` (counters may be behind)."""
    found = await store.get_chat_and_member(
        conn, chat_id, caller.user_id, for_update=for_update, cached=cached
    )
    if found is None:
        raise hidden_chat()
    chat, member = found
    if member is None and not (allow_public and chat.is_public):
        raise hidden_chat()
    return ChatAccess(chat, member)


async def access_chat(
    ctx: Context, caller: Caller, chat_id: int, *, allow_public: bool = True
) -> ChatAccess:
    async with ctx.db.read() as conn:
        return await load_chat_access(
            conn, caller, chat_id, allow_public=allow_public, for_update=False
        )


async def chat_view(conn: Conn, caller: Caller, access: ChatAccess) -> dict[str, Any]:
    title = None
    if access.chat.kind is ChatKind.DIRECT:
        titles = await direct_titles(conn, caller.user_id, [access.chat.id])
        title = titles.get(access.chat.id)
    return access.chat.view(access.role, title)


async def access_chat_view(ctx: Context, caller: Caller, chat_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)
        return await chat_view(conn, caller, access)


async def direct_titles(conn: Conn, user_id: int, chat_ids: list[int]) -> dict[int, str]:
    """A direct chat is titled with the other member's display name."""
    others = await store.get_other_direct_members(conn, chat_ids, user_id)
    people = await user_store.get_users(conn, list(set(others.values())))
    return {chat_id: people[uid].display_name for chat_id, uid in others.items() if uid in people}


async def do_get_or_create_direct(
    ctx: Context, caller: Caller, other_user_id: int
) -> dict[str, Any]:
    if other_user_id == caller.user_id:
        raise InvalidInput("a direct chat needs another user", field="user_id")
    key = direct_key(caller.user_id, other_user_id)
    async with ctx.db.read() as conn:
        if await user_store.get_user(conn, other_user_id) is None:
            raise NotFound("no such user")
        existing = await store.get_chat_id_by_direct_key(conn, key)
        if existing is None:
            # One that exists is theirs to read; sending into it is what a block refuses.
            await check_not_blocked_by(conn, caller, other_user_id)
    if existing is None:
        # The other side may create it at the same moment; then we read theirs.
        with contextlib.suppress(IntegrityError):
            await _create_direct(ctx, caller.user_id, other_user_id, key)
        async with ctx.db.read() as conn:
            existing = await store.get_chat_id_by_direct_key(conn, key)
    assert existing is not None
    return await access_chat_view(ctx, caller, existing)


async def _create_direct(ctx: Context, user_a: int, user_b: int, key: str) -> None:
    now_ms = ctx.clock.now_ms()
    async with ctx.db.write() as tx:
        chat = await store.insert_chat(
            tx.conn,
            chat_id=new_id(),
            kind=ChatKind.DIRECT,
            title="",
            description="",
            is_public=False,
            signed_posts=False,
            now_ms=now_ms,
            direct_key=key,
        )
        for user_id in (user_a, user_b):
            await store.insert_member(
                tx.conn,
                chat_id=chat.id,
                user_id=user_id,
                role=Role.MEMBER,
                now_ms=now_ms,
                read_seq=0,
            )
        seq = await ctx.emit(tx, chat.id, events.CHAT_CREATED, {"chat": chat.shared_view()})
        for user_id in (user_a, user_b):
            ctx.notify_user(
                tx,
                user_id,
                chat.id,
                events.CHAT_ADDED,
                {"chat_id": str(chat.id)},
                control=CONTROL_ADDED,
                seq=seq - 1,
            )


async def do_create_chat(
    ctx: Context,
    caller: Caller,
    kind: str,
    title: str,
    description: str = "",
    is_public: bool = False,
    signed_posts: bool = False,
) -> dict[str, Any]:
    if kind not in (ChatKind.GROUP.value, ChatKind.CHANNEL.value):
        raise InvalidInput("kind must be group or channel", field="kind")
    chat_kind = ChatKind(kind)
    cleaned_title = check_title(title)
    cleaned_description = check_description(description)
    now_ms = ctx.clock.now_ms()
    async with ctx.db.write() as tx:
        chat = await store.insert_chat(
            tx.conn,
            chat_id=new_id(),
            kind=chat_kind,
            title=cleaned_title,
            description=cleaned_description,
            is_public=is_public,
            signed_posts=signed_posts,
            now_ms=now_ms,
        )
        first_seq = await ctx.emit(tx, chat.id, events.CHAT_CREATED, {"chat": chat.shared_view()})
        member = await store.insert_member(
            tx.conn,
            chat_id=chat.id,
            user_id=caller.user_id,
            role=Role.OWNER,
            now_ms=now_ms,
            read_seq=0,
        )
        await ctx.emit(
            tx,
            chat.id,
            events.MEMBER_JOINED,
            {
                "member": member.view(caller.user.username, caller.user.display_name),
                "via": "created",
            },
        )
        ctx.notify_user(
            tx,
            caller.user_id,
            chat.id,
            events.CHAT_ADDED,
            {"chat_id": str(chat.id)},
            control=CONTROL_ADDED,
            seq=first_seq - 1,
        )
        stored = await store.get_chat(tx.conn, chat.id)
    assert stored is not None
    return stored.view(Role.OWNER)


async def do_update_chat(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    slow_mode_s: int | None = None,
    signed_posts: bool | None = None,
    members_create_pots: bool | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = check_title(title)
    if description is not None:
        values["description"] = check_description(description)
    if slow_mode_s is not None:
        values["slow_mode_s"] = check_slow_mode(slow_mode_s)
    if signed_posts is not None:
        values["signed_posts"] = signed_posts
    if members_create_pots is not None:
        values["members_create_pots"] = members_create_pots
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        assert access.member is not None
        if not can_edit_chat(access.chat, access.member.role):
            raise Forbidden("only admins can edit this chat")
        if values:
            await store.update_chat(tx.conn, chat_id, **values)
            await _emit_chat_updated(ctx, tx, chat_id)
        chat = await store.get_chat(tx.conn, chat_id)
    assert chat is not None
    return chat.view(access.member.role)


async def do_set_message_ttl(
    ctx: Context, caller: Caller, chat_id: int, message_ttl_s: int | None
) -> dict[str, Any]:
    """Set or clear the chat's auto-delete timer; it applies to messages sent from now on."""
    check_chat_ttl(message_ttl_s)
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        if access.member is None:
            raise hidden_chat()
        if not can_set_message_ttl(access.chat, access.member.role):
            raise Forbidden("only admins set the auto-delete timer here")
        if access.chat.message_ttl_s != message_ttl_s:
            await store.update_chat(tx.conn, chat_id, message_ttl_s=message_ttl_s)
            await ctx.emit(
                tx,
                chat_id,
                events.CHAT_MESSAGE_TTL_CHANGED,
                {"message_ttl_s": message_ttl_s, "by_user_id": str(caller.user_id)},
            )
        chat = await store.get_chat(tx.conn, chat_id)
        assert chat is not None
        return await chat_view(tx.conn, caller, ChatAccess(chat, access.member))


def _encode_cursor(last_activity_ms: int, chat_id: int) -> str:
    return f"{last_activity_ms}.{chat_id}"


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        activity, chat_id = cursor.split(".")
        return int(activity), int(chat_id)
    except ValueError:
        raise InvalidInput("before must be a cursor from a previous page", field="before") from None


async def access_chat_list(
    ctx: Context, caller: Caller, limit: int, before: str | None
) -> dict[str, Any]:
    """The caller's chats by activity with last message and unread count."""
    if not 1 <= limit <= CHAT_LIST_MAX:
        raise InvalidInput(f"limit must be 1–{CHAT_LIST_MAX}", field="limit")
    cursor = _decode_cursor(before) if before else None
    async with ctx.db.read() as conn:
        rows = await store.list_user_chats(conn, caller.user_id, limit + 1, cursor)
        page = rows[:limit]
        chat_ids = [chat.id for chat, _, _ in page]
        last_ids = await store.get_last_message_ids(conn, chat_ids)
        last_messages = await message_store.get_messages_by_ids(
            conn, chat_ids, list(last_ids.values())
        )
        titles = await direct_titles(
            conn, caller.user_id, [c.id for c, _, _ in page if c.kind is ChatKind.DIRECT]
        )
        blocked = await blocked_by(conn, caller.user_id)
        max_members = ctx.settings.read_receipts_max_members
        peer_reads = await store.get_peer_read_seqs(
            conn, [c.id for c, _, _ in page if shows_read_receipts(c, max_members)], caller.user_id
        )
    items = []
    now_ms = ctx.clock.now_ms()
    for chat, member, unread in page:
        last = last_messages.get(last_ids.get(chat.id, 0))
        item = chat.view(member.role, titles.get(chat.id))
        last_view = None
        if last is not None:
            last_view = last.view_for(caller.user_id, now_ms, show_sender=shows_sender(chat))
            if blocks.filters(chat.kind):
                last_view = blocks.shown(last_view, blocked)
        item.update(
            last_message=last_view,
            unread_count=unread,
            read_seq=member.read_seq,
            peer_read_seq=peer_reads.get(chat.id),
            last_activity_ms=chat.last_activity_ms,
        )
        items.append(item)
    next_cursor = None
    if len(rows) > limit:
        next_cursor = _encode_cursor(page[-1][0].last_activity_ms, page[-1][0].id)
    return {"chats": items, "next": next_cursor}


async def access_public_channels(
    ctx: Context, caller: Caller, prefix: str, limit: int
) -> list[dict[str, Any]]:
    prefix = check_line(prefix, "prefix", TITLE_MAX_CHARS, min_chars=0)
    async with ctx.db.read() as conn:
        found = await store.list_public_channels(conn, prefix, min(max(limit, 1), 100))
        result = []
        for chat in found:
            member = await store.get_member(conn, chat.id, caller.user_id)
            result.append(chat.view(member.role if member else None))
    return result


async def set_chat_closed(ctx: Context, tx: Tx, chat_id: int, closed_at_ms: int | None) -> None:
    """Moderators close a chat (nobody posts; it stays readable), or a reversed complaint
    reopens it; members see it change."""
    await store.update_chat(tx.conn, chat_id, closed_at_ms=closed_at_ms)
    await _emit_chat_updated(ctx, tx, chat_id)


async def _emit_chat_updated(ctx: Context, tx: Tx, chat_id: int) -> None:
    """`chat.updated` with the chat as every member sees it, as of the event itself: its seq
    is taken first, so the chat's `last_seq` is the event's (read before, it was one behind;
    and the writer cache may hold older counters than the bump)."""
    now_ms = ctx.clock.now_ms()
    seq = await store.bump_seq(tx.conn, chat_id, now_ms)
    chat = await store.get_chat(tx.conn, chat_id)
    assert chat is not None
    view = {**chat.shared_view(), "last_seq": seq, "last_activity_ms": now_ms}
    await ctx.emit(tx, chat_id, events.CHAT_UPDATED, {"chat": view}, seq=seq)
