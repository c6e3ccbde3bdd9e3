"""Removal orders (TCO Regulation 2021/784): register one and execute it at once.

Executing is one transaction: each item is preserved (actions/preservation.py) and then
purged as a delete for everyone (`expiry.purge_message`), whose `message.deleted` events
fan out on the bus to every node once it commits; media are served only while their message
is, so a removed file is refused on every node by the same commit. The received → executed
time is recorded on the order, with the confirmation record of Art. 3(6).
"""

from __future__ import annotations

from typing import Any

from colletta.actions import expiry
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.preservation import (
    check_operator_or_hidden,
    do_preserve_media,
    do_preserve_message,
)
from colletta.domain.messages import Message
from colletta.domain.orders import (
    ItemKind,
    ItemOutcome,
    ItemResult,
    OrderItem,
    RemovalOrder,
    check_order,
)
from colletta.errors import NotFound
from colletta.ids import new_id
from colletta.store import chats as chat_store
from colletta.store import media as media_store
from colletta.store import messages as message_store
from colletta.store import orders as store
from colletta.store.db import Tx

PRESERVED_FOR_ORDER = "order"


def _no_such_order() -> NotFound:
    return NotFound("no such removal order")


async def do_register_order(
    ctx: Context,
    caller: Caller,
    *,
    authority: str,
    reference: str,
    reasons: str,
    items: list[str],
    received_at_ms: int,
    notify: bool = True,
) -> RemovalOrder:
    """Register a removal order and execute it before answering (operator only)."""
    check_operator_or_hidden(caller)
    now_ms = ctx.clock.now_ms()
    request = check_order(
        authority=authority,
        reference=reference,
        reasons=reasons,
        items=items,
        received_at_ms=received_at_ms,
        now_ms=now_ms,
        notify=notify,
    )
    order_id = new_id()
    async with ctx.db.write() as tx:
        results = tuple([await _remove(ctx, tx, item, order_id) for item in request.items])
        executed_at_ms = ctx.clock.now_ms()
        order = RemovalOrder(
            id=order_id,
            authority=request.authority,
            reference=request.reference,
            reasons=request.reasons,
            items=request.items,
            received_at_ms=request.received_at_ms,
            registered_at_ms=now_ms,
            registered_by=caller.user_id,
            notify=request.notify,
            executed_at_ms=executed_at_ms,
            case_id=None,
            results=results,
        )
        await store.insert_order(tx.conn, order)
    # The removed bytes leave the SQLite WAL too.
    await ctx.db.checkpoint()
    return order


async def _remove(ctx: Context, tx: Tx, item: OrderItem, order_id: int) -> ItemResult:
    if item.kind is ItemKind.MESSAGE:
        message = await message_store.find_message(tx.conn, item.id)
        if message is None:
            return ItemResult(item, ItemOutcome.NOT_FOUND)
        return await _remove_message(ctx, tx, item, message, order_id)
    media = await media_store.find_media(tx.conn, item.id)
    if media is None:
        return ItemResult(item, ItemOutcome.NOT_FOUND)
    if media.message_id is not None:
        # A file goes with the post that carries it: the post is what people see.
        carrier = await message_store.get_message(tx.conn, media.chat_id, media.message_id)
        if carrier is not None:
            return await _remove_message(ctx, tx, item, carrier, order_id)
    await do_preserve_media(ctx, tx, media, reason=PRESERVED_FOR_ORDER, order_id=order_id)
    return ItemResult(
        item,
        ItemOutcome.REMOVED,
        chat_id=media.chat_id,
        uploader_id=media.uploader_id,
        removed_at_ms=ctx.clock.now_ms(),
    )


async def _remove_message(
    ctx: Context, tx: Tx, item: OrderItem, message: Message, order_id: int
) -> ItemResult:
    chat = await chat_store.get_chat(tx.conn, message.chat_id)
    if message.deleted or chat is None:
        return ItemResult(
            item,
            ItemOutcome.ALREADY_GONE,
            chat_id=message.chat_id,
            message_id=message.id,
            uploader_id=message.sender_id,
        )
    await do_preserve_message(
        ctx, tx, chat.id, message.id, reason=PRESERVED_FOR_ORDER, order_id=order_id
    )
    await expiry.purge_message(ctx, tx, chat, message)
    return ItemResult(
        item,
        ItemOutcome.REMOVED,
        chat_id=chat.id,
        message_id=message.id,
        uploader_id=message.sender_id,
        removed_at_ms=ctx.clock.now_ms(),
    )


async def access_orders(
    ctx: Context, caller: Caller, *, from_ms: int | None = None, to_ms: int | None = None
) -> list[dict[str, Any]]:
    check_operator_or_hidden(caller)
    async with ctx.db.read() as conn:
        orders = await store.get_orders(conn, from_ms=from_ms, to_ms=to_ms)
    return [order.view() for order in orders]


async def access_order(ctx: Context, caller: Caller, order_id: int) -> RemovalOrder:
    check_operator_or_hidden(caller)
    async with ctx.db.read() as conn:
        order = await store.get_order(conn, order_id)
    if order is None:
        raise _no_such_order()
    return order
