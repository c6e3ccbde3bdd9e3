"""Media: upload to a chat, and download by members of the chat that may see it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from colletta.actions import expiry, media_match
from colletta.actions.callers import Caller
from colletta.actions.chats import hidden_chat, load_chat_access
from colletta.actions.context import Context
from colletta.domain.chats import can_post, refuse_post
from colletta.domain.media import UNATTACHED_TTL_MS, Expiry, ExpiryKind, Media, check_filename
from colletta.domain.messages import Message
from colletta.errors import (
    Forbidden,
    Gone,
    InvalidInput,
    MediaTooLarge,
    NotFound,
    QuotaExceeded,
)
from colletta.ids import new_id
from colletta.media.images import check_pixels
from colletta.media.probe import HEAD_BYTES, probe
from colletta.store import media as store
from colletta.store import messages as message_store
from colletta.store.db import Conn

# A view-once file being read when its purge comes due would be shredded under the reader:
# its purge waits this long after the first open, or until that download ends.
VIEW_ONCE_GRACE_MS = 10 * 60 * 1000


def _store_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]


def _no_such_media() -> NotFound:
    return NotFound("no such media")


def _opened() -> Gone:
    return Gone("this view-once media was already opened")


def _over_quota(quota_bytes: int, used_bytes: int) -> QuotaExceeded:
    return QuotaExceeded(
        f"your files use {used_bytes} of your {quota_bytes} bytes and this one does not fit; "
        "space comes back as your files expire or are deleted",
        quota_bytes=quota_bytes,
        used_bytes=used_bytes,
    )


async def do_upload_media(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    chunks: AsyncIterable[bytes],
    filename: str | None,
) -> dict[str, Any]:
    """Store an upload for a later message of this chat; images are cleaned and measured.

    Until a message carries it only the uploader sees it, and after a day it is purged.
    Uploads count against the uploader's quota until their rows are purged.
    """
    name = check_filename(filename)
    settings = ctx.settings
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=False, for_update=False)
        used_bytes = await store.get_bytes_stored(conn, caller.user_id)
    if access.member is None:
        raise hidden_chat()
    if not can_post(access.chat, access.member.role):
        raise Forbidden(refuse_post(access.chat))
    await ctx.limiter.hit(settings.media_upload_rate, "media-upload", str(caller.user_id))
    quota_bytes = settings.media_quota_bytes_per_user
    if used_bytes >= quota_bytes:
        raise _over_quota(quota_bytes, used_bytes)
    # The stream stops as soon as it passes what is left of the quota.
    max_bytes = min(settings.media_max_bytes, quota_bytes - used_bytes)
    key = _store_key()
    try:
        blob = await ctx.media.put(
            key, chunks, max_bytes=max_bytes, md5=media_match.scanned(access.chat)
        )
    except MediaTooLarge:
        if max_bytes < settings.media_max_bytes:
            raise _over_quota(quota_bytes, used_bytes) from None
        raise
    stored = [key]
    try:
        if blob.size_bytes == 0:
            raise InvalidInput("the file is empty")
        head = b"".join([c async for c in await ctx.media.open_range(key, 0, HEAD_BYTES - 1)])
        probed = probe(head)
        width = height = None
        thumbnail_key = thumbnail_mime = None
        mime, size_bytes, sha256 = probed.mime, blob.size_bytes, blob.sha256
        if probed.kind == "image":
            check_pixels(head, settings.media_max_pixels)
            # Pillow reads the stored file as it decodes; only the pixels (≤ media_max_pixels)
            # and the re-encoded image are held in memory, in a pool of bounded size.
            source = await ctx.media.open_file(key)
            try:
                image = await ctx.images.process(source)
            finally:
                source.close()
            signals = await media_match.scan_upload(
                ctx, access.chat, caller, name, blob, image.data
            )
            cleaned_key, thumbnail_key = _store_key(), _store_key()
            cleaned = await ctx.media.put_bytes(cleaned_key, image.data)
            stored.append(cleaned_key)
            await ctx.media.put_bytes(thumbnail_key, image.thumbnail)
            stored.append(thumbnail_key)
            await ctx.media.delete(key)  # the original still holds EXIF and GPS
            stored.remove(key)
            key, mime, size_bytes, sha256 = (
                cleaned_key,
                image.mime,
                cleaned.size_bytes,
                cleaned.sha256,
            )
            width, height, thumbnail_mime = image.width, image.height, image.thumbnail_mime
        else:
            signals = await media_match.scan_upload(ctx, access.chat, caller, name, blob, None)
        now_ms = ctx.clock.now_ms()
        item = Media(
            id=new_id(),
            chat_id=chat_id,
            uploader_id=caller.user_id,
            message_id=None,
            kind=probed.kind,
            mime=mime,
            filename=name,
            size_bytes=size_bytes,
            sha256=sha256,
            width=width,
            height=height,
            store_key=key,
            thumbnail_key=thumbnail_key,
            thumbnail_mime=thumbnail_mime,
            created_at_ms=now_ms,
        )
        async with ctx.db.write() as tx:
            # Again, under the user's row lock: uploads that ran side by side are counted.
            used_bytes = await store.get_bytes_stored(tx.conn, caller.user_id, for_update=True)
            if used_bytes + size_bytes > quota_bytes:
                raise _over_quota(quota_bytes, used_bytes)
            await store.insert_media(tx.conn, item)
            if signals is not None:
                await media_match.save_hashes(tx.conn, item.id, signals)
            due = Expiry(ExpiryKind.MEDIA, item.id, chat_id, now_ms + UNATTACHED_TTL_MS)
            await expiry.schedule(ctx, tx, due)
    except BaseException:
        for leftover in stored:
            await ctx.media.delete(leftover)
        raise
    return item.view()


@dataclass(frozen=True, slots=True)
class MediaFile:
    """What a download serves: the row, which stored file, its type, and its size."""

    media: Media
    key: str
    mime: str
    size_bytes: int
    view_once: bool


async def access_media_file(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    media_id: int,
    *,
    thumbnail: bool,
    receipt: bool = False,
) -> MediaFile:
    """The file, if the caller may see it now: a member (or reader of a public channel), the
    message not deleted or expired for them; an upload no message carries only to its uploader,
    or, as a spending proposal's `receipt`, to the chat's members.
    A view-once file opens once for each reader and never for its sender."""
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)
        item = await store.get_media(conn, chat_id, media_id)
        message = await _carrier(conn, item)
    if item is None:
        raise _no_such_media()
    now_ms = ctx.clock.now_ms()
    if message is None:
        shown = item.uploader_id == caller.user_id or (receipt and access.member is not None)
        if not shown or item.message_id is not None:
            raise _no_such_media()
    elif message.deleted or message.expired_for(caller.user_id, now_ms):
        if _opened_by(message, caller, access.member is not None):
            raise _opened()
        raise _no_such_media()
    if thumbnail:
        if item.thumbnail_key is None or item.thumbnail_mime is None:
            raise NotFound("this media has no thumbnail")
        if message is not None and message.view_once:
            raise Forbidden("view-once media has no thumbnail")
        size_bytes = await ctx.media.size(item.thumbnail_key)
        return MediaFile(item, item.thumbnail_key, item.thumbnail_mime, size_bytes, False)
    view_once = message is not None and message.view_once
    if view_once:
        assert message is not None
        if message.sender_id == caller.user_id:
            raise Forbidden("view-once media is for its recipients")
        if access.member is None:
            raise hidden_chat()
    return MediaFile(item, item.store_key, item.mime, item.size_bytes, view_once)


def _opened_by(message: Message, caller: Caller, is_member: bool) -> bool:
    """Whether this is a recipient's second open of a view-once message (410, like a used-up
    invite), rather than media that never existed for them (404)."""
    return (
        message.view_once
        and is_member
        and message.sender_id != caller.user_id
        and message.read_expires_at_ms is not None
    )


async def _carrier(conn: Conn, item: Media | None) -> Message | None:
    if item is None or item.message_id is None:
        return None
    return await message_store.get_message(conn, item.chat_id, item.message_id)


async def do_open_view_once(ctx: Context, caller: Caller, file: MediaFile) -> None:
    """The first open of a view-once message by its reader: gone for them from now on.

    Raises Gone if another open won the race. The purge waits for the download to end
    (`do_finish_view_once`) or for `VIEW_ONCE_GRACE_MS`.
    """
    assert file.media.message_id is not None
    now_ms = ctx.clock.now_ms()
    async with ctx.db.write() as tx:
        opened = await message_store.mark_read_expiry(
            tx.conn, file.media.chat_id, file.media.message_id, now_ms, only_if_unset=True
        )
        if not opened:
            raise _opened()
        due = Expiry(
            ExpiryKind.MESSAGE,
            file.media.message_id,
            file.media.chat_id,
            now_ms + VIEW_ONCE_GRACE_MS,
        )
        await expiry.schedule(ctx, tx, due)


async def do_finish_view_once(ctx: Context, file: MediaFile) -> None:
    """The view-once download ended: purge the message and its files now."""
    assert file.media.message_id is not None
    async with ctx.db.write() as tx:
        due = Expiry(
            ExpiryKind.MESSAGE, file.media.message_id, file.media.chat_id, ctx.clock.now_ms()
        )
        await expiry.schedule(ctx, tx, due)


async def read_media(
    ctx: Context, file: MediaFile, start: int, end: int | None
) -> AsyncIterator[bytes]:
    """The bytes of `file` from `start` to `end` (inclusive; None: to the end)."""
    return await ctx.media.open_range(file.key, start, end)
