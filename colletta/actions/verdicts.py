"""What a restricting screening verdict leaves behind (DESIGN.md §5): a case in the
moderation queue and a statement of reasons to the person it restricts.

BLOCK refuses at once and needs no human, so its case is opened decided ("refused"); HOLD
(frozen) and REVIEW (payouts held) wait for a moderator.
"""

from __future__ import annotations

from dataclasses import dataclass

from colletta.actions.cases import issue_statement, open_case
from colletta.actions.context import Context
from colletta.domain.cases import PRIORITY_AUTOMATED, Case, CaseKind, Subject
from colletta.domain.pots import Pot
from colletta.domain.safety import Outcome, Verdict
from colletta.domain.statements import (
    Automation,
    Category,
    ContentType,
    Ground,
    Monetary,
    Source,
    StatementFacts,
)
from colletta.store.db import Tx

_EFFECT = {
    Outcome.BLOCK: "It was refused and nothing was collected.",
    Outcome.HOLD: "The pot is frozen until a moderator has looked at it: no contributions, "
    "no payouts.",
    Outcome.REVIEW: "The pot collects, but pays nothing out until a moderator has looked at it.",
}


@dataclass(frozen=True, slots=True)
class Screened:
    """What a verdict was about, and whom it restricts; `what` names it for a person."""

    subject: Subject
    subject_id: int
    chat_id: int
    user_id: int
    what: str

    @classmethod
    def pot(cls, pot: Pot, user_id: int, what: str) -> Screened:
        return cls(Subject.POT, pot.id, pot.chat_id, user_id, what)


def screening_facts(verdict: Verdict, what: str, *, kind: CaseKind) -> StatementFacts:
    """The Art. 17 statement for an automated screening verdict on a pot or its spending."""
    outcome = verdict.outcome
    return StatementFacts(
        category=Category.RISK_FOR_PUBLIC_SECURITY,
        ground=Ground.INCOMPATIBLE_CONTENT,
        facts=f"{what}: {verdict.reason} {_EFFECT[outcome]}",
        explanation=(
            "Colletta does not host fundraising for weapons, ammunition, explosives or "
            "terrorist organisations. Automated screening found: " + verdict.reason
        ),
        content_type=ContentType.PRODUCT,
        source=Source.VOLUNTARY,
        automated_detection=True,
        automation=Automation.FULLY,
        monetary=Monetary.TERMINATION if outcome is Outcome.BLOCK else Monetary.SUSPENSION,
        extra={
            "rule_ids": list(verdict.rule_ids),
            "outcome": outcome.value,
            "case_kind": kind.value,
        },
    )


async def record_verdict(
    ctx: Context, tx: Tx, verdict: Verdict, target: Screened, kind: CaseKind = CaseKind.SCREENING
) -> Case | None:
    """Open the case for a restricting verdict and tell the user it restricts why, in `tx`.
    ALLOW leaves nothing."""
    if not verdict.restricts:
        return None
    case = await open_case(
        ctx,
        tx,
        kind=kind,
        subject=target.subject,
        subject_id=target.subject_id,
        chat_id=target.chat_id,
        subject_user_id=target.user_id,
        rule_ids=verdict.rule_ids,
        reason=verdict.reason,
        automated=True,
        priority=PRIORITY_AUTOMATED,
        data={"outcome": verdict.outcome.value, "what": target.what},
        decision="refused" if verdict.outcome is Outcome.BLOCK else None,
    )
    facts = screening_facts(verdict, target.what, kind=kind)
    await issue_statement(ctx, tx, user_id=target.user_id, case_id=case.id, facts=facts)
    return case


async def record_refusal(ctx: Context, verdict: Verdict, target: Screened) -> None:
    """A BLOCK refused something whose own transaction rolls back: record it in one of its
    own, after the caller was found allowed to ask."""
    async with ctx.db.write() as tx:
        await record_verdict(ctx, tx, verdict, target)
