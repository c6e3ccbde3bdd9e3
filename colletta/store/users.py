"""Users and their device sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from colletta.domain.users import User
from colletta.store.db import Conn, Prepared
from colletta.store.schema import sessions, users

_USER_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.bio,
    users.c.is_operator,
    users.c.created_at_ms,
    users.c.is_moderator,
    users.c.trusted_flagger,
)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        bio=row.bio,
        is_operator=bool(row.is_operator),
        created_at_ms=row.created_at_ms,
        is_moderator=bool(row.is_moderator),
        trusted_flagger=bool(row.trusted_flagger),
    )


async def insert_user(
    conn: Conn,
    *,
    user_id: int,
    username: str,
    display_name: str,
    password_hash: str,
    is_operator: bool,
    now_ms: int,
) -> User:
    await conn.execute(
        insert(users).values(
            id=user_id,
            username=username,
            display_name=display_name,
            bio="",
            password_hash=password_hash,
            is_operator=is_operator,
            created_at_ms=now_ms,
        )
    )
    return User(user_id, username, display_name, "", is_operator, now_ms)


async def get_user(conn: Conn, user_id: int) -> User | None:
    row = (await conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id))).first()
    return _user(row) if row else None


async def get_users(conn: Conn, user_ids: list[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = await conn.execute(select(*_USER_COLUMNS).where(users.c.id.in_(user_ids)))
    return {row.id: _user(row) for row in rows}


async def get_password_hash(conn: Conn, user_id: int) -> str | None:
    value = await conn.scalar(select(users.c.password_hash).where(users.c.id == user_id))
    return str(value) if value is not None else None


async def get_login(conn: Conn, username: str) -> tuple[User, str] | None:
    row = (
        await conn.execute(
            select(*_USER_COLUMNS, users.c.password_hash).where(users.c.username == username)
        )
    ).first()
    return (_user(row), row.password_hash) if row else None


async def search_users(conn: Conn, prefix: str, limit: int) -> list[User]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await conn.execute(
        select(*_USER_COLUMNS)
        .where(users.c.username.like(f"{escaped}%", escape="\\"))
        .order_by(users.c.username)
        .limit(limit)
    )
    return [_user(row) for row in rows]


async def operator_exists(conn: Conn) -> bool:
    found = await conn.scalar(select(func.count()).where(users.c.is_operator.is_(True)))
    return bool(found)


async def update_user(conn: Conn, user_id: int, **values: Any) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(**values))


async def insert_session(
    conn: Conn,
    *,
    session_id: int,
    user_id: int,
    token_hash: str,
    device_name: str,
    now_ms: int,
) -> None:
    await conn.execute(
        insert(sessions).values(
            id=session_id,
            user_id=user_id,
            token_hash=token_hash,
            device_name=device_name,
            created_at_ms=now_ms,
            last_seen_at_ms=now_ms,
        )
    )


# Built once: constructing a statement costs several times more than executing a cached one.
_SESSION_USER = Prepared(
    select(sessions.c.id.label("session_id"), sessions.c.last_seen_at_ms, *_USER_COLUMNS)
    .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
    .where(sessions.c.token_hash == bindparam("b_token_hash"))
)


async def get_session_user(conn: Conn, token_hash: str) -> tuple[int, int, User] | None:
    """(session id, last seen at ms, user) of a token."""
    row = (await conn.execute(_SESSION_USER, {"b_token_hash": token_hash})).first()
    return (row.session_id, row.last_seen_at_ms, _user(row)) if row else None


async def update_session_seen(conn: Conn, session_id: int, now_ms: int) -> None:
    await conn.execute(
        update(sessions).where(sessions.c.id == session_id).values(last_seen_at_ms=now_ms)
    )


async def delete_idle_sessions(conn: Conn, user_id: int, seen_before_ms: int) -> None:
    await conn.execute(
        delete(sessions).where(
            sessions.c.user_id == user_id, sessions.c.last_seen_at_ms < seen_before_ms
        )
    )


async def get_sessions(conn: Conn, user_id: int, seen_since_ms: int) -> list[Any]:
    rows = await conn.execute(
        select(
            sessions.c.id,
            sessions.c.device_name,
            sessions.c.created_at_ms,
            sessions.c.last_seen_at_ms,
        )
        .where(sessions.c.user_id == user_id, sessions.c.last_seen_at_ms >= seen_since_ms)
        .order_by(sessions.c.created_at_ms)
    )
    return list(rows)


async def delete_session(conn: Conn, user_id: int, session_id: int) -> int:
    result = await conn.execute(
        delete(sessions).where(sessions.c.id == session_id, sessions.c.user_id == user_id)
    )
    return int(result.rowcount)


async def delete_other_sessions(conn: Conn, user_id: int, keep_session_id: int) -> None:
    await conn.execute(
        delete(sessions).where(sessions.c.user_id == user_id, sessions.c.id != keep_session_id)
    )
