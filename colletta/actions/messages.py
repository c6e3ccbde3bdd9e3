"""The path of a message (DESIGN.md §3): send, edit, delete, react, pin, read history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from colletta.actions import announcements, expiry, media_match
from colletta.actions.blocks import blocked_by, check_direct_send
from colletta.actions.callers import Caller
from colletta.actions.chats import ChatAccess, access_chat, hidden_chat, load_chat_access
from colletta.actions.context import Context
from colletta.actions.post_limits import (
    ChargeFirst,
    Spent,
    account_budgets,
    channel_budgets,
    refund_post_budgets,
    spend_post_budgets,
)
from colletta.domain import blocks, events
from colletta.domain.chats import (
    Chat,
    ChatKind,
    Member,
    can_delete_any_message,
    can_pin,
    can_post,
    can_see_edit_history,
    is_slow_mode_exempt,
    refuse_post,
    shows_sender,
)
from colletta.domain.media import ExpiryKind
from colletta.domain.messages import (
    EDIT_WINDOW_MS,
    HISTORY_PAGE_MAX,
    Message,
    check_attachments,
    check_client_txn_id,
    check_reaction,
    check_self_destruct,
    check_text,
    parse_entities,
)
from colletta.errors import ColettaError, Forbidden, InvalidInput, NotFound, RateLimited
from colletta.ids import new_id
from colletta.store import chats as chat_store
from colletta.store import expiries as expiry_store
from colletta.store import media as media_store
from colletta.store import messages as store
from colletta.store.db import Conn, Tx


@dataclass(frozen=True, slots=True)
class Sent:
    message: dict[str, Any]
    created: bool


def message_view(chat: Chat, message: Message) -> dict[str, Any]:
    return message.view(show_sender=shows_sender(chat))


def shown_to(chat: Chat, message: Message, viewer_id: int, now_ms: int) -> dict[str, Any]:
    """The message as `viewer_id` may see it now: a tombstone once expired for them, whether
    or not the purge has run yet."""
    return message.view_for(viewer_id, now_ms, show_sender=shows_sender(chat))


def _not_found() -> NotFound:
    return NotFound("no such message")


def _check_poster(chat: Chat, member: Member | None) -> Member:
    """The caller is a member allowed to post here."""
    if member is None:
        raise hidden_chat()
    if not can_post(chat, member.role):
        raise Forbidden(refuse_post(chat))
    return member


async def _check_post_allowed(
    ctx: Context, tx: Tx, caller: Caller, access: ChatAccess, *, charged: bool
) -> None:
    member = _check_poster(access.chat, access.member)
    if access.chat.kind is ChatKind.DIRECT:
        await check_direct_send(tx.conn, caller, access.chat.id)
    slow_mode_ms = access.chat.slow_mode_s * 1000
    if slow_mode_ms and not is_slow_mode_exempt(member.role):
        wait_ms = member.last_post_ms + slow_mode_ms - ctx.clock.now_ms()
        if wait_ms > 0:
            raise RateLimited("slow mode is on in this chat", retry_after_s=-(-wait_ms // 1000))
    # Last, and outside this transaction: the channel's budget, shared by every node.
    if not charged:
        budgets = channel_budgets(ctx, access.chat)
        if budgets:
            raise ChargeFirst(budgets)


async def _forward_origin(
    ctx: Context, tx: Tx, caller: Caller, forward: dict[str, int]
) -> tuple[str, dict[str, str | None]]:
    source = await load_chat_access(
        tx.conn, caller, forward["chat_id"], allow_public=True, for_update=False
    )
    original = await store.get_message(tx.conn, source.chat.id, forward["message_id"])
    if (
        original is None
        or original.deleted
        or original.text is None
        or original.expired_for(caller.user_id, ctx.clock.now_ms())
    ):
        raise _not_found()
    if original.expires_at_ms is not None or original.view_once or original.expires_after_read_s:
        raise Forbidden("messages with a timer cannot be forwarded")
    # A forward keeps the original origin, not the chat it was last forwarded from. A channel
    # that hides its posters is the origin of its posts: the admin who posted stays unnamed.
    origin = original.forward or {
        "chat_id": str(source.chat.id),
        "message_id": str(original.id),
        "sender_id": str(original.sender_id) if shows_sender(source.chat) else None,
    }
    return original.text, origin


async def do_send_message(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    text: str | None,
    client_txn_id: str,
    *,
    reply_to_id: int | None = None,
    forward: dict[str, int] | None = None,
    attachments: list[int] | None = None,
    self_destruct_s: int | None = None,
    view_once: bool = False,
) -> Sent:
    """Send once per (sender, chat, client_txn_id); a retry returns the first message."""
    ctx.flood.sends.hit(caller.user_id, "messages")
    check_client_txn_id(client_txn_id)
    extras = Extras(check_attachments(attachments or []), self_destruct_s, view_once)
    if self_destruct_s is not None:
        check_self_destruct(self_destruct_s)
    if view_once and not extras.attachments:
        raise InvalidInput("view_once needs an attachment", field="view_once")
    if forward is None:
        if text is None or (not text and extras.attachments):
            text = ""  # a file without a caption
            if not extras.attachments:
                raise InvalidInput("text is required", field="text")
        else:
            check_text(text)
    elif text is not None or extras.attachments:
        raise InvalidInput("a forward carries the original text only", field="text")
    if extras.attachments:
        await _match_attachments(ctx, caller, chat_id, extras.attachments)
    # A new account's daily cap needs only the caller: spent before any transaction.
    spent: Spent = []
    await spend_post_budgets(ctx, account_budgets(ctx, caller.user), spent)
    send = (ctx, caller, chat_id, text, client_txn_id, reply_to_id, forward, extras)
    try:
        sent = await _send_charged(ctx, caller, chat_id, client_txn_id, send, spent)
    except Exception:
        await refund_post_budgets(ctx, spent)  # only posts that land count
        raise
    if not sent.created:
        await refund_post_budgets(ctx, spent)
    return sent


async def _send_charged(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    client_txn_id: str,
    send: tuple[Any, ...],
    spent: Spent,
) -> Sent:
    """One send: a channel's budget is spent between two attempts (`ChargeFirst`); a post
    screening blocks is recorded as refused; a retry that raced in answers with the winner."""
    try:
        try:
            return await _send(*send, charged=False)
        except ChargeFirst as first:
            await spend_post_budgets(ctx, first.budgets, spent)
            return await _send(*send, charged=True)
    except announcements.Blocked as blocked:
        raise await announcements.refuse(ctx, caller, blocked) from None
    except IntegrityError:
        # The same client_txn_id raced in from another request: answer with the winner.
        async with ctx.db.read() as conn:
            existing = await store.get_message_by_txn(conn, chat_id, caller.user_id, client_txn_id)
            access = await load_chat_access(
                conn, caller, chat_id, allow_public=False, for_update=False
            )
        if existing is None:
            raise
        return Sent(message_view(access.chat, existing), created=False)


async def _match_attachments(
    ctx: Context, caller: Caller, chat_id: int, attachments: list[int]
) -> None:
    """Uploads are matched against the hash banks again before a message delivers them."""
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=False, for_update=False)
    await media_match.check_attachments(ctx, access.chat, caller.user_id, attachments)


@dataclass(frozen=True, slots=True)
class Extras:
    """What a send may carry beyond text: files and timers."""

    attachments: list[int]
    self_destruct_s: int | None
    view_once: bool


async def _attach(
    ctx: Context, tx: Tx, caller: Caller, chat_id: int, extras: Extras, message_id: int
) -> list[dict[str, Any]]:
    if not extras.attachments:
        return []
    uploads = await media_store.get_media_by_ids(tx.conn, chat_id, extras.attachments)
    mine = {m.id: m for m in uploads if m.uploader_id == caller.user_id and m.message_id is None}
    if len(mine) != len(extras.attachments):
        raise InvalidInput(
            "attachments must be your own uploads to this chat, not yet sent", field="attachments"
        )
    await media_store.attach_media(tx.conn, extras.attachments, message_id)
    for media_id in extras.attachments:
        await expiry_store.unschedule(tx.conn, ExpiryKind.MEDIA, media_id)
    return [mine[media_id].view() for media_id in extras.attachments]


def _timers(chat: Chat, extras: Extras, now_ms: int) -> tuple[int | None, int | None]:
    """(expires_at_ms, expires_after_read_s) of a new message."""
    timed = extras.self_destruct_s is not None or extras.view_once
    if timed and chat.kind is not ChatKind.DIRECT:
        raise InvalidInput(
            "self-destruct and view-once are for direct chats; use the chat's timer",
            field="self_destruct_s" if extras.self_destruct_s is not None else "view_once",
        )
    if extras.self_destruct_s is not None:
        return now_ms + extras.self_destruct_s * 1000, extras.self_destruct_s
    if chat.message_ttl_s is not None:
        return now_ms + chat.message_ttl_s * 1000, None
    return None, None


async def _send(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    text: str | None,
    client_txn_id: str,
    reply_to_id: int | None,
    forward: dict[str, int] | None,
    extras: Extras,
    *,
    charged: bool,
) -> Sent:
    async with ctx.db.write() as tx:
        # Posting checks rights and settings only, so the writer cache may answer.
        access = await load_chat_access(
            tx.conn, caller, chat_id, allow_public=False, for_update=False, cached=True
        )
        # A retry is found by the unique (chat, sender, client_txn_id) when the insert below
        # fails (see do_send_message), so a first send reads nothing extra. Only a retry that
        # a check now refuses (slow mode, a role, its attachments already sent) looks it up.
        try:
            await _check_post_allowed(ctx, tx, caller, access, charged=charged)
            if (
                reply_to_id is not None
                and await store.get_message(tx.conn, chat_id, reply_to_id) is None
            ):
                raise InvalidInput("reply_to_id is not a message of this chat", field="reply_to_id")
            origin = None
            if forward is not None:
                text, origin = await _forward_origin(ctx, tx, caller, forward)
            assert text is not None
            now_ms = ctx.clock.now_ms()
            message_id = new_id()
            expires_at_ms, expires_after_read_s = _timers(access.chat, extras, now_ms)
            attached = await _attach(ctx, tx, caller, chat_id, extras, message_id)
        except ColettaError:
            existing = await store.get_message_by_txn(
                tx.conn, chat_id, caller.user_id, client_txn_id
            )
            if existing is None:
                raise
            return Sent(message_view(access.chat, existing), created=False)
        # Posts about the chat's pots are screened like the pots (DESIGN.md §5).
        await announcements.screen_announcement(ctx, tx, caller, access, text)
        signature = (
            caller.user.display_name
            if access.chat.kind.value == "channel" and access.chat.signed_posts
            else None
        )
        # The message takes the seq of its own creation event; bumping first holds the row lock.
        seq = await chat_store.bump_seq(tx.conn, chat_id, now_ms, last_message_id=message_id)
        if not ctx.db.is_sqlite:
            await _recheck_poster(tx, access.chat, caller.user_id)
        message = Message(
            id=message_id,
            chat_id=chat_id,
            seq=seq,
            sender_id=caller.user_id,
            author_signature=signature,
            text=text,
            entities=parse_entities(text),
            reply_to_id=reply_to_id,
            forward=origin,
            reactions={},
            edited_at_ms=None,
            deleted=False,
            created_at_ms=now_ms,
            attachments=attached,
            expires_at_ms=expires_at_ms,
            expires_after_read_s=expires_after_read_s,
            view_once=extras.view_once,
        )
        view = message_view(access.chat, message)
        await ctx.emit(
            tx, chat_id, events.MESSAGE_CREATED, {"message": view}, message_id=message_id, seq=seq
        )
        await store.insert_message(tx.conn, message, client_txn_id)
        if expires_at_ms is not None:
            await expiry.schedule_message(ctx, tx, message)
        if access.chat.slow_mode_s:
            await chat_store.update_member(tx.conn, chat_id, caller.user_id, last_post_ms=now_ms)
    return Sent(view, created=True)


async def _recheck_poster(tx: Tx, chat: Chat, user_id: int) -> None:
    """PostgreSQL: the membership read before `bump_seq` may predate a removal (or demotion)
    that committed while this post waited for the chat's row lock. Removals and role changes
    take that lock too, so a fresh read under it is final: one indexed read, no extra lock.
    (SQLite has one writer: nothing commits between the read and the bump.)"""
    _check_poster(chat, await chat_store.get_member(tx.conn, chat.id, user_id))


async def _load_message(
    ctx: Context, tx: Tx, caller: Caller, chat_id: int, message_id: int
) -> tuple[ChatAccess, Message]:
    access = await load_chat_access(tx.conn, caller, chat_id, allow_public=False, for_update=False)
    message = await store.get_message(tx.conn, chat_id, message_id)
    if (
        message is None
        or message.deleted
        or message.expired_for(caller.user_id, ctx.clock.now_ms())
    ):
        raise _not_found()
    return access, message


async def do_edit_message(
    ctx: Context, caller: Caller, chat_id: int, message_id: int, text: str
) -> dict[str, Any]:
    check_text(text)
    try:
        return await _edit(ctx, caller, chat_id, message_id, text)
    except announcements.Blocked as blocked:
        raise await announcements.refuse(ctx, caller, blocked) from None


async def _edit(
    ctx: Context, caller: Caller, chat_id: int, message_id: int, text: str
) -> dict[str, Any]:
    async with ctx.db.write() as tx:
        access, message = await _load_message(ctx, tx, caller, chat_id, message_id)
        if message.sender_id != caller.user_id:
            raise Forbidden("only the sender can edit a message")
        now_ms = ctx.clock.now_ms()
        if now_ms - message.created_at_ms > EDIT_WINDOW_MS:
            raise Forbidden("messages can be edited for 48 hours")
        await announcements.screen_announcement(ctx, tx, caller, access, text)
        await store.insert_edit(
            tx.conn,
            edit_id=new_id(),
            chat_id=chat_id,
            message_id=message_id,
            text=message.text,
            now_ms=now_ms,
        )
        entities = parse_entities(text)
        await store.update_message(
            tx.conn,
            message_id,
            text=text,
            entities=orjson.dumps(entities).decode(),
            edited_at_ms=now_ms,
        )
        edited = replace(message, text=text, entities=entities, edited_at_ms=now_ms)
        view = message_view(access.chat, edited)
        await ctx.emit(tx, chat_id, events.MESSAGE_EDITED, {"message": view}, message_id=message_id)
    return view


async def do_delete_message(ctx: Context, caller: Caller, chat_id: int, message_id: int) -> None:
    """Delete for everyone: purged as an expired message is, before the answer (the body
    leaves the row, the edit history, the event log and, on SQLite, the WAL)."""
    async with ctx.db.write() as tx:
        access, message = await _load_message(ctx, tx, caller, chat_id, message_id)
        assert access.member is not None
        own = message.sender_id == caller.user_id
        if not own and not can_delete_any_message(access.chat, access.member.role):
            raise Forbidden("you can delete only your own messages here")
        await expiry.purge_message(ctx, tx, access.chat, message)
    await ctx.db.checkpoint()


async def do_set_reaction(
    ctx: Context, caller: Caller, chat_id: int, message_id: int, emoji: str, on: bool
) -> None:
    check_reaction(emoji)
    ctx.flood.reactions.hit(caller.user_id, "reactions")
    async with ctx.db.write() as tx:
        access, _ = await _load_message(ctx, tx, caller, chat_id, message_id)
        if access.member is None:
            raise hidden_chat()
        counts = await store.set_reaction(tx.conn, chat_id, message_id, caller.user_id, emoji, on)
        if counts is not None:
            await ctx.emit(
                tx,
                chat_id,
                events.MESSAGE_REACTIONS_CHANGED,
                {
                    "message_id": str(message_id),
                    "reactions": counts,
                    "user_id": str(caller.user_id),
                    "emoji": emoji,
                    "added": on,
                },
            )


async def do_set_pin(ctx: Context, caller: Caller, chat_id: int, message_id: int, on: bool) -> None:
    async with ctx.db.write() as tx:
        access, _ = await _load_message(ctx, tx, caller, chat_id, message_id)
        assert access.member is not None
        if not can_pin(access.chat, access.member.role):
            raise Forbidden("only admins pin messages here")
        if await store.set_pin(
            tx.conn, chat_id, message_id, caller.user_id, on, ctx.clock.now_ms()
        ):
            await ctx.emit(
                tx,
                chat_id,
                events.MESSAGE_PINNED if on else events.MESSAGE_UNPINNED,
                {"message_id": str(message_id), "by_user_id": str(caller.user_id)},
            )


async def access_pins(ctx: Context, caller: Caller, chat_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)
        pinned = await store.get_pinned(conn, chat_id)
        hidden = await _hidden_senders(conn, caller, access.chat, include_blocked=False)
    now_ms = ctx.clock.now_ms()
    return [
        blocks.shown(message_view(access.chat, m), hidden)
        for m in pinned
        if not m.expired_for(caller.user_id, now_ms)
    ]


async def access_history(
    ctx: Context,
    caller: Caller,
    chat_id: int,
    *,
    limit: int = 50,
    before_seq: int | None = None,
    after_seq: int | None = None,
    around_id: int | None = None,
    include_blocked: bool = False,
) -> dict[str, Any]:
    """A page of at most `limit` messages, oldest first, and whether more lie beyond it.
    Messages of users the caller blocked come as placeholders unless `include_blocked`."""
    if not 1 <= limit <= HISTORY_PAGE_MAX:
        raise InvalidInput(f"limit must be 1–{HISTORY_PAGE_MAX}", field="limit")
    if sum(x is not None for x in (before_seq, after_seq, around_id)) > 1:
        raise InvalidInput("give at most one of before_seq, after_seq, around_id")
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)
        if around_id is not None:
            anchor = await store.get_message(conn, chat_id, around_id)
            if anchor is None:
                raise _not_found()
            older = await store.get_history(
                conn, chat_id, before_seq=anchor.seq + 1, limit=limit // 2 + 1
            )
            newer = await store.get_history(
                conn, chat_id, after_seq=anchor.seq, limit=limit - len(older)
            )
            page, has_more = older + newer, True
        else:
            page = await store.get_history(
                conn, chat_id, before_seq=before_seq, after_seq=after_seq, limit=limit + 1
            )
            has_more = len(page) > limit
            if has_more:
                page = page[:limit] if after_seq is not None else page[1:]
        hidden = await _hidden_senders(conn, caller, access.chat, include_blocked)
    now_ms = ctx.clock.now_ms()
    shown = [blocks.shown(shown_to(access.chat, m, caller.user_id, now_ms), hidden) for m in page]
    return {"messages": shown, "has_more": has_more}


async def _hidden_senders(
    conn: Conn, caller: Caller, chat: Chat, include_blocked: bool
) -> frozenset[int]:
    """The senders whose messages the caller sees as placeholders in `chat`."""
    if include_blocked or not blocks.filters(chat.kind):
        return frozenset()
    return await blocked_by(conn, caller.user_id)


async def access_message(
    ctx: Context, caller: Caller, chat_id: int, message_id: int, *, include_blocked: bool = False
) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        access = await load_chat_access(conn, caller, chat_id, allow_public=True, for_update=False)
        message = await store.get_message(conn, chat_id, message_id)
        if message is None:
            raise _not_found()
        hidden = await _hidden_senders(conn, caller, access.chat, include_blocked)
    return blocks.shown(shown_to(access.chat, message, caller.user_id, ctx.clock.now_ms()), hidden)


async def access_edit_history(
    ctx: Context, caller: Caller, chat_id: int, message_id: int
) -> list[dict[str, Any]]:
    access = await access_chat(ctx, caller, chat_id, allow_public=False)
    assert access.member is not None
    if not can_see_edit_history(access.chat, access.member.role):
        raise Forbidden("only moderators see edit history")
    async with ctx.db.read() as conn:
        message = await store.get_message(conn, chat_id, message_id)
        if message is None or message.expired_for(caller.user_id, ctx.clock.now_ms()):
            raise _not_found()
        rows = await store.get_edits(conn, message_id)
    return [{"text": row.text, "edited_at_ms": row.edited_at_ms} for row in rows]
