"""Invite links: create, list, revoke, join; join requests and their approval."""

from __future__ import annotations

from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.chats import ChatAccess, chat_view, load_chat_access
from colletta.actions.context import Context
from colletta.actions.members import check_not_banned, join_chat
from colletta.domain import events
from colletta.domain.chats import Role, can_manage_invites
from colletta.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from colletta.ids import new_invite_code
from colletta.store import chats as chat_store
from colletta.store import invites as store

INVITE_TTL_MAX_S = 366 * 86_400
INVITE_USES_MAX = 1_000_000


def _invite_view(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "chat_id": str(row.chat_id),
        "created_by": str(row.created_by),
        "expires_at_ms": row.expires_at_ms,
        "max_uses": row.max_uses,
        "uses": row.uses,
        "requires_approval": bool(row.requires_approval),
        "created_at_ms": row.created_at_ms,
    }


def _require_manager(access: ChatAccess) -> None:
    if access.member is None or not can_manage_invites(access.chat, access.member.role):
        raise Forbidden("only admins manage invite links")


async def do_create_invite(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    expires_in_s: int | None,
    max_uses: int | None,
    requires_approval: bool,
) -> dict[str, Any]:
    if expires_in_s is not None and not 1 <= expires_in_s <= INVITE_TTL_MAX_S:
        raise InvalidInput(f"expires_in_s must be 1–{INVITE_TTL_MAX_S}", field="expires_in_s")
    if max_uses is not None and not 1 <= max_uses <= INVITE_USES_MAX:
        raise InvalidInput(f"max_uses must be 1–{INVITE_USES_MAX}", field="max_uses")
    now_ms = ctx.clock.now_ms()
    code = new_invite_code()
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=False
        )
        _require_manager(access)
        await store.insert_invite(
            tx.conn,
            code=code,
            chat_id=chat_id,
            created_by=caller.user_id,
            expires_at_ms=now_ms + expires_in_s * 1000 if expires_in_s else None,
            max_uses=max_uses,
            requires_approval=requires_approval,
            created_at_ms=now_ms,
        )
        row = await store.get_invite(tx.conn, code)
    return _invite_view(row)


async def access_invites(ctx: Context, caller: Caller, chat_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=False, for_update=False)
        _require_manager(access)
        return [_invite_view(row) for row in await store.get_invites(conn, chat_id)]


async def do_revoke_invite(ctx: Context, caller: Caller, chat_id: int, code: str) -> None:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=False
        )
        _require_manager(access)
        if not await store.revoke_invite(tx.conn, chat_id, code):
            raise NotFound("no such invite")


def _check_usable(row: Any, now_ms: int) -> None:
    if row is None:
        raise NotFound("no such invite")
    if row.revoked:
        raise Gone("this invite link was revoked")
    if row.expires_at_ms is not None and row.expires_at_ms <= now_ms:
        raise Gone("this invite link has expired")
    if row.max_uses is not None and row.uses >= row.max_uses:
        raise Gone("this invite link has been used up")


async def access_invite_info(ctx: Context, caller: Caller, code: str) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        row = await store.get_invite(conn, code)
        _check_usable(row, ctx.clock.now_ms())
        chat = await chat_store.get_chat(conn, row.chat_id)
    assert chat is not None
    return {
        "chat": {
            "id": str(chat.id),
            "kind": chat.kind.value,
            "title": chat.title,
            "member_count": chat.member_count,
        },
        "requires_approval": bool(row.requires_approval),
    }


async def do_join_by_invite(ctx: Context, caller: Caller, code: str) -> dict[str, Any]:
    async with ctx.db.write() as tx:
        row = await store.get_invite(tx.conn, code)
        _check_usable(row, ctx.clock.now_ms())
        chat_id = row.chat_id
        await chat_store.get_chat(tx.conn, chat_id, for_update=True)
        if await chat_store.get_member(tx.conn, chat_id, caller.user_id) is not None:
            raise Conflict("already a member")
        await check_not_banned(tx.conn, chat_id, caller.user_id)
        if row.requires_approval:
            pending = await store.get_join_request(tx.conn, chat_id, caller.user_id)
            if pending is None or pending.lapsed:
                if pending is not None:  # its link was revoked: this link's request replaces it
                    await store.delete_join_request(tx.conn, chat_id, caller.user_id)
                await store.insert_join_request(
                    tx.conn, chat_id, caller.user_id, code, ctx.clock.now_ms()
                )
                for admin_id in await chat_store.get_member_ids_with_role(
                    tx.conn, chat_id, Role.ADMIN
                ):
                    ctx.notify_user(
                        tx,
                        admin_id,
                        chat_id,
                        events.MEMBER_JOIN_REQUESTED,
                        {"user_id": str(caller.user_id), "username": caller.user.username},
                    )
            return {"status": "requested", "chat": None}
        if not await store.use_invite(tx.conn, code):
            raise Gone("this invite link has been used up")
        await join_chat(ctx, tx, chat_id, caller.user_id, Role.MEMBER, "invite")
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=False
        )
        view = await chat_view(tx.conn, caller, access)
    return {"status": "joined", "chat": view}


async def access_join_requests(ctx: Context, caller: Caller, chat_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=False, for_update=False)
        _require_manager(access)
        rows = await store.get_join_requests(conn, chat_id)
    return [
        {"user_id": str(row.user_id), "username": row.username, "created_at_ms": row.created_at_ms}
        for row in rows
    ]


async def do_decide_join_request(
    ctx: Context, caller: Caller, chat_id: int, user_id: int, approve: bool
) -> None:
    async with ctx.db.write() as tx:
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=True
        )
        _require_manager(access)
        request = await store.get_join_request(tx.conn, chat_id, user_id)
        if request is None:
            raise NotFound("no such join request")
        if approve and request.lapsed:
            raise Gone("this join request lapsed: its invite link was revoked")
        await store.delete_join_request(tx.conn, chat_id, user_id)
        if approve:
            if not await store.use_invite(tx.conn, request.invite_code):
                raise Gone("the invite link has been used up")
            await join_chat(ctx, tx, chat_id, user_id, Role.MEMBER, "approved")
