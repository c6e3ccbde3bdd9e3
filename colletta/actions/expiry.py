"""Expiry: scheduling purges, and purging what is due (DESIGN.md §3 step 7).

A message's content is purged in one transaction: body, entities, reactions, edits, pins and
every logged event payload, with `message.deleted` appended for every client. Its media rows
are then due at once as `media` items, whose files are shredded *before* the transaction that
deletes their rows: a node that dies in between leaves the rows due, and the next sweep
shreds again (idempotent) instead of leaving bytes nobody can find.

Reads never wait for the purge: `Message.expired_for` filters at read time.
"""

from __future__ import annotations

from colletta.actions import order_notices
from colletta.actions.audit import audit
from colletta.actions.context import Context
from colletta.domain import events
from colletta.domain.chats import Chat, shows_sender
from colletta.domain.media import Expiry, ExpiryKind
from colletta.domain.messages import Message, tombstone_view
from colletta.store import chats as chat_store
from colletta.store import events as event_store
from colletta.store import expiries as store
from colletta.store import media as media_store
from colletta.store import messages as message_store
from colletta.store import preserved as preserved_store
from colletta.store.db import Tx

SWEEP_BATCH = 200
# What has files to shred before its rows go.
FILE_KINDS = (ExpiryKind.MEDIA, ExpiryKind.PRESERVED)


async def schedule(ctx: Context, tx: Tx, expiry: Expiry) -> None:
    """Purge the item at `expiry.due_at_ms`; wakes the worker once `tx` has committed."""
    await store.schedule(tx.conn, expiry)

    async def wake() -> None:
        ctx.expiry_signal.scheduled(expiry.due_at_ms)

    tx.on_commit(wake)


async def schedule_message(ctx: Context, tx: Tx, message: Message) -> None:
    due_ms = message.purge_due_ms()
    if due_ms is not None and not message.deleted:
        await schedule(ctx, tx, Expiry(ExpiryKind.MESSAGE, message.id, message.chat_id, due_ms))


async def schedule_media_purge(ctx: Context, tx: Tx, chat_id: int, message_id: int) -> None:
    """Shred a purged message's files now (by the worker, outside this transaction)."""
    now_ms = ctx.clock.now_ms()
    for item in await media_store.get_message_media(tx.conn, chat_id, message_id):
        await schedule(ctx, tx, Expiry(ExpiryKind.MEDIA, item.id, chat_id, now_ms))


async def next_due_ms(ctx: Context) -> int | None:
    async with ctx.db.read() as conn:
        return await store.next_due_ms(conn)


async def purge_message(ctx: Context, tx: Tx, chat: Chat, message: Message) -> None:
    """Remove a message's content everywhere it is stored and tell every client. Inside `tx`.

    Files under a preservation hold are moved into the hold store first, whatever purges the
    message (a timer, view-once, or a delete for everyone)."""
    if await ctx.preservation.is_held(tx.conn, chat.id, message.id):
        for item in await media_store.get_message_media(tx.conn, chat.id, message.id):
            for key in item.file_keys:
                await ctx.media.move_to(key, ctx.hold)
    now_ms = ctx.clock.now_ms()
    await message_store.update_message(
        tx.conn,
        message.id,
        text=None,
        entities="[]",
        reactions="{}",
        attachments="[]",
        deleted_at_ms=now_ms,
    )
    await message_store.delete_edits(tx.conn, message.id)
    await message_store.delete_reactions(tx.conn, message.id)
    await message_store.set_pin(tx.conn, chat.id, message.id, 0, False, now_ms)
    tombstone = tombstone_view(message.view(show_sender=shows_sender(chat)))
    await event_store.redact_message_events(tx.conn, chat.id, message.id, tombstone)
    await store.unschedule(tx.conn, ExpiryKind.MESSAGE, message.id)
    await schedule_media_purge(ctx, tx, chat.id, message.id)
    await ctx.emit(
        tx, chat.id, events.MESSAGE_DELETED, {"message_id": str(message.id)}, message_id=message.id
    )


async def do_expire_due(ctx: Context) -> int:
    """Purge everything due by now, in batches; returns how many items were purged."""
    purged = 0
    while True:
        now_ms = ctx.clock.now_ms()
        async with ctx.db.read() as conn:
            due = await store.claim_due(conn, now_ms, SWEEP_BATCH)
            media_due = [e.item_id for e in due if e.kind is ExpiryKind.MEDIA]
            held_due = [e.item_id for e in due if e.kind is ExpiryKind.PRESERVED]
            files = await media_store.get_file_keys(conn, media_due)
            held_files = await preserved_store.get_file_keys(conn, held_due)
        if not due:
            break
        for key in files:
            await ctx.media.delete(key)
        for key in held_files:
            await ctx.hold.delete(key)
        shredded = {(ExpiryKind.MEDIA, i) for i in media_due}
        shredded |= {(ExpiryKind.PRESERVED, i) for i in held_due}
        done = 0
        async with ctx.db.write() as tx:
            # Claimed again under row locks (PostgreSQL): a node sweeping now skips these.
            for expiry in await store.claim_due(tx.conn, now_ms, SWEEP_BATCH):
                if expiry.kind in FILE_KINDS and (expiry.kind, expiry.item_id) not in shredded:
                    continue  # its files are shredded on the next pass
                await store.unschedule(tx.conn, expiry.kind, expiry.item_id)
                await _purge(ctx, tx, expiry)
                done += 1
        purged += done
        if done == 0:
            break  # what is left due is being swept by another node
    if purged:
        # The purged bytes may still sit in the WAL; copy it back and truncate it.
        await ctx.db.checkpoint()
    return purged


async def _purge(ctx: Context, tx: Tx, expiry: Expiry) -> None:
    if expiry.kind is ExpiryKind.MEDIA:
        # Its files were shredded before this transaction (media files never change).
        await media_store.delete_media(tx.conn, [expiry.item_id])
        return
    if expiry.kind is ExpiryKind.PRESERVED:
        # Its held files were shredded before this transaction too.
        await preserved_store.delete_preserved(tx.conn, [expiry.item_id])
        await audit(
            ctx,
            tx,
            actor_id=None,
            action="preservation.ended",
            subject="preserved",
            subject_id=expiry.item_id,
        )
        return
    if expiry.kind is ExpiryKind.ORDER_SECRECY:
        await order_notices.lapse_secrecy(ctx, tx, expiry.item_id)
        return
    message = await message_store.get_message(tx.conn, expiry.chat_id, expiry.item_id)
    chat = await chat_store.get_chat(tx.conn, expiry.chat_id)
    if message is None or message.deleted or chat is None:
        return
    await purge_message(ctx, tx, chat, message)
