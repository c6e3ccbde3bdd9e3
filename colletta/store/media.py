"""Media rows: what was uploaded to a chat, where its bytes are, which message carries it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from colletta.domain.media import Media
from colletta.store.db import Conn
from colletta.store.schema import media, users

_COLUMNS = (
    media.c.id,
    media.c.chat_id,
    media.c.uploader_id,
    media.c.message_id,
    media.c.kind,
    media.c.mime,
    media.c.filename,
    media.c.size_bytes,
    media.c.sha256,
    media.c.width,
    media.c.height,
    media.c.store_key,
    media.c.thumbnail_key,
    media.c.thumbnail_mime,
    media.c.created_at_ms,
)


def _media(row: Any) -> Media:
    return Media(**{column.name: getattr(row, column.name) for column in _COLUMNS})


async def insert_media(conn: Conn, item: Media) -> None:
    await conn.execute(
        insert(media).values({column.name: getattr(item, column.name) for column in _COLUMNS})
    )


async def get_media(conn: Conn, chat_id: int, media_id: int) -> Media | None:
    row = (
        await conn.execute(
            select(*_COLUMNS).where(media.c.chat_id == chat_id, media.c.id == media_id)
        )
    ).first()
    return _media(row) if row else None


async def find_media(conn: Conn, media_id: int) -> Media | None:
    """A media row by its id alone, whatever its chat (removal orders name media so)."""
    row = (await conn.execute(select(*_COLUMNS).where(media.c.id == media_id))).first()
    return _media(row) if row else None


async def get_media_by_ids(conn: Conn, chat_id: int, media_ids: list[int]) -> list[Media]:
    rows = await conn.execute(
        select(*_COLUMNS).where(media.c.chat_id == chat_id, media.c.id.in_(media_ids))
    )
    return [_media(row) for row in rows]


async def get_message_media(conn: Conn, chat_id: int, message_id: int) -> list[Media]:
    rows = await conn.execute(
        select(*_COLUMNS).where(media.c.chat_id == chat_id, media.c.message_id == message_id)
    )
    return [_media(row) for row in rows]


async def get_file_keys(conn: Conn, media_ids: list[int]) -> list[str]:
    """The store keys of these media's files (file and thumbnail), in one query."""
    if not media_ids:
        return []
    rows = await conn.execute(
        select(media.c.store_key, media.c.thumbnail_key).where(media.c.id.in_(media_ids))
    )
    return [key for row in rows for key in row if key is not None]


async def attach_media(conn: Conn, media_ids: list[int], message_id: int) -> int:
    """Give unattached media to a message; returns how many were still unattached."""
    result = await conn.execute(
        update(media)
        .where(media.c.id.in_(media_ids), media.c.message_id.is_(None))
        .values(message_id=message_id)
    )
    return int(result.rowcount)


async def delete_media(conn: Conn, media_ids: list[int]) -> None:
    await conn.execute(delete(media).where(media.c.id.in_(media_ids)))


async def get_bytes_stored(conn: Conn, uploader_id: int, *, for_update: bool = False) -> int:
    """The bytes of every file this user uploaded that is still stored (thumbnails aside).

    `for_update` first locks the user's row (PostgreSQL), so that two uploads of one user
    check the quota one after the other; SQLite's single writer does that already."""
    if for_update:
        await conn.execute(select(users.c.id).where(users.c.id == uploader_id).with_for_update())
    total = await conn.scalar(
        select(func.coalesce(func.sum(media.c.size_bytes), 0)).where(
            media.c.uploader_id == uploader_id
        )
    )
    return int(total or 0)
