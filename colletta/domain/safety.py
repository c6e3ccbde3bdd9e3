"""Screening outcomes (DESIGN.md §5): what a verdict lets a pot do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"  # collects, but pays nothing out until a moderator clears it
    HOLD = "hold"  # frozen pending review
    BLOCK = "block"  # refused, with the reason

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Outcome.ALLOW: 0, Outcome.REVIEW: 1, Outcome.HOLD: 2, Outcome.BLOCK: 3}


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    rule_ids: tuple[str, ...] = ()
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def restricts(self) -> bool:
        return self.outcome is not Outcome.ALLOW

    def view(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "rule_ids": list(self.rule_ids),
            "reason": self.reason,
        }


ALLOWED = Verdict(Outcome.ALLOW)


@dataclass(frozen=True, slots=True)
class PotText:
    """Everything of a pot that screening reads: its texts, items, vote options and the
    spending proposed from it."""

    title: str
    description: str
    items: tuple[str, ...]
    options: tuple[str, ...]
    currency: str
    goal_minor: int
    # Spending proposed from the pot: each one's title and payee.
    proposals: tuple[str, ...] = ()
