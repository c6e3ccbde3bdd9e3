"""Behavioural screening of pots (safety.behaviour; docs/trust-and-safety.md): the facts are
counted here, in the transaction that posts a contribution or creates a spending proposal,
and a restricting verdict is applied to the pot there and then.

The webhook path is hot, so a pot's contributions are looked at only when it crosses a mark:
every `behaviour_check_every` new contributors, and each time its total doubles. Every query
is bounded (a range of an index, a LIMIT), so a check costs the same on a pot of a million
contributions as on one of ten.
"""

from __future__ import annotations

from dataclasses import replace

from colletta.actions.context import Context
from colletta.actions.pots import emit_pot
from colletta.actions.verdicts import Screened, record_verdict
from colletta.config import Settings
from colletta.domain import events
from colletta.domain.cases import CaseKind
from colletta.domain.pots import Pot, PotStatus
from colletta.domain.safety import Outcome, Verdict
from colletta.log import get_logger
from colletta.safety.behaviour import PotFacts, Thresholds, screen_behaviour, stricter
from colletta.store import cases as case_store
from colletta.store import chats as chat_store
from colletta.store import contributions as contribution_store
from colletta.store import pots as pot_store
from colletta.store import proposals as proposal_store
from colletta.store.db import Tx

log = get_logger(__name__)
# Bounds of the queries: the newest contributions of a window, members sampled, chats counted.
WINDOW_ROWS = 1000
MEMBER_SAMPLE = 1000
PAYEE_CHATS_MAX = 50


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        new_account_ms=settings.behaviour_new_account_s * 1000,
        window_ms=settings.behaviour_window_s * 1000,
        small_minor=settings.behaviour_small_minor,
        new_donors_min=settings.behaviour_new_donors_min,
        early_payout_ms=settings.behaviour_early_payout_s * 1000,
        early_payout_min_minor=settings.behaviour_early_payout_min_minor,
        spike_factor=settings.behaviour_spike_factor,
        spike_min_minor=settings.behaviour_spike_min_minor,
        payee_chats=settings.behaviour_payee_chats,
        late_join_ms=settings.behaviour_late_join_s * 1000,
        late_join_min_members=settings.behaviour_late_join_min_members,
    )


def due(settings: Settings, pot: Pot, before_minor: int, new_contributor: bool) -> bool:
    """Whether the contribution that took the pot from `before_minor` to its total crossed a
    mark worth a look (pure integer arithmetic: most contributions cost nothing more)."""
    if not settings.behaviour_enabled:
        return False
    every = settings.behaviour_check_every
    grew = new_contributor and pot.contributor_count % every == 0
    return grew or before_minor.bit_length() != pot.raised_minor.bit_length()


async def _facts(
    ctx: Context,
    tx: Tx,
    pot: Pot,
    t: Thresholds,
    *,
    payee_chats: int = 0,
    payout_asked_at_ms: int | None = None,
    first_posted_at_ms: int | None = None,
) -> PotFacts:
    now_ms = ctx.clock.now_ms()
    recent = await contribution_store.recent_posted(
        tx.conn, pot.id, now_ms - t.window_ms, WINDOW_ROWS
    )
    new_since_ms = now_ms - t.new_account_ms
    small_new = [u for a, u, born in recent if a <= t.small_minor and born >= new_since_ms]
    members, late = await chat_store.joined_between(
        tx.conn, pot.chat_id, pot.created_at_ms - t.late_join_ms, pot.created_at_ms, MEMBER_SAMPLE
    )
    return PotFacts(
        now_ms=now_ms,
        opened_at_ms=pot.created_at_ms,
        raised_minor=pot.raised_minor,
        window_count=len(recent),
        window_minor=sum(a for a, _, _ in recent),
        window_small_new=len(small_new),
        window_new_donors=len(set(small_new)),
        order_cases=await _order_cases(tx, pot.chat_id),
        members=members,
        members_joined_late=late,
        payee_chats=payee_chats,
        payout_asked_at_ms=payout_asked_at_ms,
        first_posted_at_ms=first_posted_at_ms,
    )


async def _order_cases(tx: Tx, chat_id: int) -> int:
    """Removal orders executed on the chat's content (cases of kind ORDER; ix_cases_chat_id)."""
    return await case_store.count_chat_cases(tx.conn, chat_id, CaseKind.ORDER)


async def check_contributions(ctx: Context, tx: Tx, pot: Pot) -> Pot:
    """After a contribution was posted to the locked `pot` (and `due` said so): the red flags
    of its recent contributions, applied. Returns the pot as it is now."""
    t = thresholds(ctx.settings)
    verdict = screen_behaviour(await _facts(ctx, tx, pot, t), t)
    return await apply(ctx, tx, pot, verdict)


async def check_spending(ctx: Context, tx: Tx, pot: Pot, payee: str) -> Verdict:
    """Before a spending proposal from the locked `pot`: the red flags with this payout
    (asked how soon after the first contribution, to a payee paid from how many chats)."""
    if not ctx.settings.behaviour_enabled:
        return pot.verdict
    t = thresholds(ctx.settings)
    chats = await proposal_store.payee_chats(tx.conn, payee, PAYEE_CHATS_MAX)
    facts = await _facts(
        ctx,
        tx,
        pot,
        t,
        payee_chats=len(chats | {pot.chat_id}),
        payout_asked_at_ms=ctx.clock.now_ms(),
        first_posted_at_ms=await contribution_store.first_posted_at(tx.conn, pot.id),
    )
    return screen_behaviour(facts, t)


async def apply(
    ctx: Context,
    tx: Tx,
    pot: Pot,
    verdict: Verdict,
    kind: CaseKind = CaseKind.BEHAVIOUR,
    what: str | None = None,
) -> Pot:
    """Make `verdict` the locked pot's when it restricts more: REVIEW holds its payouts, HOLD
    freezes it too; a case of `kind` is opened and the organiser gets a statement of reasons
    (`what`: what the verdict was about, for a person; the pot by default).
    Never milder: only a moderator clears a verdict."""
    merged = stricter(pot.verdict, verdict)
    if merged is pot.verdict:
        return pot
    freeze = (
        verdict.outcome is Outcome.HOLD
        and not pot.frozen
        and pot.status in (PotStatus.OPEN, PotStatus.CLOSED)
    )
    changes: dict[str, object] = {"verdict": merged}
    if freeze:
        changes.update(frozen=True, frozen_reason=verdict.reason)
    await pot_store.update_pot(tx.conn, pot.id, **changes)
    pot = replace(pot, verdict=merged, frozen=pot.frozen or freeze)
    if freeze:
        pot = replace(pot, frozen_reason=verdict.reason)
    log.info("screening: pot %s %s (%s)", pot.id, merged.outcome.value, ",".join(verdict.rule_ids))
    await emit_pot(ctx, tx, pot, events.POT_UPDATED, change="frozen" if freeze else "review")
    target = Screened.pot(pot, pot.created_by, what or f"The pot “{pot.title}”")
    await record_verdict(ctx, tx, verdict, target, CaseKind.BEHAVIOUR)
    return pot
