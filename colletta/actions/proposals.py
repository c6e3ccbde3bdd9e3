"""Spending proposals and their votes (filled in by the proposals work)."""

from __future__ import annotations

from colletta.actions.context import Context


async def close_vote(ctx: Context, proposal_id: int) -> None:
    """The proposal's window ended: decide it (the pot worker's PROPOSAL task)."""
