"""Invite links and join requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from colletta.store.db import Conn
from colletta.store.schema import invites, join_requests, users


async def insert_invite(conn: Conn, **values: Any) -> None:
    await conn.execute(insert(invites).values(uses=0, revoked=False, **values))


async def get_invite(conn: Conn, code: str) -> Any:
    return (await conn.execute(select(invites).where(invites.c.code == code))).first()


async def get_invites(conn: Conn, chat_id: int) -> list[Any]:
    rows = await conn.execute(
        select(invites)
        .where(invites.c.chat_id == chat_id, invites.c.revoked.is_(False))
        .order_by(invites.c.created_at_ms)
    )
    return list(rows)


async def revoke_invite(conn: Conn, chat_id: int, code: str) -> bool:
    result = await conn.execute(
        update(invites)
        .where(invites.c.chat_id == chat_id, invites.c.code == code)
        .values(revoked=True)
    )
    return bool(result.rowcount)


async def use_invite(conn: Conn, code: str) -> bool:
    """Count one use, unless the use limit is already reached (checked in the same UPDATE)."""
    result = await conn.execute(
        update(invites)
        .where(
            invites.c.code == code,
            (invites.c.max_uses.is_(None)) | (invites.c.uses < invites.c.max_uses),
        )
        .values(uses=invites.c.uses + 1)
    )
    return bool(result.rowcount)


async def insert_join_request(
    conn: Conn, chat_id: int, user_id: int, code: str, now_ms: int
) -> None:
    await conn.execute(
        insert(join_requests).values(
            chat_id=chat_id, user_id=user_id, invite_code=code, created_at_ms=now_ms
        )
    )


async def get_join_request(conn: Conn, chat_id: int, user_id: int) -> Any:
    """The request with `lapsed`: true once its invite link was revoked."""
    return (
        await conn.execute(
            select(*join_requests.c, invites.c.revoked.label("lapsed"))
            .select_from(
                join_requests.outerjoin(invites, invites.c.code == join_requests.c.invite_code)
            )
            .where(join_requests.c.chat_id == chat_id, join_requests.c.user_id == user_id)
        )
    ).first()


async def get_join_requests(conn: Conn, chat_id: int) -> list[Any]:
    """Pending requests; those whose invite link was revoked have lapsed and are left out."""
    rows = await conn.execute(
        select(join_requests.c.user_id, users.c.username, join_requests.c.created_at_ms)
        .select_from(
            join_requests.join(users, users.c.id == join_requests.c.user_id).join(
                invites, invites.c.code == join_requests.c.invite_code
            )
        )
        .where(join_requests.c.chat_id == chat_id, invites.c.revoked.is_(False))
        .order_by(join_requests.c.created_at_ms)
    )
    return list(rows)


async def delete_join_request(conn: Conn, chat_id: int, user_id: int) -> bool:
    result = await conn.execute(
        delete(join_requests).where(
            join_requests.c.chat_id == chat_id, join_requests.c.user_id == user_id
        )
    )
    return bool(result.rowcount)
