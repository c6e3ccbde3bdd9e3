"""Cases: one thing a moderator may have to look at (DESIGN.md §5).

A screening verdict that restricts, a hash match, the reports about one subject and a removal
order each open a case. Automated cases may be decided at once (a refusal, a block) and still
sit in the queue's history for the transparency report; open ones wait for a human.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from colletta.errors import Conflict


class CaseKind(StrEnum):
    SCREENING = "screening"  # pot texts, proposals, announcements (safety.screening)
    BEHAVIOUR = "behaviour"  # the FATF red flags over a pot's money
    HASH_MATCH = "hash_match"  # media matched a hash bank
    REPORT = "report"  # notices from users and trusted flaggers (DSA Art. 16, 22)
    ORDER = "order"  # removal orders (TCO Regulation 2021/784)
    APPEAL = "appeal"  # complaints against a decision (DSA Art. 20)

    @property
    def automated(self) -> bool:
        return self in _AUTOMATED


_AUTOMATED = frozenset({CaseKind.SCREENING, CaseKind.BEHAVIOUR, CaseKind.HASH_MATCH})


class Subject(StrEnum):
    MESSAGE = "message"
    USER = "user"
    CHAT = "chat"
    POT = "pot"
    MEDIA = "media"
    PROPOSAL = "proposal"
    STATEMENT = "statement"
    ORDER = "order"
    BANK = "bank"
    CASE = "case"


class CaseDecided(Conflict):
    type = "case_decided"
    title = "Case already decided"


class CaseStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


# Queue priorities: higher goes first, then older.
PRIORITY_ORDER = 100  # a removal order runs against a one-hour legal deadline
PRIORITY_HASH_MATCH = 50
PRIORITY_TRUSTED_FLAGGER = 20  # DSA Art. 22: trusted flaggers' notices go first
PRIORITY_AUTOMATED = 10
PRIORITY_REPORT = 0


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    kind: CaseKind
    status: CaseStatus
    priority: int
    subject: Subject
    subject_id: int
    chat_id: int | None
    subject_user_id: int | None
    rule_ids: tuple[str, ...]
    reason: str
    automated: bool
    opened_at_ms: int
    decided_at_ms: int | None = None
    decided_by: int | None = None
    decision: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN

    def view(self) -> dict[str, Any]:
        def ident(value: int | None) -> str | None:
            return None if value is None else str(value)

        return {
            "id": str(self.id),
            "kind": self.kind.value,
            "status": self.status.value,
            "priority": self.priority,
            "subject": self.subject.value,
            "subject_id": str(self.subject_id),
            "chat_id": ident(self.chat_id),
            "subject_user_id": ident(self.subject_user_id),
            "rule_ids": list(self.rule_ids),
            "reason": self.reason,
            "automated": self.automated,
            "opened_at_ms": self.opened_at_ms,
            "decided_at_ms": self.decided_at_ms,
            "decided_by": ident(self.decided_by),
            "decision": self.decision,
            "data": self.data,
        }
