"""What the transparency report reads of the cases table: every case opened or decided in a
period, reduced to the figures the report needs."""

from __future__ import annotations

import orjson
from sqlalchemy import and_, or_, select

from colletta.domain.transparency import CaseFacts, Period
from colletta.store.db import Conn
from colletta.store.schema import cases


async def get_case_facts(conn: Conn, period: Period) -> list[CaseFacts]:
    opened = and_(cases.c.opened_at_ms >= period.from_ms, cases.c.opened_at_ms < period.to_ms)
    decided = and_(cases.c.decided_at_ms >= period.from_ms, cases.c.decided_at_ms < period.to_ms)
    rows = await conn.execute(
        select(
            cases.c.kind,
            cases.c.opened_at_ms,
            cases.c.decided_at_ms,
            cases.c.decision,
            cases.c.data,
        ).where(or_(opened, decided))
    )
    return [
        CaseFacts(
            kind=row.kind,
            opened_at_ms=row.opened_at_ms,
            decided_at_ms=row.decided_at_ms,
            decision=row.decision,
            category=_category(row.data),
        )
        for row in rows
    ]


def _category(data: str) -> str | None:
    value = orjson.loads(data or "{}").get("category")
    return value if isinstance(value, str) else None
