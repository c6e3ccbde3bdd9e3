"""Removal orders (TCO Regulation 2021/784): register one and execute it at once.

Executing is one transaction: each item is preserved (actions/preservation.py) and then
purged as a delete for everyone (`expiry.purge_message`), whose `message.deleted` events
fan out on the bus to every node once it commits; media are served only while their message
is, so a removed file is refused on every node by the same commit. The received → executed
time is recorded on the order, with the confirmation record of Art. 3(6).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from colletta.actions import expiry
from colletta.actions.audit import audit
from colletta.actions.callers import Caller, check_moderator, check_operator_or_hidden
from colletta.actions.cases import open_case
from colletta.actions.context import Context
from colletta.actions.order_notices import tell_uploaders
from colletta.actions.preservation import do_preserve_media, do_preserve_message
from colletta.domain.cases import PRIORITY_ORDER, Case, CaseKind, Subject
from colletta.domain.media import Expiry, ExpiryKind
from colletta.domain.messages import Message
from colletta.domain.orders import (
    ItemKind,
    ItemOutcome,
    ItemResult,
    OrderItem,
    RemovalOrder,
    check_order,
    check_secrecy_extension,
)
from colletta.errors import Conflict, NotFound
from colletta.ids import new_id
from colletta.store import chats as chat_store
from colletta.store import media as media_store
from colletta.store import messages as message_store
from colletta.store import orders as store
from colletta.store.db import Tx

PRESERVED_FOR_ORDER = "order"
REMOVED = "removed"  # the decision of an ORDER case
RULE_ID = "order.tco"


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
    secret_for_s: int | None = None,
) -> RemovalOrder:
    """Register a removal order and execute it before answering (operator only): each item
    gets an ORDER case (opened and decided), is preserved and then removed for everyone; its
    uploader gets a notice and a statement of reasons, unless `notify` is False: then only
    once `secret_for_s` (default and at most six weeks) has passed. Audited."""
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
        secret_for_s=secret_for_s,
    )
    order = RemovalOrder(
        id=new_id(),
        authority=request.authority,
        reference=request.reference,
        reasons=request.reasons,
        items=request.items,
        received_at_ms=request.received_at_ms,
        registered_at_ms=now_ms,
        registered_by=caller.user_id,
        notify=request.notify,
        executed_at_ms=None,
    )
    async with ctx.db.write() as tx:
        existing = await store.find_order(tx.conn, order.authority, order.reference)
        if existing is not None:
            raise Conflict(
                f"order {order.reference} of {order.authority} is already registered "
                f"(id {existing.id}); `colletta order show {existing.id}` has its record",
                order_id=str(existing.id),
            )
        await audit(
            ctx,
            tx,
            actor_id=caller.user_id,
            action="order.registered",
            subject=Subject.ORDER.value,
            subject_id=order.id,
            data={
                "authority": order.authority,
                "reference": order.reference,
                "items": [item.ref() for item in order.items],
                "received_at_ms": order.received_at_ms,
                "notify": order.notify,
                "secret_for_s": request.secret_for_s,
            },
        )
        results = tuple([await _remove(ctx, tx, order, item) for item in order.items])
        executed_at_ms = ctx.clock.now_ms()
        order = replace(order, executed_at_ms=executed_at_ms, results=results)
        if request.secret_for_s is None:
            await tell_uploaders(ctx, tx, order)
            order = replace(order, told_at_ms=executed_at_ms)
        else:
            order = replace(order, secret_until_ms=executed_at_ms + request.secret_for_s * 1000)
            await _schedule_telling(ctx, tx, order)
        await store.insert_order(tx.conn, order)
        await audit(
            ctx,
            tx,
            actor_id=caller.user_id,
            action="order.executed",
            subject=Subject.ORDER.value,
            subject_id=order.id,
            data={
                "execution_ms": order.execution_ms,
                "outcomes": {r.item.ref(): r.outcome.value for r in results},
            },
        )
    # The removed bytes leave the SQLite WAL too.
    await ctx.db.checkpoint()
    return order


async def _remove(ctx: Context, tx: Tx, order: RemovalOrder, item: OrderItem) -> ItemResult:
    if item.kind is ItemKind.MESSAGE:
        message = await message_store.find_message(tx.conn, item.id)
        if message is None:
            return ItemResult(item, ItemOutcome.NOT_FOUND)
        return await _remove_message(ctx, tx, order, item, message)
    media = await media_store.find_media(tx.conn, item.id)
    if media is None:
        return ItemResult(item, ItemOutcome.NOT_FOUND)
    if media.message_id is not None:
        # A file goes with the post that carries it: the post is what people see.
        carrier = await message_store.get_message(tx.conn, media.chat_id, media.message_id)
        if carrier is not None:
            return await _remove_message(ctx, tx, order, item, carrier)
    case = await _open_case(
        ctx, tx, order, Subject.MEDIA, media.id, media.chat_id, media.uploader_id
    )
    kept = await do_preserve_media(
        ctx, tx, media, reason=PRESERVED_FOR_ORDER, order_id=order.id, case_id=case.id
    )
    await _audit_removed(ctx, tx, order, Subject.MEDIA, media.id, kept.id)
    return ItemResult(
        item,
        ItemOutcome.REMOVED,
        chat_id=media.chat_id,
        uploader_id=media.uploader_id,
        removed_at_ms=ctx.clock.now_ms(),
        case_id=case.id,
    )


async def _remove_message(
    ctx: Context, tx: Tx, order: RemovalOrder, item: OrderItem, message: Message
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
    case = await _open_case(ctx, tx, order, Subject.MESSAGE, message.id, chat.id, message.sender_id)
    kept = await do_preserve_message(
        ctx, tx, chat.id, message.id, reason=PRESERVED_FOR_ORDER, order_id=order.id, case_id=case.id
    )
    await expiry.purge_message(ctx, tx, chat, message)
    await _audit_removed(ctx, tx, order, Subject.MESSAGE, message.id, kept.id if kept else None)
    return ItemResult(
        item,
        ItemOutcome.REMOVED,
        chat_id=chat.id,
        message_id=message.id,
        uploader_id=message.sender_id,
        removed_at_ms=ctx.clock.now_ms(),
        case_id=case.id,
    )


async def _open_case(
    ctx: Context,
    tx: Tx,
    order: RemovalOrder,
    subject: Subject,
    subject_id: int,
    chat_id: int,
    user_id: int,
) -> Case:
    """The ORDER case of one item, decided at once: the authority decided, not us."""
    return await open_case(
        ctx,
        tx,
        kind=CaseKind.ORDER,
        subject=subject,
        subject_id=subject_id,
        chat_id=chat_id,
        subject_user_id=user_id,
        rule_ids=(RULE_ID,),
        reason=f"Removal order {order.reference} of {order.authority}",
        automated=False,
        priority=PRIORITY_ORDER,
        data={
            "order_id": str(order.id),
            "authority": order.authority,
            "reference": order.reference,
        },
        decision=REMOVED,
        actor_id=order.registered_by,
    )


async def _audit_removed(
    ctx: Context,
    tx: Tx,
    order: RemovalOrder,
    subject: Subject,
    subject_id: int,
    preserved_id: int | None,
) -> None:
    await audit(
        ctx,
        tx,
        actor_id=order.registered_by,
        action="content.removed",
        subject=subject.value,
        subject_id=subject_id,
        data={
            "order_id": str(order.id),
            "preserved_id": None if preserved_id is None else str(preserved_id),
        },
    )


async def _schedule_telling(ctx: Context, tx: Tx, order: RemovalOrder) -> None:
    """The uploaders are told at `secret_until_ms` (order_notices.lapse_secrecy). An order
    belongs to no one chat: the expiry's chat is 0."""
    assert order.secret_until_ms is not None
    due = Expiry(ExpiryKind.ORDER_SECRECY, order.id, 0, order.secret_until_ms)
    await expiry.schedule(ctx, tx, due)


async def do_extend_secrecy(
    ctx: Context, caller: Caller, order_id: int, until_ms: int
) -> RemovalOrder:
    """The authority renewed its decision not to tell the uploaders (TCO Art. 11(3)): they
    are told at `until_ms` instead (operator only; at most six weeks from now). Audited."""
    check_operator_or_hidden(caller)
    async with ctx.db.write() as tx:
        order = await store.get_order(tx.conn, order_id, for_update=True)
        if order is None:
            raise _no_such_order()
        until_ms = check_secrecy_extension(
            until_ms,
            secret_until_ms=order.secret_until_ms,
            told_at_ms=order.told_at_ms,
            now_ms=ctx.clock.now_ms(),
        )
        await store.update_secrecy(tx.conn, order.id, secret_until_ms=until_ms, told_at_ms=None)
        order = replace(order, secret_until_ms=until_ms)
        await _schedule_telling(ctx, tx, order)
        await audit(
            ctx,
            tx,
            actor_id=caller.user_id,
            action="order.secrecy_extended",
            subject=Subject.ORDER.value,
            subject_id=order.id,
            data={"secret_until_ms": until_ms},
        )
    return order


async def access_orders(
    ctx: Context, caller: Caller, *, from_ms: int | None = None, to_ms: int | None = None
) -> list[dict[str, Any]]:
    """Orders, newest first: the operator's and moderators' to read."""
    check_moderator(caller)
    async with ctx.db.read() as conn:
        orders = await store.get_orders(conn, from_ms=from_ms, to_ms=to_ms)
    return [order.view() for order in orders]


async def access_order(ctx: Context, caller: Caller, order_id: int) -> RemovalOrder:
    check_moderator(caller)
    async with ctx.db.read() as conn:
        order = await store.get_order(conn, order_id)
    if order is None:
        raise _no_such_order()
    return order
