"""The transparency report for a period (domain/transparency.py), for the operator."""

from __future__ import annotations

import csv
import io
from typing import Any

from colletta.actions.callers import Caller, check_operator_or_hidden
from colletta.actions.context import Context
from colletta.domain.transparency import CSV_HEADER, check_period, csv_rows, report
from colletta.store import orders as order_store
from colletta.store import transparency as store


async def transparency_report(ctx: Context, from_ms: int, to_ms: int) -> dict[str, Any]:
    """Computed from the cases and removal orders tables in one snapshot."""
    period = check_period(from_ms, to_ms)
    async with ctx.db.read() as conn:
        cases = await store.get_case_facts(conn, period)
        orders = await order_store.get_orders(conn, from_ms=from_ms, to_ms=to_ms, limit=None)
    return report(period, cases, orders)


async def access_transparency_report(
    ctx: Context, caller: Caller, from_ms: int, to_ms: int
) -> dict[str, Any]:
    check_operator_or_hidden(caller)
    return await transparency_report(ctx, from_ms, to_ms)


def report_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(data))
    return out.getvalue()
