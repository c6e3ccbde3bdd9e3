"""What the operator and a pot's organiser do to a pot after it opens: freeze, unfreeze,
refund all, close early, finish; and the ledger every member reads (DESIGN.md §4).

Who may do what (domain.pot_admin): freezing and unfreezing are the operator's (or a safety
verdict's, through `freeze_pot`); refunding all is the operator's, and the organiser's or an
admin's of the chat while the pot is not frozen; closing and finishing are the organiser's
or an admin's. Every change is one transaction with its `pot.updated` event.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.actions.payouts import resume_payouts
from colletta.actions.pot_tasks import begin_refunding, emit_updated
from colletta.actions.pots import (
    load_pot_access,
    no_such_pot,
    pot_summary,
    require_member,
    schedule_task,
)
from colletta.domain.chats import Role
from colletta.domain.ledger import RefKind, TransferCode
from colletta.domain.pot_admin import (
    CSV_HEADER,
    LEDGER_PAGE_MAX,
    LedgerEntry,
    check_close,
    check_finish,
    check_freezable,
    check_freeze_reason,
    check_manager,
    check_operator,
    check_refund_all,
    check_unfreezable,
    csv_row,
    ledger_totals,
)
from colletta.domain.pots import Pot, PotStatus, TaskKind, sees_contributors
from colletta.domain.safety import Outcome, Verdict
from colletta.errors import InvalidInput, NotFound
from colletta.store import contributions as contribution_store
from colletta.store import ledger as ledger_store
from colletta.store import pot_tasks as task_store
from colletta.store import pots as store
from colletta.store import users as user_store
from colletta.store.db import Conn, Tx

_WHY = {
    TransferCode.CONTRIBUTION: "contribution",
    TransferCode.REFUND: "refund",
}


async def load_pot_for(
    conn: Conn, caller: Caller, pot_id: int, *, for_update: bool = False
) -> tuple[Pot, Role | None]:
    """The pot and the caller's role in its chat, for a member of the chat or the operator
    (who reaches every pot, member or not); the same 404 as a missing pot for anyone else who
    cannot read the chat, and 403 for a reader of a public channel who has not joined."""
    try:
        access = await load_pot_access(conn, caller, pot_id, for_update=for_update)
    except NotFound:
        if not caller.user.is_operator:
            raise
        pot = await store.get_pot(conn, pot_id, for_update=for_update)
        if pot is None:
            raise
        return pot, None
    if not caller.user.is_operator:
        require_member(access)
    return access.pot, access.role


def admin_view(pot: Pot) -> dict[str, Any]:
    """What the actions here answer with: the pot's summary and why it is frozen (the caller
    is its organiser, an admin of the chat or the operator)."""
    return {**pot_summary(pot), "frozen_reason": pot.frozen_reason}


# --- freeze


async def do_freeze_pot(ctx: Context, caller: Caller, pot_id: int, reason: str) -> dict[str, Any]:
    """The operator stops a pot: no contributions (payments confirmed meanwhile go back), no
    payouts. Refunds under way go on. Freezing a frozen pot changes nothing."""
    reason = check_freeze_reason(reason)
    async with ctx.db.write() as tx:
        pot, _ = await load_pot_for(tx.conn, caller, pot_id, for_update=True)
        check_operator(caller.user.is_operator)
        return admin_view(await freeze_locked(ctx, tx, pot, reason, caller.user_id))


async def freeze_pot(ctx: Context, pot_id: int, reason: str) -> None:
    """Freeze for a safety verdict (no caller: trust & safety decided)."""
    reason = check_freeze_reason(reason)
    async with ctx.db.write() as tx:
        pot = await store.get_pot(tx.conn, pot_id, for_update=True)
        if pot is None:
            raise no_such_pot()
        await freeze_locked(ctx, tx, pot, reason, None)


async def freeze_locked(ctx: Context, tx: Tx, pot: Pot, reason: str, by_user_id: int | None) -> Pot:
    """Freeze `pot`, locked in `tx` (a moderator's action runs it in the case's transaction)."""
    check_freezable(pot)
    if pot.frozen:
        return pot
    await store.update_pot(tx.conn, pot.id, frozen=True, frozen_reason=reason)
    return await emit_updated(ctx, tx, pot.id, change="frozen", by_user_id=by_user_id)


async def do_unfreeze_pot(ctx: Context, caller: Caller, pot_id: int) -> dict[str, Any]:
    """The operator lets a frozen pot go on. A deadline that passed while it was frozen is
    decided at once (by the worker), and so are the payouts the freeze held (unless
    screening still holds them); a screening verdict stays as it was. A pot being given back
    may be unfrozen too: its refunds wait for a payout the freeze holds."""
    async with ctx.db.write() as tx:
        pot, _ = await load_pot_for(tx.conn, caller, pot_id, for_update=True)
        check_operator(caller.user.is_operator)
        return admin_view(await unfreeze_locked(ctx, tx, pot, caller.user_id))


async def unfreeze_locked(ctx: Context, tx: Tx, pot: Pot, by_user_id: int) -> Pot:
    """Let `pot`, locked in `tx`, go on (also a complaint reversing a freeze)."""
    check_unfreezable(pot)
    if not pot.frozen:
        return pot
    await store.update_pot(tx.conn, pot.id, frozen=False, frozen_reason=None)
    if pot.status is PotStatus.OPEN:
        await schedule_task(ctx, tx, TaskKind.DEADLINE, pot.id, pot.id, pot.deadline_at_ms)
    if not replace(pot, frozen=False).payouts_held:
        await resume_payouts(ctx, tx, pot.id)
    return await emit_updated(ctx, tx, pot.id, change="unfrozen", by_user_id=by_user_id)


CLEARED = Verdict(Outcome.ALLOW, ("moderator.cleared",), "a moderator reviewed it and cleared it")


async def clear_pot_verdict(ctx: Context, tx: Tx, pot_id: int, *, by_user_id: int) -> Pot:
    """A moderator found the pot's screening or behavioural verdict unfounded: it is ALLOW
    from now on, a freeze that the verdict put on it is lifted (not the operator's own), and
    the payouts it held fall due. In `tx`, which also decides the case."""
    pot = await store.get_pot(tx.conn, pot_id, for_update=True)
    if pot is None:
        raise no_such_pot()
    if not pot.verdict.restricts:
        return pot
    frozen_by_verdict = pot.frozen and pot.frozen_reason == pot.verdict.reason
    cleared = replace(pot, verdict=CLEARED, frozen=pot.frozen and not frozen_by_verdict)
    await store.update_pot(
        tx.conn,
        pot.id,
        verdict=CLEARED,
        frozen=cleared.frozen,
        frozen_reason=pot.frozen_reason if cleared.frozen else None,
    )
    if frozen_by_verdict and pot.status is PotStatus.OPEN:
        await schedule_task(ctx, tx, TaskKind.DEADLINE, pot.id, pot.id, pot.deadline_at_ms)
    if not cleared.payouts_held:
        await resume_payouts(ctx, tx, pot.id)
    return await emit_updated(ctx, tx, pot.id, change="cleared", by_user_id=by_user_id)


# --- refund all, close, finish


async def do_refund_all(ctx: Context, caller: Caller, pot_id: int) -> dict[str, Any]:
    """Give every contribution back: running spending votes are voided, the pot turns
    REFUNDING, the worker refunds what is left (split over the contributions by what each
    has in, all of it when nothing was spent) and settles the pot once it is empty."""
    async with ctx.db.write() as tx:
        pot, role = await load_pot_for(tx.conn, caller, pot_id, for_update=True)
        check_refund_all(pot, caller.user_id, role, caller.user.is_operator)
        pot = await begin_refunding(ctx, tx, pot, cause="refund_all", by_user_id=caller.user_id)
        return admin_view(pot)


async def do_close_pot(ctx: Context, caller: Caller, pot_id: int) -> dict[str, Any]:
    """The organiser or an admin stops collecting before the deadline: the pot is CLOSED and
    its money kept for spending (all-or-nothing: only once the goal is met)."""
    async with ctx.db.write() as tx:
        pot, role = await load_pot_for(tx.conn, caller, pot_id, for_update=True)
        check_manager(pot, caller.user_id, role)
        check_close(pot)
        await store.update_pot(
            tx.conn, pot.id, status=PotStatus.CLOSED, closed_at_ms=ctx.clock.now_ms()
        )
        await task_store.unschedule(tx.conn, TaskKind.DEADLINE, pot.id)
        pot = await emit_updated(
            ctx, tx, pot.id, change="closed", cause="organiser", by_user_id=caller.user_id
        )
        return admin_view(pot)


async def do_finish_pot(ctx: Context, caller: Caller, pot_id: int) -> dict[str, Any]:
    """The organiser or an admin is done spending a closed pot: whatever is left is refunded
    to the contributors pro rata to what each has in (never kept), then the pot is SETTLED.
    Refused while a spending vote or payout holds money."""
    async with ctx.db.write() as tx:
        pot, role = await load_pot_for(tx.conn, caller, pot_id, for_update=True)
        check_manager(pot, caller.user_id, role)
        by_code = await ledger_store.sum_by_code(tx.conn, pot.id)
        check_finish(pot, by_code.get(TransferCode.PAYOUT, (0, 0))[1])
        pot = await begin_refunding(ctx, tx, pot, cause="finished", by_user_id=caller.user_id)
        return admin_view(pot)


# --- the ledger


def parse_ledger_cursor(after: str | None) -> tuple[int, str] | None:
    """`next_after` of a page: "<created_at_ms>:<transfer id>"."""
    if after is None:
        return None
    at_ms, _, transfer_id = after.partition(":")
    if not (at_ms.isdigit() and len(at_ms) <= 15 and 0 < len(transfer_id) <= 128):
        raise InvalidInput("not a cursor of this ledger", field="after")
    return int(at_ms), transfer_id


async def _ledger_page(
    conn: Conn,
    pot: Pot,
    caller: Caller,
    named: bool,
    after: tuple[int, str] | None,
    limit: int,
) -> list[LedgerEntry]:
    """One page of the pot's transfers as `caller` may read them."""
    listed = await ledger_store.list_pot_transfers(conn, pot.id, after=after, limit=limit)
    contribution_ids = [t.ref_id for t, _ in listed if t.ref_kind is RefKind.CONTRIBUTION]
    proposal_ids = [t.ref_id for t, _ in listed if t.ref_kind is RefKind.PROPOSAL]
    contributors = await contribution_store.get_contributors(conn, contribution_ids)
    labels = await store.get_proposal_labels(conn, proposal_ids)
    shown = {user_id for user_id in contributors.values() if named or user_id == caller.user_id}
    names = {
        user_id: user.display_name
        for user_id, user in (await user_store.get_users(conn, sorted(shown))).items()
    }
    entries = []
    for transfer, state in listed:
        if transfer.ref_kind is RefKind.PROPOSAL:
            title, payee = labels.get(transfer.ref_id, ("", ""))
            entries.append(LedgerEntry(transfer, state, None, payee, title))
            continue
        user_id = contributors.get(transfer.ref_id)
        seen = user_id if user_id in shown else None
        entries.append(
            LedgerEntry(
                transfer,
                state,
                seen,
                None if seen is None else names.get(seen),
                _WHY.get(transfer.code, transfer.code.label),
            )
        )
    return entries


async def access_pot_ledger(
    ctx: Context, caller: Caller, pot_id: int, after: str | None, limit: int
) -> dict[str, Any]:
    """The pot's transfers, oldest first, each with who, what, why, when and where it stands
    (contributors named to members of a named pot, and to admins and the operator of an
    anonymous one; everyone sees their own), and totals from the ledger that equal the pot's
    account. Members of the chat (subscribers of a channel) and the operator."""
    cursor = parse_ledger_cursor(after)
    limit = max(1, min(limit, LEDGER_PAGE_MAX))
    async with ctx.db.read() as conn:
        pot, role = await load_pot_for(conn, caller, pot_id)
        named = sees_contributors(pot, role, caller.user.is_operator)
        entries = await _ledger_page(conn, pot, caller, named, cursor, limit)
        by_code = await ledger_store.sum_by_code(conn, pot.id)
        account = (await ledger_store.get_accounts(conn, [pot.account_id]))[pot.account_id]
    last = entries[-1].transfer if len(entries) == limit else None
    return {
        "pot_id": str(pot.id),
        "currency": pot.currency,
        "transfers": [entry.view() for entry in entries],
        "totals": ledger_totals(pot.currency, by_code, account).view(),
        "next_after": None if last is None else f"{last.created_at_ms}:{last.id}",
    }


async def access_pot_ledger_csv(
    ctx: Context, caller: Caller, pot_id: int
) -> tuple[str, AsyncIterator[str]]:
    """The whole ledger as CSV (a header row, then one row per transfer, amounts both as
    decimals and in minor units): the file name, and its text in pages. Who may read it and
    whom it names are as for `access_pot_ledger`, decided before the first byte."""
    async with ctx.db.read() as conn:
        pot, role = await load_pot_for(conn, caller, pot_id)
    named = sees_contributors(pot, role, caller.user.is_operator)

    async def pages() -> AsyncIterator[str]:
        yield _csv_text([CSV_HEADER])
        after: tuple[int, str] | None = None
        while True:
            async with ctx.db.read() as conn:
                entries = await _ledger_page(conn, pot, caller, named, after, LEDGER_PAGE_MAX)
            if entries:
                yield _csv_text([csv_row(entry) for entry in entries])
            if len(entries) < LEDGER_PAGE_MAX:
                return
            last = entries[-1].transfer
            after = (last.created_at_ms, last.id)

    return f"pot-{pot.id}-ledger.csv", pages()


def _csv_text(rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        # A cell a spreadsheet would run as a formula is written as text.
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return out.getvalue()
