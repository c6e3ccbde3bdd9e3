"""The ledger as the operator checks it (`colletta admin check-ledger`, docs/ledger.md)."""

from __future__ import annotations

from dataclasses import dataclass

from colletta.actions.context import Context
from colletta.store import ledger_check
from colletta.store.ledger_check import LedgerSize, Problem


@dataclass(frozen=True, slots=True)
class LedgerReport:
    problems: list[Problem]
    size: LedgerSize


async def check_ledger(ctx: Context) -> LedgerReport:
    """Every check of `store.ledger_check`, on one snapshot of the database (a live one
    included), and how big the ledger is."""
    async with ctx.db.read() as conn:
        if not ctx.db.is_sqlite:
            await ledger_check.begin_snapshot(conn)
        problems = await ledger_check.check_ledger(conn)
        return LedgerReport(problems=problems, size=await ledger_check.ledger_size(conn))
