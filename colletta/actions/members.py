"""Membership: adding, removing, leaving, roles, ownership, subscribing; read markers, typing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from colletta.actions import expiry
from colletta.actions.blocks import check_not_blocked_by
from colletta.actions.callers import Caller
from colletta.actions.chats import (
    CONTROL_ADDED,
    CONTROL_REMOVED,
    hidden_chat,
    load_chat_access,
)
from colletta.actions.context import Context
from colletta.domain import events
from colletta.domain.chats import (
    Chat,
    ChatKind,
    Member,
    Role,
    can_add_members,
    can_remove_member,
    can_set_role,
    sees_members,
    shows_read_receipts,
)
from colletta.errors import Conflict, Forbidden, InvalidInput, NotFound
from colletta.store import chats as store
from colletta.store import invites as invite_store
from colletta.store import messages as message_store
from colletta.store import users as user_store
from colletta.store.db import Conn, Tx

MEMBER_PAGE_MAX = 200


@dataclass(frozen=True, slots=True)
class ActingMember:
    chat: Chat
    member: Member


async def join_chat(
    ctx: Context, tx: Tx, chat_id: int, user_id: int, role: Role, via: str
) -> Member:
    """Insert the membership, log `member.joined`, tell the user's devices. Inside `tx`."""
    user = await user_store.get_user(tx.conn, user_id)
    if user is None:
        raise NotFound("no such user")
    if await store.get_member(tx.conn, chat_id, user_id) is not None:
        raise Conflict("already a member")
    member = await store.insert_member(
        tx.conn,
        chat_id=chat_id,
        user_id=user_id,
        role=role,
        now_ms=ctx.clock.now_ms(),
        read_seq=0,
    )
    seq = await ctx.emit(
        tx,
        chat_id,
        events.MEMBER_JOINED,
        {"member": member.view(user.username, user.display_name), "via": via},
    )
    await store.update_member(tx.conn, chat_id, user_id, read_seq=seq)
    ctx.notify_user(
        tx,
        user_id,
        chat_id,
        events.CHAT_ADDED,
        {"chat_id": str(chat_id)},
        control=CONTROL_ADDED,
        seq=seq - 1,
    )
    return member


async def check_not_banned(conn: Conn, chat_id: int, user_id: int) -> None:
    """Refuse a way back in that the user takes by themselves (link, request, subscribing)."""
    if await store.is_banned(conn, chat_id, user_id):
        raise Forbidden("you were removed from this chat; only an admin can add you back")


def _leave_notice(ctx: Context, tx: Tx, chat_id: int, user_id: int) -> None:
    ctx.notify_user(tx, user_id, chat_id, events.CHAT_REMOVED, {}, control=CONTROL_REMOVED)


async def do_add_member(ctx: Context, caller: Caller, chat_id: int, user_id: int) -> dict[str, Any]:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        assert access.member is not None
        if not can_add_members(access.chat, access.member.role):
            raise Forbidden("only admins can add members")
        await check_not_blocked_by(tx.conn, caller, user_id)
        member = await join_chat(ctx, tx, chat_id, user_id, Role.MEMBER, "added")
        await store.delete_ban(tx.conn, chat_id, user_id)  # an admin's adding lifts a ban
        user = await user_store.get_user(tx.conn, user_id)
    assert user is not None
    return member.view(user.username, user.display_name)


async def do_subscribe(ctx: Context, caller: Caller, chat_id: int) -> dict[str, Any]:
    """Join a public channel or public group without an invite."""
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=True, for_update=True
        )
        if access.member is not None:
            raise Conflict("already a member")
        await check_not_banned(tx.conn, chat_id, caller.user_id)
        member = await join_chat(ctx, tx, chat_id, caller.user_id, Role.MEMBER, "subscribe")
    return member.view(caller.user.username, caller.user.display_name)


async def _load_target(
    tx: Tx, caller: Caller, chat_id: int, user_id: int
) -> tuple[ActingMember, Member]:
    """The caller's standing in the chat (row-locked) and the member they act on."""
    access = await load_chat_access(tx.conn, caller, chat_id, allow_public=False, for_update=True)
    assert access.member is not None
    target = await store.get_member(tx.conn, chat_id, user_id)
    if target is None:
        raise NotFound("not a member")
    return ActingMember(access.chat, access.member), target


async def do_remove_member(ctx: Context, caller: Caller, chat_id: int, user_id: int) -> None:
    if user_id == caller.user_id:
        await do_leave_chat(ctx, caller, chat_id)
        return
    async with ctx.db.write() as tx:
        access, target = await _load_target(tx, caller, chat_id, user_id)
        if not can_remove_member(access.chat, access.member.role, target.role):
            raise Forbidden("you cannot remove this member")
        await ctx.emit(
            tx,
            chat_id,
            events.MEMBER_REMOVED,
            {"user_id": str(user_id), "by_user_id": str(caller.user_id)},
        )
        await store.delete_member(tx.conn, chat_id, user_id)
        # Removed is kept out: no rejoining through a link or a request already made.
        await store.insert_ban(tx.conn, chat_id, user_id, caller.user_id, ctx.clock.now_ms())
        await invite_store.delete_join_request(tx.conn, chat_id, user_id)
        _leave_notice(ctx, tx, chat_id, user_id)


async def access_bans(ctx: Context, caller: Caller, chat_id: int) -> list[dict[str, Any]]:
    """Who was removed and may not rejoin by themselves (admins)."""
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=False, for_update=False)
        _require_ban_manager(access.chat, access.member)
        rows = await store.get_bans(conn, chat_id)
    return [
        {
            "user_id": str(row.user_id),
            "username": row.username,
            "by_user_id": str(row.by_user_id),
            "created_at_ms": row.created_at_ms,
        }
        for row in rows
    ]


async def do_lift_ban(ctx: Context, caller: Caller, chat_id: int, user_id: int) -> None:
    """Let a removed user rejoin by themselves again, without adding them (admins)."""
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        _require_ban_manager(access.chat, access.member)
        if not await store.delete_ban(tx.conn, chat_id, user_id):
            raise NotFound("no such ban")


def _require_ban_manager(chat: Chat, member: Member | None) -> None:
    # Lifting a ban lets the user back in: the same right as adding them.
    if member is None or not can_add_members(chat, member.role):
        raise Forbidden("only admins manage bans")


async def do_leave_chat(ctx: Context, caller: Caller, chat_id: int) -> None:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        assert access.member is not None
        if access.chat.kind is ChatKind.DIRECT:
            raise Forbidden("a direct chat cannot be left")
        if access.member.role is Role.OWNER and access.chat.member_count > 1:
            raise Conflict("transfer ownership before leaving")
        await ctx.emit(tx, chat_id, events.MEMBER_LEFT, {"user_id": str(caller.user_id)})
        await store.delete_member(tx.conn, chat_id, caller.user_id)
        _leave_notice(ctx, tx, chat_id, caller.user_id)


async def do_set_role(
    ctx: Context, caller: Caller, chat_id: int, user_id: int, role_label: str
) -> dict[str, Any]:
    new_role = Role.parse(role_label)
    async with ctx.db.write() as tx:
        access, target = await _load_target(tx, caller, chat_id, user_id)
        if not can_set_role(access.chat, access.member.role, target.role, new_role):
            raise Forbidden("you cannot give this member that role")
        await store.update_member(tx.conn, chat_id, user_id, role=int(new_role))
        user = await user_store.get_user(tx.conn, user_id)
        assert user is not None
        view = Member(
            chat_id, user_id, new_role, target.joined_at_ms, target.read_seq, target.last_post_ms
        ).view(user.username, user.display_name)
        await ctx.emit(tx, chat_id, events.MEMBER_ROLE_CHANGED, {"member": view})
    return view


async def do_transfer_ownership(ctx: Context, caller: Caller, chat_id: int, user_id: int) -> None:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        assert access.member is not None
        if access.member.role is not Role.OWNER:
            raise Forbidden("only the owner can transfer ownership")
        if user_id == caller.user_id:
            raise InvalidInput("you already own this chat", field="user_id")
        if await store.get_member(tx.conn, chat_id, user_id) is None:
            raise NotFound("not a member")
        await store.update_member(tx.conn, chat_id, user_id, role=int(Role.OWNER))
        await store.update_member(tx.conn, chat_id, caller.user_id, role=int(Role.ADMIN))
        await ctx.emit(
            tx,
            chat_id,
            events.CHAT_OWNER_TRANSFERRED,
            {"from_user_id": str(caller.user_id), "to_user_id": str(user_id)},
        )


async def access_members(
    ctx: Context, caller: Caller, chat_id: int, after_user_id: int | None, limit: int
) -> dict[str, Any]:
    if not 1 <= limit <= MEMBER_PAGE_MAX:
        raise InvalidInput(f"limit must be 1–{MEMBER_PAGE_MAX}", field="limit")
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=False, for_update=False)
        assert access.member is not None
        if not sees_members(access.chat.kind, access.member.role):
            raise Forbidden("only admins see a channel's subscribers")
        rows = await store.get_members(conn, chat_id, after_user_id, limit + 1)
    page = rows[:limit]
    return {
        "members": [member.view(username, name) for member, username, name in page],
        "next": str(page[-1][0].user_id) if len(rows) > limit else None,
    }


async def do_mark_read(ctx: Context, caller: Caller, chat_id: int, seq: int) -> None:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=False
        )
        if seq < 0 or seq > access.chat.last_seq:
            raise InvalidInput("seq must be between 0 and the chat's last_seq", field="seq")
        moved = await store.advance_read_seq(tx.conn, chat_id, caller.user_id, seq)
        if moved and access.member is not None:
            await _start_read_timers(ctx, tx, chat_id, caller.user_id, access.member.read_seq, seq)
        if moved:
            read = {"user_id": str(caller.user_id), "read_seq": seq}
            ctx.notify_user(tx, caller.user_id, chat_id, events.READ_UPDATED, read)
            if shows_read_receipts(access.chat, ctx.settings.read_receipts_max_members):
                # The senders' ticks: never stored, the chat list has it after a reconnect.
                tx.on_commit(lambda: ctx.publish_ephemeral(chat_id, events.MEMBER_READ, read))


async def _start_read_timers(
    ctx: Context, tx: Tx, chat_id: int, reader_id: int, after_seq: int, upto_seq: int
) -> None:
    """Self-destruct: the reader's copy starts counting when their read marker passes it."""
    now_ms = ctx.clock.now_ms()
    started = await message_store.get_read_timers_started(
        tx.conn, chat_id, reader_id, after_seq, upto_seq
    )
    for message in started:
        assert message.expires_after_read_s is not None
        read_expires_at_ms = now_ms + message.expires_after_read_s * 1000
        await message_store.mark_read_expiry(
            tx.conn, chat_id, message.id, read_expires_at_ms, only_if_unset=True
        )
        await expiry.schedule_message(
            ctx, tx, replace(message, read_expires_at_ms=read_expires_at_ms)
        )


async def do_typing(ctx: Context, caller: Caller, chat_id: int) -> None:
    """Tell the chat's live members; repeats within `typing_interval_s` are dropped silently,
    so one member's typing can never flood the others' sockets."""
    if not ctx.flood.typing.admit(caller.user_id, chat_id):
        return
    try:
        async with ctx.db.read() as conn:
            access = await load_chat_access(
                conn, caller, chat_id, allow_public=False, for_update=False
            )
        if access.chat.kind is ChatKind.CHANNEL:
            raise hidden_chat() if access.member is None else Forbidden("channels have no typing")
    except BaseException:
        ctx.flood.typing.forget(caller.user_id, chat_id)
        raise
    await ctx.publish_ephemeral(chat_id, events.TYPING, {"user_id": str(caller.user_id)})
