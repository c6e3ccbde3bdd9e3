"""Blocking users: block, unblock, list; and the checks the rest of the app asks.

A block is private: the blocked user is never told. They cannot open a direct chat with the
blocker, send into one, or add the blocker to a chat; the blocker's view of groups and
channels hides their messages (domain.blocks) unless the blocker asks to see them.
"""

from __future__ import annotations

from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.domain import events
from colletta.errors import Conflict, InvalidInput, NotFound, PrivacyRestricted, YouBlocked
from colletta.store import blocks as store
from colletta.store import users as user_store
from colletta.store.db import Conn, Tx

# Enough for anyone; it bounds the set each of the blocker's live connections holds.
BLOCKS_MAX = 10_000


def _block_view(row: Any) -> dict[str, Any]:
    return {
        "user_id": str(row.blocked_id),
        "username": row.username,
        "display_name": row.display_name,
        "blocked_at_ms": row.created_at_ms,
    }


def _notify_devices(ctx: Context, tx: Tx, caller: Caller, user_id: int, blocked: bool) -> None:
    """The blocker's own live sessions update their filter (and their clients, their list)."""
    ctx.notify_user(
        tx,
        caller.user_id,
        0,
        events.USER_BLOCKED if blocked else events.USER_UNBLOCKED,
        {"user_id": str(user_id)},
        control=events.CONTROL_BLOCKED if blocked else events.CONTROL_UNBLOCKED,
        seq=user_id,
    )


async def do_block_user(ctx: Context, caller: Caller, user_id: int) -> dict[str, Any]:
    """Block `user_id` (again: no change); returns the block as listed."""
    if user_id == caller.user_id:
        raise InvalidInput("you cannot block yourself", field="user_id")
    async with ctx.db.write() as tx:
        user = await user_store.get_user(tx.conn, user_id)
        if user is None:
            raise NotFound("no such user")
        blocked_at_ms = await store.get_block_time(tx.conn, caller.user_id, user_id)
        if blocked_at_ms is None:
            if await store.count_blocks(tx.conn, caller.user_id) >= BLOCKS_MAX:
                raise Conflict(f"at most {BLOCKS_MAX} users can be blocked")
            blocked_at_ms = ctx.clock.now_ms()
            await store.insert_block(tx.conn, caller.user_id, user_id, blocked_at_ms)
            _notify_devices(ctx, tx, caller, user_id, blocked=True)
    return {
        "user_id": str(user_id),
        "username": user.username,
        "display_name": user.display_name,
        "blocked_at_ms": blocked_at_ms,
    }


async def do_unblock_user(ctx: Context, caller: Caller, user_id: int) -> None:
    """Unblock; unblocking someone not blocked is not an error (the outcome is the same)."""
    async with ctx.db.write() as tx:
        if await store.delete_block(tx.conn, caller.user_id, user_id):
            _notify_devices(ctx, tx, caller, user_id, blocked=False)


async def access_blocks(ctx: Context, caller: Caller) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        return [_block_view(row) for row in await store.get_blocks(conn, caller.user_id)]


async def blocked_by(conn: Conn, user_id: int) -> frozenset[int]:
    """The users `user_id` blocks."""
    return await store.get_blocked_ids(conn, user_id)


async def check_not_blocked_by(conn: Conn, caller: Caller, user_id: int) -> None:
    """`user_id` has not blocked the caller. Refused as Telegram words it: the user's privacy
    settings do not allow it, which does not say that a block is the reason."""
    if await store.is_blocked(conn, user_id, caller.user_id):
        raise PrivacyRestricted("this user's privacy settings do not allow you to do this")


async def check_direct_send(conn: Conn, caller: Caller, chat_id: int) -> None:
    """Neither member of the direct chat `chat_id` blocks the other."""
    blocker = await store.get_direct_blocker(conn, chat_id, caller.user_id)
    if blocker is None:
        return
    if blocker == caller.user_id:
        raise YouBlocked("you blocked this user; unblock them to send messages")
    raise PrivacyRestricted("this user's privacy settings do not allow you to message them")
