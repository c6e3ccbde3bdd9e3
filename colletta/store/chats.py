"""Chats and their members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, select, tuple_, update

from colletta.domain.chats import Chat, ChatKind, Member, Role
from colletta.store.db import Conn, Prepared
from colletta.store.schema import chat_bans, chat_members, chats, messages, users

_CHAT_COLUMNS = (
    chats.c.id,
    chats.c.kind,
    chats.c.title,
    chats.c.description,
    chats.c.is_public,
    chats.c.signed_posts,
    chats.c.slow_mode_s,
    chats.c.member_count,
    chats.c.last_seq,
    chats.c.last_activity_ms,
    chats.c.created_at_ms,
    chats.c.message_ttl_s,
    chats.c.members_create_pots,
    chats.c.closed_at_ms,
)
_MEMBER_COLUMNS = (
    chat_members.c.chat_id,
    chat_members.c.user_id,
    chat_members.c.role,
    chat_members.c.joined_at_ms,
    chat_members.c.read_seq,
    chat_members.c.last_post_ms,
)


def _chat(row: Any) -> Chat:
    return Chat(
        id=row.id,
        kind=ChatKind(row.kind),
        title=row.title,
        description=row.description,
        is_public=bool(row.is_public),
        signed_posts=bool(row.signed_posts),
        slow_mode_s=row.slow_mode_s,
        member_count=row.member_count,
        last_seq=row.last_seq,
        last_activity_ms=row.last_activity_ms,
        created_at_ms=row.created_at_ms,
        message_ttl_s=row.message_ttl_s,
        members_create_pots=bool(row.members_create_pots),
        closed_at_ms=row.closed_at_ms,
    )


def _member(row: Any) -> Member:
    return Member(
        chat_id=row.chat_id,
        user_id=row.user_id,
        role=Role(row.role),
        joined_at_ms=row.joined_at_ms,
        read_seq=row.read_seq,
        last_post_ms=row.last_post_ms,
    )


async def insert_chat(
    conn: Conn,
    *,
    chat_id: int,
    kind: ChatKind,
    title: str,
    description: str,
    is_public: bool,
    signed_posts: bool,
    now_ms: int,
    direct_key: str | None = None,
) -> Chat:
    await conn.execute(
        insert(chats).values(
            id=chat_id,
            kind=kind.value,
            title=title,
            description=description,
            is_public=is_public,
            signed_posts=signed_posts,
            slow_mode_s=0,
            member_count=0,
            last_seq=0,
            last_activity_ms=now_ms,
            direct_key=direct_key,
            created_at_ms=now_ms,
        )
    )
    return Chat(chat_id, kind, title, description, is_public, signed_posts, 0, 0, 0, now_ms, now_ms)


async def get_chat(conn: Conn, chat_id: int, *, for_update: bool = False) -> Chat | None:
    query = select(*_CHAT_COLUMNS).where(chats.c.id == chat_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _chat(row) if row else None


_CHAT_AND_MEMBER = (
    select(*_CHAT_COLUMNS, *_MEMBER_COLUMNS)
    .select_from(
        chats.outerjoin(
            chat_members,
            (chat_members.c.chat_id == chats.c.id)
            & (chat_members.c.user_id == bindparam("b_user_id")),
        )
    )
    .where(chats.c.id == bindparam("b_chat_id"))
)
_CHAT_AND_MEMBER_FOR_UPDATE = Prepared(_CHAT_AND_MEMBER.with_for_update(of=chats))
_CHAT_AND_MEMBER_READ = Prepared(_CHAT_AND_MEMBER)


async def get_chat_and_member(
    conn: Conn, chat_id: int, user_id: int, *, for_update: bool = False, cached: bool = False
) -> tuple[Chat, Member | None] | None:
    """The chat and the user's membership in it, in one round trip.

    `cached`: answer from the SQLite write connection's cache where there is one. The chat's
    counters (`last_seq`, `last_activity_ms`, `member_count`) and the member's `read_seq` may
    then be behind; everything else (kind, settings, role, last post) is exact. For checks
    of rights and settings only.
    """
    cache = conn.writer_cache if cached and not for_update else None
    if cache is not None and (found := cache.get(chat_id, user_id)) is not None:
        return found  # type: ignore[no-any-return]
    query = _CHAT_AND_MEMBER_FOR_UPDATE if for_update else _CHAT_AND_MEMBER_READ
    row = (await conn.execute(query, {"b_chat_id": chat_id, "b_user_id": user_id})).first()
    if row is None:
        return None
    found = _chat(row), (_member(row) if row.user_id is not None else None)
    if cache is not None:
        cache.put(chat_id, user_id, found)
    return found


def _changed(conn: Conn, chat_id: int, user_id: int | None = None) -> None:
    """Every change to `chats` or `chat_members` settles the writer cache here."""
    if conn.writer_cache is not None:
        conn.writer_cache.forget(chat_id, user_id)


async def get_chat_id_by_direct_key(conn: Conn, key: str) -> int | None:
    value = await conn.scalar(select(chats.c.id).where(chats.c.direct_key == key))
    return int(value) if value is not None else None


async def update_chat(conn: Conn, chat_id: int, **values: Any) -> None:
    _changed(conn, chat_id)
    await conn.execute(update(chats).where(chats.c.id == chat_id).values(**values))


_BUMP = (
    update(chats)
    .where(chats.c.id == bindparam("b_chat_id"))
    .values(last_seq=chats.c.last_seq + 1, last_activity_ms=bindparam("b_now_ms"))
    .returning(chats.c.last_seq)
)
_BUMP_WITH_MESSAGE = Prepared(_BUMP.values(last_message_id=bindparam("b_message_id")))
_BUMP_ONLY = Prepared(_BUMP)


async def bump_seq(
    conn: Conn, chat_id: int, now_ms: int, *, last_message_id: int | None = None
) -> int:
    """Next seq of the chat. The UPDATE's row lock makes seqs gap-free and commit-ordered.

    The writer cache may keep the chat's old counters (see `get_chat_and_member`)."""
    params = {"b_chat_id": chat_id, "b_now_ms": now_ms}
    if last_message_id is None:
        seq = await conn.scalar(_BUMP_ONLY, params)
    else:
        seq = await conn.scalar(_BUMP_WITH_MESSAGE, {**params, "b_message_id": last_message_id})
    assert seq is not None
    return int(seq)


async def add_member_count(conn: Conn, chat_id: int, delta: int) -> None:
    # A counter: the writer cache may keep the old one (see `get_chat_and_member`).
    await conn.execute(
        update(chats).where(chats.c.id == chat_id).values(member_count=chats.c.member_count + delta)
    )


async def list_public_channels(conn: Conn, prefix: str, limit: int) -> list[Chat]:
    query = select(*_CHAT_COLUMNS).where(
        chats.c.is_public.is_(True), chats.c.kind == ChatKind.CHANNEL.value
    )
    if prefix:
        query = query.where(func.lower(chats.c.title).startswith(prefix.lower(), autoescape=True))
    rows = await conn.execute(query.order_by(chats.c.member_count.desc(), chats.c.id).limit(limit))
    return [_chat(row) for row in rows]


async def list_user_chats(
    conn: Conn, user_id: int, limit: int, before: tuple[int, int] | None
) -> list[tuple[Chat, Member, int]]:
    """The user's chats by activity, newest first, each with its membership and unread count."""
    unread = (
        select(func.count())
        .select_from(messages)
        .where(
            messages.c.chat_id == chats.c.id,
            messages.c.seq > chat_members.c.read_seq,
            messages.c.sender_id != user_id,
            messages.c.deleted_at_ms.is_(None),
        )
        .scalar_subquery()
    )
    query = (
        select(*_CHAT_COLUMNS, *_MEMBER_COLUMNS, chats.c.last_message_id, unread.label("unread"))
        .select_from(chat_members.join(chats, chats.c.id == chat_members.c.chat_id))
        .where(chat_members.c.user_id == user_id)
    )
    if before is not None:
        query = query.where(tuple_(chats.c.last_activity_ms, chats.c.id) < tuple_(*before))
    query = query.order_by(chats.c.last_activity_ms.desc(), chats.c.id.desc()).limit(limit)
    return [(_chat(row), _member(row), row.unread) for row in await conn.execute(query)]


async def get_last_message_ids(conn: Conn, chat_ids: list[int]) -> dict[int, int]:
    rows = await conn.execute(
        select(chats.c.id, chats.c.last_message_id).where(
            chats.c.id.in_(chat_ids), chats.c.last_message_id.is_not(None)
        )
    )
    return {row.id: row.last_message_id for row in rows}


async def list_user_chat_seqs(conn: Conn, user_id: int) -> dict[int, int]:
    """chat_id → last_seq for every chat the user belongs to."""
    rows = await conn.execute(
        select(chats.c.id, chats.c.last_seq)
        .select_from(chat_members.join(chats, chats.c.id == chat_members.c.chat_id))
        .where(chat_members.c.user_id == user_id)
    )
    return {row.id: row.last_seq for row in rows}


async def list_user_chat_roles(conn: Conn, user_id: int) -> dict[int, tuple[ChatKind, Role]]:
    """chat_id → (kind, the user's role) for every chat the user belongs to."""
    rows = await conn.execute(
        select(chats.c.id, chats.c.kind, chat_members.c.role)
        .select_from(chat_members.join(chats, chats.c.id == chat_members.c.chat_id))
        .where(chat_members.c.user_id == user_id)
    )
    return {row.id: (ChatKind(row.kind), Role(row.role)) for row in rows}


async def insert_member(
    conn: Conn, *, chat_id: int, user_id: int, role: Role, now_ms: int, read_seq: int
) -> Member:
    _changed(conn, chat_id, user_id)
    await conn.execute(
        insert(chat_members).values(
            chat_id=chat_id,
            user_id=user_id,
            role=int(role),
            joined_at_ms=now_ms,
            read_seq=read_seq,
            last_post_ms=0,
        )
    )
    await add_member_count(conn, chat_id, 1)
    return Member(chat_id, user_id, role, now_ms, read_seq, 0)


async def get_member(conn: Conn, chat_id: int, user_id: int) -> Member | None:
    row = (
        await conn.execute(
            select(*_MEMBER_COLUMNS).where(
                chat_members.c.chat_id == chat_id, chat_members.c.user_id == user_id
            )
        )
    ).first()
    return _member(row) if row else None


async def get_members(
    conn: Conn, chat_id: int, after_user_id: int | None, limit: int
) -> list[tuple[Member, str, str]]:
    query = (
        select(*_MEMBER_COLUMNS, users.c.username, users.c.display_name)
        .select_from(chat_members.join(users, users.c.id == chat_members.c.user_id))
        .where(chat_members.c.chat_id == chat_id)
    )
    if after_user_id is not None:
        query = query.where(chat_members.c.user_id > after_user_id)
    rows = await conn.execute(query.order_by(chat_members.c.user_id).limit(limit))
    return [(_member(row), row.username, row.display_name) for row in rows]


async def get_member_ids_with_role(conn: Conn, chat_id: int, min_role: Role) -> list[int]:
    rows = await conn.execute(
        select(chat_members.c.user_id).where(
            chat_members.c.chat_id == chat_id, chat_members.c.role >= int(min_role)
        )
    )
    return [row.user_id for row in rows]


async def get_other_direct_members(conn: Conn, chat_ids: list[int], user_id: int) -> dict[int, int]:
    """For each of the direct chats `chat_ids`, its member other than `user_id` (one query)."""
    if not chat_ids:
        return {}
    rows = await conn.execute(
        select(chat_members.c.chat_id, chat_members.c.user_id).where(
            chat_members.c.chat_id.in_(chat_ids), chat_members.c.user_id != user_id
        )
    )
    return {int(row.chat_id): int(row.user_id) for row in rows}


async def get_peer_read_seqs(conn: Conn, chat_ids: list[int], user_id: int) -> dict[int, int]:
    """For each chat of `chat_ids`, how far its members other than `user_id` have read (the
    furthest of them)."""
    if not chat_ids:
        return {}
    rows = await conn.execute(
        select(chat_members.c.chat_id, func.max(chat_members.c.read_seq).label("read_seq"))
        .where(chat_members.c.chat_id.in_(chat_ids), chat_members.c.user_id != user_id)
        .group_by(chat_members.c.chat_id)
    )
    return {int(row.chat_id): int(row.read_seq) for row in rows}


async def update_member(conn: Conn, chat_id: int, user_id: int, **values: Any) -> None:
    _changed(conn, chat_id, user_id)
    await conn.execute(
        update(chat_members)
        .where(chat_members.c.chat_id == chat_id, chat_members.c.user_id == user_id)
        .values(**values)
    )


async def advance_read_seq(conn: Conn, chat_id: int, user_id: int, seq: int) -> bool:
    """Move the read marker forward only; False if it was already at or past `seq`.

    A counter: the writer cache may keep the old marker (see `get_chat_and_member`)."""
    result = await conn.execute(
        update(chat_members)
        .where(
            and_(
                chat_members.c.chat_id == chat_id,
                chat_members.c.user_id == user_id,
                chat_members.c.read_seq < seq,
            )
        )
        .values(read_seq=seq)
    )
    return bool(result.rowcount)


async def delete_member(conn: Conn, chat_id: int, user_id: int) -> bool:
    _changed(conn, chat_id, user_id)
    result = await conn.execute(
        delete(chat_members).where(
            chat_members.c.chat_id == chat_id, chat_members.c.user_id == user_id
        )
    )
    if result.rowcount:
        await add_member_count(conn, chat_id, -1)
    return bool(result.rowcount)


async def insert_ban(conn: Conn, chat_id: int, user_id: int, by_user_id: int, now_ms: int) -> None:
    """Ban from rejoining by oneself; an existing ban is kept as it was."""
    if not await is_banned(conn, chat_id, user_id):
        await conn.execute(
            insert(chat_bans).values(
                chat_id=chat_id, user_id=user_id, by_user_id=by_user_id, created_at_ms=now_ms
            )
        )


async def is_banned(conn: Conn, chat_id: int, user_id: int) -> bool:
    found = await conn.scalar(
        select(chat_bans.c.user_id).where(
            chat_bans.c.chat_id == chat_id, chat_bans.c.user_id == user_id
        )
    )
    return found is not None


async def delete_ban(conn: Conn, chat_id: int, user_id: int) -> bool:
    result = await conn.execute(
        delete(chat_bans).where(chat_bans.c.chat_id == chat_id, chat_bans.c.user_id == user_id)
    )
    return bool(result.rowcount)


async def get_bans(conn: Conn, chat_id: int) -> list[Any]:
    rows = await conn.execute(
        select(
            chat_bans.c.user_id, users.c.username, chat_bans.c.by_user_id, chat_bans.c.created_at_ms
        )
        .select_from(chat_bans.join(users, users.c.id == chat_bans.c.user_id))
        .where(chat_bans.c.chat_id == chat_id)
        .order_by(chat_bans.c.created_at_ms, chat_bans.c.user_id)
    )
    return list(rows)


async def joined_between(
    conn: Conn, chat_id: int, from_ms: int, to_ms: int, sample: int
) -> tuple[int, int]:
    """Of (at most `sample` of) the chat's members: how many there are and how many joined
    in [from_ms, to_ms]. Bounded: a big chat is judged on a sample of its members."""
    some = (
        select(chat_members.c.joined_at_ms)
        .where(chat_members.c.chat_id == chat_id)
        .limit(sample)
        .subquery()
    )
    joined = some.c.joined_at_ms
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(
                    func.sum(case((and_(joined >= from_ms, joined <= to_ms), 1), else_=0)), 0
                ),
            ).select_from(some)
        )
    ).one()
    return int(row[0]), int(row[1])
