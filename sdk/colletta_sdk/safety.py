"""The trust & safety calls of `Client` every user has (docs/trust-and-safety.md): their inbox
of notices, their statements of reasons; and, for moderators, the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from colletta_sdk.models import Json, _id
from colletta_sdk.wire import Transport, drop_none, seg


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the service told the user: `kind` is statement, report.received,
    report.decided, warning, appeal.decided or order.executed; `data` is the rest."""

    id: str
    kind: str
    created_at_ms: int
    data: Json

    @classmethod
    def from_json(cls, d: Json) -> Notice:
        return cls(
            id=_id(d["id"]),
            kind=str(d["kind"]),
            created_at_ms=int(d["created_at_ms"]),
            data=dict(d.get("data") or {}),
        )


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement of reasons (DSA Art. 17): what was restricted and why; `data` keeps the
    whole answer (visibility, monetary, provision, account, ground, category, redress…)."""

    id: str
    case_id: str | None
    facts: str
    rule_ids: tuple[str, ...]
    automated: bool
    created_at_ms: int
    data: Json

    @classmethod
    def from_json(cls, d: Json) -> Statement:
        return cls(
            id=_id(d["id"]),
            case_id=str(d["case_id"]) if d.get("case_id") else None,
            facts=str(d.get("facts") or ""),
            rule_ids=tuple(d.get("rule_ids") or ()),
            automated=d.get("automation") != "AUTOMATED_DECISION_NOT_AUTOMATED",
            created_at_ms=int(d["created_at_ms"]),
            data=dict(d),
        )


class SafetyMethods(Transport):
    """Mixed into `Client`, which supplies the transport (`Transport`)."""

    async def notices(self, *, after: str | None = None, limit: int = 50) -> list[Notice]:
        """The inbox, oldest first after the notice id `after`."""
        page = await self._json("GET", "/me/notices", params=drop_none(after=after, limit=limit))
        return [Notice.from_json(n) for n in page["notices"]]

    async def statements(self, *, before: str | None = None, limit: int = 50) -> list[Statement]:
        """Statements of reasons sent to this user, newest first."""
        page = await self._json(
            "GET", "/me/statements", params=drop_none(before=before, limit=limit)
        )
        return [Statement.from_json(s) for s in page["statements"]]

    async def statement(self, statement_id: str, *, transparency_db: bool = False) -> Json:
        """One statement; `transparency_db=True` gives it in the DSA Transparency Database's
        submission schema (moderators and the operator submit those)."""
        params = {"format": "transparency-db"} if transparency_db else None
        return await self._json("GET", f"/statements/{seg(statement_id)}", params=params)

    async def audit_log(
        self,
        *,
        subject: str | None = None,
        subject_id: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[Json]:
        """Audit entries, newest first (moderators and the operator)."""
        params = drop_none(subject=subject, subject_id=subject_id, before=before, limit=limit)
        page = await self._json("GET", "/mod/audit", params=params)
        return list(page["entries"])
