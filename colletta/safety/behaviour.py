"""Behavioural screening of pots: the FATF's 2023 crowdfunding red flags as rules
(DESIGN.md §5; docs/trust-and-safety.md, "Behavioural rules").

Pure: `PotFacts` (counted by `actions.behaviour` from the store) and `Thresholds` (from the
settings) in, a `Verdict` with rule ids and a reason a person can read out. Each red flag alone
holds payouts (REVIEW): one is often innocent (a wedding gift pot fills in an hour). Two flags
together, or a chat that had content removed under a removal order, freeze the pot (HOLD)
until a moderator decides. Behaviour never blocks: it is a pattern, not proof.
"""

from __future__ import annotations

from dataclasses import dataclass

from colletta.domain.safety import ALLOWED, Outcome, Verdict

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# Rule ids, as they appear in verdicts, cases and statements of reasons.
NEW_DONORS = "behaviour.new_donors"
EARLY_PAYOUT = "behaviour.early_payout"
INFLOW_SPIKE = "behaviour.inflow_spike"
SHARED_PAYEE = "behaviour.shared_payee"
ORDER_CHAT = "behaviour.order_chat"
LATE_JOINERS = "behaviour.late_joiners"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a red flag counts; every field is a setting (`behaviour_*`, README)."""

    new_account_ms: int = 7 * DAY_MS  # an account younger than this is new
    window_ms: int = HOUR_MS  # the short window contributions are counted in
    small_minor: int = 2_000  # a contribution at most this is small
    new_donors_min: int = 20  # this many small ones from new accounts in the window…
    new_donors_share: float = 0.6  # …making at least this share of the window's contributions
    early_payout_ms: int = DAY_MS  # a payout asked this soon after the first contribution…
    early_payout_min_minor: int = 50_000  # …from a pot that raised at least this much
    spike_factor: float = 10.0  # the window's inflow this many times the pot's usual rate…
    spike_min_minor: int = 100_000  # …and at least this much
    payee_chats: int = 3  # one payee in pots of this many different chats
    late_join_ms: int = 7 * DAY_MS  # joined this soon before the pot opened…
    late_join_share: float = 0.6  # …by at least this share of the members…
    late_join_min_members: int = 30  # …of a chat of at least this many members


@dataclass(frozen=True, slots=True)
class PotFacts:
    """What the rules read about one pot; None where it was not counted this time."""

    now_ms: int
    opened_at_ms: int
    raised_minor: int = 0
    # Contributions posted in the last `window_ms` (the most recent ones, bounded).
    window_count: int = 0
    window_minor: int = 0
    window_small_new: int = 0  # of them: small and from accounts younger than new_account_ms
    window_new_donors: int = 0  # distinct new accounts among them
    first_posted_at_ms: int | None = None
    payout_asked_at_ms: int | None = None  # a spending proposal being created now
    payee_chats: int = 0  # distinct chats whose pots propose paying this payee (with this one)
    order_cases: int = 0  # removal orders executed on content of the pot's chat
    members: int | None = None
    members_joined_late: int = 0  # joined in the late_join_ms before the pot opened


def _new_donors(f: PotFacts, t: Thresholds) -> str | None:
    if f.window_small_new < t.new_donors_min or f.window_new_donors < t.new_donors_min // 2:
        return None
    if f.window_small_new < t.new_donors_share * f.window_count:
        return None
    return (
        f"{f.window_small_new} small contributions from {f.window_new_donors} new accounts "
        f"within {t.window_ms // 60_000} minutes"
    )


def _early_payout(f: PotFacts, t: Thresholds) -> str | None:
    if f.payout_asked_at_ms is None or f.first_posted_at_ms is None:
        return None
    # A gift pot filled in an hour and spent at once is everyday life; a large sum is not.
    if f.raised_minor < t.early_payout_min_minor:
        return None
    after_ms = f.payout_asked_at_ms - f.first_posted_at_ms
    if after_ms >= t.early_payout_ms:
        return None
    return f"a payout asked {after_ms // 60_000} minutes after the first contribution"


def _inflow_spike(f: PotFacts, t: Thresholds) -> str | None:
    if f.window_minor < t.spike_min_minor:
        return None
    before_minor = f.raised_minor - f.window_minor
    # The pot's usual inflow per window before this one; a pot younger than two windows
    # has no usual rate yet, and its first window is not a spike.
    windows_before = (f.now_ms - t.window_ms - f.opened_at_ms) / t.window_ms
    if windows_before < 1:
        return None
    usual_minor = before_minor / windows_before
    if f.window_minor < t.spike_factor * max(usual_minor, 1.0):
        return None
    return f"{f.window_minor} (minor units) came in within {t.window_ms // 60_000} minutes, " + (
        f"{f.window_minor / max(usual_minor, 1.0):.0f} times the pot's usual rate"
    )


def _shared_payee(f: PotFacts, t: Thresholds) -> str | None:
    if f.payee_chats < t.payee_chats:
        return None
    return f"the payee is paid from pots in {f.payee_chats} different chats"


def _order_chat(f: PotFacts, t: Thresholds) -> str | None:
    if f.order_cases < 1:
        return None
    return f"the chat had content removed under {f.order_cases} removal order(s)"


def _late_joiners(f: PotFacts, t: Thresholds) -> str | None:
    if f.members is None or f.members < t.late_join_min_members:
        return None
    if f.members_joined_late < t.late_join_share * f.members:
        return None
    return (
        f"{f.members_joined_late} of the chat's {f.members} members joined in the "
        f"{t.late_join_ms // DAY_MS} days before the pot opened"
    )


RULES = (
    (NEW_DONORS, _new_donors),
    (EARLY_PAYOUT, _early_payout),
    (INFLOW_SPIKE, _inflow_spike),
    (SHARED_PAYEE, _shared_payee),
    (ORDER_CHAT, _order_chat),
    (LATE_JOINERS, _late_joiners),
)
# Alone enough to freeze: the chat was used for terrorist content an authority ordered removed.
_HOLD_ALONE = frozenset({ORDER_CHAT})


def screen_behaviour(facts: PotFacts, thresholds: Thresholds) -> Verdict:
    """The red flags `facts` raise: ALLOW, REVIEW (one flag) or HOLD (two, or an order)."""
    fired = [(rule, why) for rule, check in RULES if (why := check(facts, thresholds))]
    if not fired:
        return ALLOWED
    rules = tuple(rule for rule, _ in fired)
    hold = len(fired) > 1 or _HOLD_ALONE.intersection(rules)
    outcome = Outcome.HOLD if hold else Outcome.REVIEW
    then = (
        "the pot is frozen until a moderator decides"
        if hold
        else "a moderator checks before any money is paid out"
    )
    reason = "Red flags of terrorist crowdfunding: " + "; ".join(w for _, w in fired) + f"; {then}."
    return Verdict(outcome, rules, reason)


def stricter(current: Verdict, new: Verdict) -> Verdict:
    """`new` if it restricts more than `current`, merged with its rule ids; a verdict never
    gets milder by itself (only a moderator clears it)."""
    if new.outcome.severity <= current.outcome.severity:
        return current
    kept = tuple(r for r in current.rule_ids if r != "screen.clear")
    rules = tuple(dict.fromkeys((*kept, *new.rule_ids)))
    return Verdict(new.outcome, rules, new.reason, current.extra)
