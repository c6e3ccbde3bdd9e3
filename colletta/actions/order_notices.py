"""Telling uploaders what a removal order removed (TCO Art. 11): at once, or when the
non-disclosure the authority asked for lapses (Art. 11(3)), which the expiry worker sees to
(an `order_secrecy` expiry, claimed under row locks so one node tells them, once).
"""

from __future__ import annotations

from colletta.actions.audit import audit
from colletta.actions.cases import issue_statement
from colletta.actions.context import Context
from colletta.actions.notices import NoticeKind, notify
from colletta.domain.cases import Subject
from colletta.domain.orders import ItemOutcome, ItemResult, RemovalOrder, iso_time
from colletta.domain.statements import (
    Automation,
    Category,
    ContentType,
    Ground,
    Source,
    StatementFacts,
    Visibility,
)
from colletta.store import orders as store
from colletta.store.db import Tx

ORDER_LAW = "Regulation (EU) 2021/784 (terrorist content online), Art. 3"
ORDER_REDRESS = (
    "You can challenge the removal order before the courts of the Member State of the "
    "authority that issued it (Art. 9 of Regulation (EU) 2021/784); ask the operator for a "
    "copy of the order."
)


def order_facts(order: RemovalOrder, result: ItemResult) -> StatementFacts:
    """The Art. 17 statement (and the TCO Art. 11 information) for one removed item."""
    what = "A file you uploaded" if result.message_id is None else "Your message"
    return StatementFacts(
        category=Category.RISK_FOR_PUBLIC_SECURITY,
        ground=Ground.ILLEGAL_CONTENT,
        legal_ground=f"{ORDER_LAW}: removal order {order.reference} of {order.authority}",
        explanation=order.reasons,
        facts=(
            f"{what} ({result.item.ref()}) was removed for everyone on "
            f"{iso_time(result.removed_at_ms or order.registered_at_ms)} because "
            f"{order.authority} ordered its removal as terrorist content."
        ),
        content_type=ContentType.OTHER if result.message_id is None else ContentType.TEXT,
        content_type_other="an uploaded file" if result.message_id is None else "",
        source=Source.OTHER_NOTIFICATION,
        automated_detection=False,
        automation=Automation.NOT_AUTOMATED,
        visibility=(Visibility.CONTENT_REMOVED,),
        extra={
            "order_id": str(order.id),
            "authority": order.authority,
            "reference": order.reference,
            "order_redress": ORDER_REDRESS,
        },
    )


async def tell_uploaders(ctx: Context, tx: Tx, order: RemovalOrder) -> None:
    """TCO Art. 11: each uploader learns what was removed and why (a statement per item),
    and gets one notice of the order."""
    removed: dict[int, list[tuple[ItemResult, str]]] = {}
    for result in order.results:
        if result.outcome is not ItemOutcome.REMOVED or result.uploader_id is None:
            continue
        statement = await issue_statement(
            ctx,
            tx,
            user_id=result.uploader_id,
            case_id=result.case_id,
            facts=order_facts(order, result),
        )
        removed.setdefault(result.uploader_id, []).append((result, statement["id"]))
    for user_id, theirs in removed.items():
        await notify(
            ctx,
            tx,
            user_id,
            NoticeKind.ORDER_EXECUTED,
            {
                "order_id": str(order.id),
                "authority": order.authority,
                "reference": order.reference,
                "items": [result.item.ref() for result, _ in theirs],
                "statement_ids": [statement_id for _, statement_id in theirs],
            },
        )


async def lapse_secrecy(ctx: Context, tx: Tx, order_id: int) -> None:
    """The non-disclosure of `order_id` ended (its expiry fell due): tell the uploaders now,
    unless they were told already."""
    order = await store.get_order(tx.conn, order_id, for_update=True)
    if order is None or order.told_at_ms is not None:
        return
    now_ms = ctx.clock.now_ms()
    await tell_uploaders(ctx, tx, order)
    await store.update_secrecy(
        tx.conn, order.id, secret_until_ms=order.secret_until_ms, told_at_ms=now_ms
    )
    await audit(
        ctx,
        tx,
        actor_id=None,
        action="order.secrecy_lapsed",
        subject=Subject.ORDER.value,
        subject_id=order.id,
        data={"secret_until_ms": order.secret_until_ms},
    )
