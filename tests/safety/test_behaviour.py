"""Behavioural rules (FATF 2023 crowdfunding red flags): each fires on its pattern and stays
quiet on the everyday look-alike; one flag holds payouts, two (or an order) freeze."""

from __future__ import annotations

from dataclasses import replace

import pytest

from colletta.domain.safety import ALLOWED, Outcome, Verdict
from colletta.safety import behaviour as b
from colletta.safety.behaviour import DAY_MS, HOUR_MS, PotFacts, Thresholds, screen_behaviour

T = Thresholds()
NOW = 100 * DAY_MS
# A pot open for ten days that raised 2,000.00 slowly: nothing unusual.
QUIET = PotFacts(now_ms=NOW, opened_at_ms=NOW - 10 * DAY_MS, raised_minor=200_000)


@pytest.mark.parametrize(
    ("rule", "fires", "quiet"),
    [
        (
            b.NEW_DONORS,
            dict(window_count=30, window_minor=30_000, window_small_new=25, window_new_donors=25),
            # the same crowd of small gifts, but from established accounts
            dict(window_count=30, window_minor=30_000, window_small_new=2, window_new_donors=2),
        ),
        (
            b.EARLY_PAYOUT,
            dict(first_posted_at_ms=NOW - 2 * HOUR_MS, payout_asked_at_ms=NOW),
            dict(first_posted_at_ms=NOW - 5 * DAY_MS, payout_asked_at_ms=NOW),
        ),
        (
            b.INFLOW_SPIKE,
            dict(raised_minor=400_000, window_count=5, window_minor=300_000),
            # 10,000.00 over ten days is its usual rate, not a spike
            dict(raised_minor=1_000_000, window_count=5, window_minor=5_000),
        ),
        (b.SHARED_PAYEE, dict(payee_chats=3), dict(payee_chats=2)),
        (b.ORDER_CHAT, dict(order_cases=1), dict(order_cases=0)),
        (
            b.LATE_JOINERS,
            dict(members=40, members_joined_late=35),
            dict(members=40, members_joined_late=6),
        ),
    ],
)
def test_each_rule_fires_and_its_look_alike_does_not(
    rule: str, fires: dict[str, int], quiet: dict[str, int]
) -> None:
    verdict = screen_behaviour(replace(QUIET, **fires), T)
    assert rule in verdict.rule_ids
    assert verdict.reason.startswith("Red flags")
    assert screen_behaviour(replace(QUIET, **quiet), T) == ALLOWED


def test_a_gift_pot_filled_and_spent_in_an_hour_is_everyday_life() -> None:
    gift = PotFacts(
        now_ms=NOW,
        opened_at_ms=NOW - HOUR_MS,
        raised_minor=15_000,
        window_count=12,
        window_minor=15_000,
        first_posted_at_ms=NOW - HOUR_MS,
        payout_asked_at_ms=NOW,
        members=12,
        members_joined_late=0,
    )
    assert screen_behaviour(gift, T) == ALLOWED


def test_a_young_pot_has_no_usual_rate_to_spike_from() -> None:
    first_hour = replace(QUIET, opened_at_ms=NOW - HOUR_MS, raised_minor=300_000,
                         window_minor=300_000)  # fmt: skip
    assert screen_behaviour(first_hour, T) == ALLOWED


def test_one_flag_reviews_two_or_an_order_hold_and_none_blocks() -> None:
    one = screen_behaviour(replace(QUIET, payee_chats=4), T)
    assert one.outcome is Outcome.REVIEW
    two = screen_behaviour(replace(QUIET, payee_chats=4, members=40, members_joined_late=39), T)
    assert two.outcome is Outcome.HOLD
    assert set(two.rule_ids) == {b.SHARED_PAYEE, b.LATE_JOINERS}
    assert "frozen" in two.reason
    assert screen_behaviour(replace(QUIET, order_cases=2), T).outcome is Outcome.HOLD


def test_thresholds_are_settings() -> None:
    facts = replace(QUIET, payee_chats=3)
    assert screen_behaviour(facts, replace(T, payee_chats=5)) == ALLOWED


def test_a_verdict_never_gets_milder_by_itself() -> None:
    hold = Verdict(Outcome.HOLD, ("weapons.firearm",), "frozen")
    review = Verdict(Outcome.REVIEW, (b.SHARED_PAYEE,), "held")
    assert b.stricter(hold, review) is hold
    merged = b.stricter(Verdict(Outcome.ALLOW, ("screen.clear",), "clear"), review)
    assert (merged.outcome, merged.rule_ids) == (Outcome.REVIEW, (b.SHARED_PAYEE,))
    both = b.stricter(review, hold)
    assert both.rule_ids == (b.SHARED_PAYEE, "weapons.firearm")
