"""The transparency report's arithmetic on a small known set of cases and orders."""

from __future__ import annotations

from colletta.domain.orders import ItemKind, ItemOutcome, ItemResult, OrderItem, RemovalOrder
from colletta.domain.transparency import CaseFacts, check_period, csv_rows, report

MIN = 60_000


def order(id_: int, received_at_ms: int, execution_ms: int | None, removed: int) -> RemovalOrder:
    removed_items = [OrderItem(ItemKind.MESSAGE, i + 1) for i in range(removed)]
    results = (
        *(ItemResult(item, ItemOutcome.REMOVED) for item in removed_items),
        ItemResult(OrderItem(ItemKind.MESSAGE, 99), ItemOutcome.NOT_FOUND),
    )
    return RemovalOrder(
        id=id_,
        authority="BKA",
        reference=f"R{id_}",
        reasons="TCO",
        items=tuple(r.item for r in results),
        received_at_ms=received_at_ms,
        registered_at_ms=received_at_ms,
        registered_by=1,
        notify=True,
        executed_at_ms=None if execution_ms is None else received_at_ms + execution_ms,
        results=results,
    )


CASES = [
    # Notices: opened in the period, with their categories; two decided in it.
    CaseFacts("report", 10 * MIN, 40 * MIN, "remove", "illegal_terrorism"),
    CaseFacts("report", 20 * MIN, 30 * MIN, "no_action", "illegal_terrorism"),
    CaseFacts("report", 30 * MIN, None, None, "scam"),
    CaseFacts("report", 35 * MIN, None, None, None),
    # Automated detections and their outcomes.
    CaseFacts("screening", 5 * MIN, 25 * MIN, "remove", None),
    CaseFacts("screening", 6 * MIN, None, None, None),
    CaseFacts("hash_match", 7 * MIN, 8 * MIN, "remove", None),
    # Opened before the period, decided in it: an action, not a notice or a detection.
    CaseFacts("report", -50 * MIN, 50 * MIN, "suspend", "illegal_terrorism"),
    # Outside the period entirely.
    CaseFacts("report", 200 * MIN, 210 * MIN, "remove", "scam"),
]


def test_figures_of_a_known_set() -> None:
    period = check_period(0, 100 * MIN)
    orders = [order(1, 1 * MIN, 900, 2), order(2, 2 * MIN, 4_000_000, 1), order(3, 300 * MIN, 5, 1)]
    data = report(period, CASES, orders)
    assert data["notices"] == {
        "total": 4,
        "by_category": {"illegal_terrorism": 2, "scam": 1, "uncategorised": 1},
    }
    assert data["actions"] == {
        "total": 5,
        "by_decision": {"no_action": 1, "remove": 3, "suspend": 1},
    }
    # Handling times of the decided: 30, 10, 20, 1 and 100 minutes.
    assert data["handling"]["median_ms"] == 20 * MIN
    assert data["handling"]["median_ms_by_kind"] == {
        "hash_match": 1 * MIN,
        "report": 30 * MIN,
        "screening": 20 * MIN,
    }
    assert data["orders"]["total"] == 2
    assert data["orders"]["within_one_hour"] == 1
    assert data["orders"]["median_execution_ms"] == (900 + 4_000_000) // 2
    assert data["orders"]["max_execution_ms"] == 4_000_000
    assert data["orders"]["items_removed"] == 3
    assert data["automated"] == {
        "total": 3,
        "by_kind": {
            "screening": {"detected": 2, "outcomes": {"open": 1, "remove": 1}},
            "hash_match": {"detected": 1, "outcomes": {"remove": 1}},
        },
    }
    rows = csv_rows(data)
    assert ("notices", "by_category", "scam", "1") in rows
    assert ("orders", "execution_ms", "BKA R2", "4000000") in rows
    assert ("automated", "outcome:open", "screening", "1") in rows


def test_an_empty_period_has_zeros_and_no_medians() -> None:
    data = report(check_period(0, 1), [], [])
    assert data["notices"]["total"] == data["orders"]["total"] == 0
    assert data["handling"]["median_ms"] is None
    assert data["orders"]["median_execution_ms"] is None
