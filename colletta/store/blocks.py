"""Blocks between users: who blocked whom (private to the blocker)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as upsert

from colletta.store.db import Conn, Prepared
from colletta.store.schema import chat_members, user_blocks, users

_B = user_blocks.c


async def insert_block(conn: Conn, user_id: int, blocked_id: int, now_ms: int) -> bool:
    """Block; True if it is new (a repeated block keeps the first one's time)."""
    result = await conn.execute(
        upsert(user_blocks)
        .values(user_id=user_id, blocked_id=blocked_id, created_at_ms=now_ms)
        .on_conflict_do_nothing(index_elements=["user_id", "blocked_id"])
    )
    return bool(result.rowcount)


async def delete_block(conn: Conn, user_id: int, blocked_id: int) -> bool:
    result = await conn.execute(
        delete(user_blocks).where(_B.user_id == user_id, _B.blocked_id == blocked_id)
    )
    return bool(result.rowcount)


async def is_blocked(conn: Conn, user_id: int, blocked_id: int) -> bool:
    """Whether `user_id` blocks `blocked_id`."""
    return await get_block_time(conn, user_id, blocked_id) is not None


async def get_block_time(conn: Conn, user_id: int, blocked_id: int) -> int | None:
    """When `user_id` blocked `blocked_id`, if they do."""
    value = await conn.scalar(
        select(_B.created_at_ms).where(_B.user_id == user_id, _B.blocked_id == blocked_id)
    )
    return int(value) if value is not None else None


async def count_blocks(conn: Conn, user_id: int) -> int:
    return int(
        await conn.scalar(
            select(func.count()).select_from(user_blocks).where(_B.user_id == user_id)
        )
        or 0
    )


async def get_blocked_ids(conn: Conn, user_id: int) -> frozenset[int]:
    rows = await conn.execute(select(_B.blocked_id).where(_B.user_id == user_id))
    return frozenset(int(row.blocked_id) for row in rows)


async def get_blocks(conn: Conn, user_id: int) -> list[Any]:
    """The users `user_id` blocks, most recent first, with their names."""
    rows = await conn.execute(
        select(_B.blocked_id, users.c.username, users.c.display_name, _B.created_at_ms)
        .select_from(user_blocks.join(users, users.c.id == _B.blocked_id))
        .where(_B.user_id == user_id)
        .order_by(_B.created_at_ms.desc(), _B.blocked_id)
    )
    return list(rows)


# A send into a direct chat asks this: one read of two primary keys through the other member.
_other = chat_members.c
_DIRECT_BLOCKER = Prepared(
    select(_B.user_id)
    .select_from(
        chat_members.join(
            user_blocks,
            or_(
                and_(_B.user_id == _other.user_id, _B.blocked_id == bindparam("b_user_id")),
                and_(_B.user_id == bindparam("b_user_id"), _B.blocked_id == _other.user_id),
            ),
        )
    )
    .where(_other.chat_id == bindparam("b_chat_id"), _other.user_id != bindparam("b_user_id"))
    .limit(1)
)


async def get_direct_blocker(conn: Conn, chat_id: int, user_id: int) -> int | None:
    """Who blocks whom in the direct chat `chat_id` between `user_id` and the other member:
    the blocker's id (`user_id` if they block the other; if both block each other, either),
    or None."""
    value = await conn.scalar(_DIRECT_BLOCKER, {"b_chat_id": chat_id, "b_user_id": user_id})
    return int(value) if value is not None else None
