"""Screening of pot purposes (DESIGN.md §5).

Every pot passes `Screener.screen_pot` before it opens and on every edit of its texts, items
or options. The verdict's plumbing is in `actions.pots`: REVIEW collects but holds payouts,
HOLD freezes, BLOCK refuses with the reason. This default allows everything; the trust &
safety issue fills in the lexicon and the rules.
"""

from __future__ import annotations

from colletta.domain.safety import ALLOWED, PotText, Verdict


class Screener:
    """Decides on a pot's texts; subclass or replace it to add rules."""

    def screen_pot(self, text: PotText) -> Verdict:
        return ALLOWED
