"""Checking what the operator types in: items, texts, the time received."""

from __future__ import annotations

from typing import Any

import pytest

from colletta.domain.orders import ItemKind, OrderItem, check_order, parse_item
from colletta.errors import InvalidInput

NOW = 1_800_000_000_000


def checked(**changes: Any) -> Any:
    values: dict[str, Any] = {
        "authority": " Europol IRU ",
        "reference": "IRU-1",
        "reasons": "Terrorist content",
        "items": ["message:12", "media:7"],
        "received_at_ms": NOW - 1,
        "now_ms": NOW,
        "notify": True,
        **changes,
    }
    return check_order(**values)


def test_items_are_parsed_kept_in_order_and_repeats_dropped() -> None:
    order = checked(items=["media:7", " message:12", "media:7"])
    assert order.items == (OrderItem(ItemKind.MEDIA, 7), OrderItem(ItemKind.MESSAGE, 12))
    assert order.authority == "Europol IRU"
    assert parse_item("message:12").ref() == "message:12"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": []}, "items"),
        ({"items": ["pot:1"]}, "items"),
        ({"items": ["message:abc"]}, "items"),
        ({"items": ["message:0"]}, "items"),
        ({"items": [f"message:{2**63}"]}, "items"),
        ({"authority": "  "}, "authority"),
        ({"reference": "x" * 201}, "reference"),
        ({"reasons": ""}, "reasons"),
        ({"received_at_ms": NOW + 1}, "received_at"),
    ],
)
def test_what_is_refused_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked(**change)
    assert refused.value.extra["field"] == field
