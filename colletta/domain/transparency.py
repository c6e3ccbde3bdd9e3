"""The transparency report for a period (DSA Arts. 15 and 24, TCO Art. 7): pure arithmetic over
the moderation cases and the removal orders of the period, as JSON or as CSV rows.

- notices: REPORT cases opened in the period, by their DSA category (`data.category`);
- actions: cases decided in the period, by decision;
- handling: the median time from opened to decided of those, overall and by kind of case;
- orders: removal orders received in the period and how long each took to execute;
- automated detections: SCREENING, BEHAVIOUR and HASH_MATCH cases opened in the period, and
  what was decided on them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from colletta.domain.orders import LEGAL_LIMIT_MS, ItemOutcome, RemovalOrder
from colletta.errors import InvalidInput

REPORT = "report"
AUTOMATED_KINDS = ("screening", "behaviour", "hash_match")
UNCATEGORISED = "uncategorised"
UNDECIDED = "open"
CSV_HEADER = ("section", "metric", "key", "value")


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the report needs of one case (the `cases` table's row)."""

    kind: str
    opened_at_ms: int
    decided_at_ms: int | None
    decision: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class Period:
    from_ms: int
    to_ms: int

    def has(self, ms: int | None) -> bool:
        return ms is not None and self.from_ms <= ms < self.to_ms


def check_period(from_ms: int, to_ms: int) -> Period:
    if from_ms >= to_ms:
        raise InvalidInput("the period must end after it starts", field="to")
    return Period(from_ms, to_ms)


def _median(values: Sequence[int]) -> int | None:
    return int(statistics.median(values)) if values else None


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _handling_ms(case: CaseFacts) -> int:
    assert case.decided_at_ms is not None
    return case.decided_at_ms - case.opened_at_ms


def report(
    period: Period, cases: Sequence[CaseFacts], orders: Sequence[RemovalOrder]
) -> dict[str, Any]:
    """The report of `period` from every case opened or decided in it and every order
    received in it (others are ignored, so callers may pass more)."""
    opened = [c for c in cases if period.has(c.opened_at_ms)]
    decided = [c for c in cases if period.has(c.decided_at_ms)]
    notices = [c for c in opened if c.kind == REPORT]
    automated = [c for c in opened if c.kind in AUTOMATED_KINDS]
    received = [o for o in orders if period.has(o.received_at_ms)]
    executed = [o.execution_ms for o in received if o.execution_ms is not None]
    by_kind: dict[str, list[int]] = {}
    for case in decided:
        by_kind.setdefault(case.kind, []).append(_handling_ms(case))
    return {
        "period": {"from_ms": period.from_ms, "to_ms": period.to_ms},
        "notices": {
            "total": len(notices),
            "by_category": _counts(c.category or UNCATEGORISED for c in notices),
        },
        "actions": {
            "total": len(decided),
            "by_decision": _counts(c.decision or UNDECIDED for c in decided),
        },
        "handling": {
            "median_ms": _median([_handling_ms(c) for c in decided]),
            "median_ms_by_kind": {
                kind: _median(values) for kind, values in sorted(by_kind.items())
            },
        },
        "orders": {
            "total": len(received),
            "executed": len(executed),
            "within_one_hour": sum(1 for ms in executed if ms <= LEGAL_LIMIT_MS),
            "median_execution_ms": _median(executed),
            "max_execution_ms": max(executed, default=None),
            "items_removed": sum(
                1 for o in received for r in o.results if r.outcome is ItemOutcome.REMOVED
            ),
            "orders": [
                {
                    "id": str(o.id),
                    "authority": o.authority,
                    "reference": o.reference,
                    "received_at_ms": o.received_at_ms,
                    "execution_ms": o.execution_ms,
                }
                for o in sorted(received, key=lambda o: o.received_at_ms)
            ],
        },
        "automated": {
            "total": len(automated),
            "by_kind": {
                kind: {
                    "detected": len(of_kind),
                    "outcomes": _counts(
                        (c.decision or UNDECIDED) if c.decided_at_ms is not None else UNDECIDED
                        for c in of_kind
                    ),
                }
                for kind in AUTOMATED_KINDS
                if (of_kind := [c for c in automated if c.kind == kind])
            },
        },
    }


def csv_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The report as (section, metric, key, value) rows: one figure a row."""
    rows: list[tuple[str, str, str, str]] = []

    def add(section: str, metric: str, key: str, value: Any) -> None:
        rows.append((section, metric, key, "" if value is None else str(value)))

    add("period", "from_ms", "", data["period"]["from_ms"])
    add("period", "to_ms", "", data["period"]["to_ms"])
    add("notices", "total", "", data["notices"]["total"])
    for category, count in data["notices"]["by_category"].items():
        add("notices", "by_category", category, count)
    add("actions", "total", "", data["actions"]["total"])
    for decision, count in data["actions"]["by_decision"].items():
        add("actions", "by_decision", decision, count)
    add("handling", "median_ms", "", data["handling"]["median_ms"])
    for kind, median_ms in data["handling"]["median_ms_by_kind"].items():
        add("handling", "median_ms_by_kind", kind, median_ms)
    orders = data["orders"]
    for metric in (
        "total",
        "executed",
        "within_one_hour",
        "median_execution_ms",
        "max_execution_ms",
        "items_removed",
    ):
        add("orders", metric, "", orders[metric])
    for order in orders["orders"]:
        add(
            "orders",
            "execution_ms",
            f"{order['authority']} {order['reference']}",
            order["execution_ms"],
        )
    add("automated", "total", "", data["automated"]["total"])
    for kind, figures in data["automated"]["by_kind"].items():
        add("automated", "detected", kind, figures["detected"])
        for outcome, count in figures["outcomes"].items():
            add("automated", f"outcome:{outcome}", kind, count)
    return rows
