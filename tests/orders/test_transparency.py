"""The transparency report from the cases and orders tables, through the API (JSON and CSV)
and `colletta admin transparency`, on a small known set."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from typer.testing import CliRunner

from colletta.actions.cases import decide_case, open_case
from colletta.cli import app as cli_app
from colletta.clock import FakeClock
from colletta.config import Settings
from colletta.domain.cases import CaseKind, Subject
from tests.conftest import MakePerson
from tests.orders.helpers import image_post, operator_of, order_body
from tests.test_messages import make_group

MIN = 60_000
DAY_MS = 24 * 60 * MIN


async def known_set(ctx: Any, clock: FakeClock) -> None:
    """Three notices (two decided after 10 and 30 minutes), one screening case refused at
    once, one hash match still open."""

    async def case(kind: CaseKind, category: str | None = None, decision: str | None = None) -> int:
        async with ctx.db.write() as tx:
            opened = await open_case(
                ctx,
                tx,
                kind=kind,
                subject=Subject.MESSAGE,
                subject_id=1,
                data={"category": category} if category else None,
                decision=decision,
            )
        return opened.id

    async def decide(case_id: int, decision: str) -> None:
        async with ctx.db.write() as tx:
            await decide_case(ctx, tx, case_id, decided_by=None, decision=decision)

    terror = await case(CaseKind.REPORT, "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY")
    scam = await case(CaseKind.REPORT, "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
    await case(CaseKind.REPORT, "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
    await case(CaseKind.SCREENING, decision="refused")
    await case(CaseKind.HASH_MATCH)
    clock.advance(10 * MIN)
    await decide(scam, "no_action")
    clock.advance(20 * MIN)
    await decide(terror, "removed")


async def test_the_report_counts_a_known_set(
    person: MakePerson, app: Any, http: Any, clock: FakeClock, settings: Settings
) -> None:
    ctx = app.state.ctx
    start_ms = clock.now_ms()
    uploader = await person()
    op = await operator_of(http, ctx)
    await known_set(ctx, clock)
    chat_id = await make_group(uploader)
    bad, _ = await image_post(uploader, chat_id)
    received_at_ms = clock.now_ms()
    clock.advance(90_000)  # registered 90 s after it arrived
    await op.ok(
        "POST",
        "/api/v1/orders",
        json=order_body(f"message:{bad['id']}", received_at_ms=received_at_ms, notify=False),
    )
    period = {"from_ms": start_ms, "to_ms": start_ms + DAY_MS}

    data = await op.ok("GET", "/api/v1/transparency", params=period)

    assert data["notices"] == {
        "total": 3,
        "by_category": {
            "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": 1,
            "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": 2,
        },
    }
    # Decided: the two notices, the refused screening, the order's case.
    assert data["actions"] == {
        "total": 4,
        "by_decision": {"no_action": 1, "refused": 1, "removed": 2},
    }
    assert data["handling"]["median_ms_by_kind"] == {
        "order": 0,
        "report": 20 * MIN,
        "screening": 0,
    }
    assert data["handling"]["median_ms"] == 5 * MIN  # of 0, 0, 10 and 30 minutes
    orders = data["orders"]
    assert (orders["total"], orders["within_one_hour"], orders["items_removed"]) == (1, 1, 1)
    assert orders["median_execution_ms"] == orders["max_execution_ms"] == 90_000
    assert data["automated"] == {
        "total": 2,
        "by_kind": {
            "screening": {"detected": 1, "outcomes": {"refused": 1}},
            "hash_match": {"detected": 1, "outcomes": {"open": 1}},
        },
    }
    # Before the period: nothing.
    earlier = {"from_ms": start_ms - DAY_MS, "to_ms": start_ms}
    empty = await op.ok("GET", "/api/v1/transparency", params=earlier)
    assert empty["notices"]["total"] == empty["orders"]["total"] == 0

    got = await op.call("GET", "/api/v1/transparency", params={**period, "format": "csv"})
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == ["section", "metric", "key", "value"]
    assert ["orders", "median_execution_ms", "", "90000"] in rows
    assert ["automated", "outcome:open", "hash_match", "1"] in rows

    if settings.database_url.startswith("sqlite"):

        def day(ms: int) -> str:
            return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")

        args = [
            "admin",
            "transparency",
            "--from",
            day(start_ms),
            "--to",
            day(start_ms + 2 * DAY_MS),
        ]
        args += ["--database-url", settings.database_url, "--data-dir", str(settings.data_dir)]
        result = await asyncio.to_thread(CliRunner().invoke, cli_app, args)
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert printed["notices"] == data["notices"]
        assert printed["orders"]["median_execution_ms"] == 90_000
        as_csv = await asyncio.to_thread(CliRunner().invoke, cli_app, [*args, "--format", "csv"])
        assert "orders,median_execution_ms,,90000" in as_csv.output


async def test_only_the_operator_reads_the_report(person: MakePerson, app: Any) -> None:
    someone = await person()
    got = await someone.call("GET", "/api/v1/transparency", params={"from_ms": 0, "to_ms": 1})
    assert got.status_code == 404
