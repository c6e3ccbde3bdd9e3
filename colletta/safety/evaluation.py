"""Screening pots given as JSON lines, and measuring the screen on a labelled set
(`colletta safety screen`, `colletta safety evaluate`; docs/trust-and-safety.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from colletta.domain.safety import Outcome, PotText, Verdict
from colletta.safety.screening import Screener


def pot_text(record: dict[str, Any]) -> PotText:
    def strings(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            return ()
        return tuple(v if isinstance(v, str) else str(v.get("what", "")) for v in value)

    return PotText(
        title=str(record.get("title") or ""),
        description=str(record.get("description") or ""),
        items=strings(record.get("items")),
        options=strings(record.get("options")),
        currency=str(record.get("currency") or ""),
        goal_minor=0,
        proposals=strings(record.get("proposals")),
    )


def screen_record(screener: Screener, record: dict[str, Any]) -> dict[str, Any]:
    """The record with `verdict`, `rules` and `reason` added (its other keys kept)."""
    verdict = screener.screen_pot(pot_text(record))
    return {
        **record,
        "verdict": verdict.outcome.value,
        "rules": list(verdict.rule_ids),
        "reason": verdict.reason,
    }


@dataclass
class Evaluation:
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    misses: list[tuple[str, str, Verdict]] = field(default_factory=list)

    def count(self, label: str, outcome: str | None = None) -> int:
        counts = self.outcomes.get(label, Counter())
        return counts[outcome] if outcome else sum(counts.values())

    def flagged(self, label: str) -> int:
        return self.count(label) - self.count(label, Outcome.ALLOW.value)

    @property
    def recall(self) -> float:
        total = self.count("prohibited")
        return self.flagged("prohibited") / total if total else 1.0

    @property
    def false_positive_rate(self) -> float:
        total = self.count("allowed")
        return self.flagged("allowed") / total if total else 0.0

    @property
    def precision(self) -> float:
        flagged = self.flagged("prohibited") + self.flagged("allowed")
        return self.flagged("prohibited") / flagged if flagged else 1.0

    @property
    def sensitive_blocked(self) -> int:
        return self.count("sensitive", Outcome.BLOCK.value)

    def lines(self) -> Iterator[str]:
        yield f"precision {self.precision:.3f}"
        yield f"recall {self.recall:.3f} ({self.flagged('prohibited')}/{self.count('prohibited')})"
        yield (
            f"false_positive_rate {self.false_positive_rate:.3f} "
            f"({self.flagged('allowed')}/{self.count('allowed')})"
        )
        for label in sorted(self.outcomes):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes[label].items()))
            yield f"{label}: {counts}"
        for record_id, label, verdict in self.misses:
            yield f"miss {record_id} ({label}): {verdict.outcome.value} {list(verdict.rule_ids)}"


def evaluate(screener: Screener, records: Iterable[dict[str, Any]]) -> Evaluation:
    result = Evaluation()
    for record in records:
        label = str(record.get("label", ""))
        verdict = screener.screen_pot(pot_text(record))
        result.outcomes.setdefault(label, Counter())[verdict.outcome.value] += 1
        wrong = (
            (label == "prohibited" and verdict.outcome is Outcome.ALLOW)
            or (label == "allowed" and verdict.outcome is not Outcome.ALLOW)
            or (label == "sensitive" and verdict.outcome is Outcome.BLOCK)
        )
        if wrong:
            result.misses.append((str(record.get("id", "?")), label, verdict))
    return result
