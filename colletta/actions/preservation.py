"""Preservation (TCO Art. 6): removed content and its metadata kept for the authorities.

A preserved message's text and metadata are copied into `preserved_items` at once; its files
stay where they are while the message is live and move into the hold store (`ctx.hold`) when
anything purges it (`expiry.purge_message` asks `Context.preservation.is_held`). Nothing
serves the hold store or the copies. At `until_ms` the expiry worker shreds the held files
and deletes the copy (an `expiries` row of kind PRESERVED); the operator may extend it.

`do_preserve_message` and `do_preserve_media` are what other trust & safety paths call (a
removal order, a hash match), inside their own transaction.
"""

from __future__ import annotations

from typing import Any

from colletta.actions import expiry
from colletta.actions.audit import audit
from colletta.actions.callers import Caller, check_operator_or_hidden
from colletta.actions.context import Context
from colletta.domain.media import Expiry, ExpiryKind, Media
from colletta.domain.orders import Preserved, PreservedKind, check_extension
from colletta.errors import NotFound
from colletta.ids import new_id
from colletta.store import chats as chat_store
from colletta.store import expiries as expiry_store
from colletta.store import media as media_store
from colletta.store import messages as message_store
from colletta.store import preserved as store
from colletta.store.db import Tx

# The audit log's name for a preserved copy.
AUDIT_SUBJECT = "preserved"


def _media_record(item: Media) -> dict[str, Any]:
    return {
        **item.view(),
        "uploader_id": str(item.uploader_id),
        "created_at_ms": item.created_at_ms,
    }


async def _keep(ctx: Context, tx: Tx, item: Preserved) -> Preserved:
    await store.insert_preserved(tx.conn, item)
    await audit(
        ctx,
        tx,
        actor_id=None,
        action="content.preserved",
        subject=AUDIT_SUBJECT,
        subject_id=item.id,
        data={
            "kind": item.kind.value,
            "chat_id": str(item.chat_id),
            "message_id": None if item.message_id is None else str(item.message_id),
            "media_id": None if item.media_id is None else str(item.media_id),
            "reason": item.reason,
            "until_ms": item.until_ms,
        },
    )
    await expiry.schedule(
        ctx, tx, Expiry(ExpiryKind.PRESERVED, item.id, item.chat_id, item.until_ms)
    )
    return item


async def _extend_to(ctx: Context, tx: Tx, item: Preserved, until_ms: int) -> Preserved:
    if until_ms <= item.until_ms:
        return item
    await store.set_until(tx.conn, item.id, until_ms)
    await expiry.schedule(ctx, tx, Expiry(ExpiryKind.PRESERVED, item.id, item.chat_id, until_ms))
    return Preserved(**{**_fields(item), "until_ms": until_ms})


def _fields(item: Preserved) -> dict[str, Any]:
    return {name: getattr(item, name) for name in Preserved.__slots__}


async def do_preserve_message(
    ctx: Context,
    tx: Tx,
    chat_id: int,
    message_id: int,
    *,
    reason: str,
    order_id: int | None = None,
    case_id: int | None = None,
) -> Preserved | None:
    """Keep a message (text, metadata, files) for `preservation_period_s`, inside `tx`; call
    it before the message is removed. None if the message is gone already. A message already
    preserved keeps its one copy, extended to the later end."""
    message = await message_store.get_message(tx.conn, chat_id, message_id)
    if message is None or message.deleted:
        return None
    now_ms = ctx.clock.now_ms()
    until_ms = now_ms + ctx.settings.preservation_period_s * 1000
    for existing in await store.get_message_preservations(tx.conn, chat_id, message_id):
        return await _extend_to(ctx, tx, existing, until_ms)
    chat = await chat_store.get_chat(tx.conn, chat_id)
    files = await media_store.get_message_media(tx.conn, chat_id, message_id)
    data = {
        "message": {**message.view(show_sender=True), "sender_id": str(message.sender_id)},
        "chat": None
        if chat is None
        else {"id": str(chat.id), "kind": chat.kind.value, "title": chat.title},
        "media": [_media_record(item) for item in files],
    }
    return await _keep(
        ctx,
        tx,
        Preserved(
            id=new_id(),
            kind=PreservedKind.MESSAGE,
            chat_id=chat_id,
            message_id=message_id,
            media_id=None,
            reason=reason,
            order_id=order_id,
            case_id=case_id,
            preserved_at_ms=now_ms,
            until_ms=until_ms,
            data=data,
            file_keys=tuple(key for item in files for key in item.file_keys),
        ),
    )


async def do_preserve_media(
    ctx: Context,
    tx: Tx,
    item: Media,
    *,
    reason: str,
    order_id: int | None = None,
    case_id: int | None = None,
) -> Preserved:
    """Preserve an upload no message carries and take it away from its uploader, inside `tx`:
    its files move into the hold store and its row is deleted. (A file a message carries is
    preserved with its message: `do_preserve_message`.)"""
    for key in item.file_keys:
        await ctx.media.move_to(key, ctx.hold)
    await expiry_store.unschedule(tx.conn, ExpiryKind.MEDIA, item.id)
    await media_store.delete_media(tx.conn, [item.id])
    return await do_preserve_held_files(
        ctx,
        tx,
        chat_id=item.chat_id,
        media_id=item.id,
        file_keys=tuple(item.file_keys),
        data={"media": _media_record(item)},
        reason=reason,
        order_id=order_id,
        case_id=case_id,
    )


async def do_preserve_held_files(
    ctx: Context,
    tx: Tx,
    *,
    chat_id: int,
    media_id: int,
    file_keys: tuple[str, ...],
    data: dict[str, Any],
    reason: str,
    order_id: int | None = None,
    case_id: int | None = None,
) -> Preserved:
    """Record files already in the hold store (a hash match moved them there before any row
    was written), so they are kept for the period, listed for the operator and then shredded."""
    now_ms = ctx.clock.now_ms()
    return await _keep(
        ctx,
        tx,
        Preserved(
            id=new_id(),
            kind=PreservedKind.MEDIA,
            chat_id=chat_id,
            message_id=None,
            media_id=media_id,
            reason=reason,
            order_id=order_id,
            case_id=case_id,
            preserved_at_ms=now_ms,
            until_ms=now_ms + ctx.settings.preservation_period_s * 1000,
            data=data,
            file_keys=file_keys,
        ),
    )


async def access_preserved(
    ctx: Context, caller: Caller, *, order_id: int | None = None
) -> list[dict[str, Any]]:
    """The operator's list of what is preserved (metadata only, never the content)."""
    check_operator_or_hidden(caller)
    async with ctx.db.read() as conn:
        items = await store.get_preserved_list(conn, order_id=order_id)
    return [item.view() for item in items]


async def do_extend_preservation(
    ctx: Context, caller: Caller, preserved_id: int, until_ms: int
) -> Preserved:
    """Keep a preserved item until `until_ms` (later than now and than its current end): an
    authority asked for longer (Art. 6(2)). The operator's."""
    check_operator_or_hidden(caller)
    async with ctx.db.write() as tx:
        item = await store.get_preserved(tx.conn, preserved_id, for_update=True)
        if item is None:
            raise NotFound("no such preserved item")
        check_extension(until_ms, item.until_ms, ctx.clock.now_ms())
        await audit(
            ctx,
            tx,
            actor_id=caller.user_id,
            action="preservation.extended",
            subject=AUDIT_SUBJECT,
            subject_id=item.id,
            data={"from_ms": item.until_ms, "until_ms": until_ms},
        )
        return await _extend_to(ctx, tx, item, until_ms)
