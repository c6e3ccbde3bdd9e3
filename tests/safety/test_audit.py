"""The audit log is append-only and hash-chained: `colletta admin verify-audit` passes on an
intact log and names the entry that was edited or removed (DESIGN.md §5)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from colletta.actions.accounts import do_register
from colletta.actions.audit import audit, do_verify_audit
from colletta.actions.context import Context
from colletta.actions.moderators import Grant, do_set_grant
from colletta.config import Settings
from colletta.services import build_context, stop_context
from colletta.store.migrate import upgrade_to_head
from colletta.store.schema import audit_log
from tests.conftest import MakePerson

PASSWORD = "correct horse battery"
COLLETTA = str(Path(sys.executable).parent / "colletta")


@pytest.fixture
def ctx(app: Any) -> Context:
    context: Context = app.state.ctx
    return context


async def _fill(ctx: Context, n: int) -> None:
    for i in range(n):
        async with ctx.db.write() as tx:
            await audit(
                ctx,
                tx,
                actor_id=None,
                action="test.entry",
                subject="case",
                subject_id=i,
                data={"i": i},
            )


async def _tamper(ctx: Context, statement: Any) -> None:
    async with ctx.db.write() as tx:
        await tx.conn.execute(statement)


async def test_an_intact_log_verifies(ctx: Context) -> None:
    await _fill(ctx, 5)
    report = await do_verify_audit(ctx)
    assert report.ok
    assert report.entries == 5


async def test_an_edited_entry_is_found(ctx: Context) -> None:
    await _fill(ctx, 5)
    await _tamper(ctx, update(audit_log).where(audit_log.c.seq == 3).values(data='{"i":99}'))
    report = await do_verify_audit(ctx)
    assert report.problems == ("entry 3: edited (its hash does not match its fields)",)


async def test_a_removed_entry_is_found_in_the_middle_and_at_the_end(ctx: Context) -> None:
    await _fill(ctx, 5)
    await _tamper(ctx, delete(audit_log).where(audit_log.c.seq == 2))
    middle = await do_verify_audit(ctx)
    assert "entry 2: missing (next is 3)" in middle.problems
    await _tamper(ctx, delete(audit_log).where(audit_log.c.seq == 5))
    end = await do_verify_audit(ctx)
    assert any("removed from the end" in p for p in end.problems)


async def test_appends_from_concurrent_transactions_form_one_chain(ctx: Context) -> None:
    async def one(i: int) -> None:
        async with ctx.db.write() as tx:
            await audit(ctx, tx, actor_id=None, action="race", subject="case", subject_id=i)

    await asyncio.gather(*(one(i) for i in range(20)))
    report = await do_verify_audit(ctx)
    assert report.ok
    assert report.entries == 20


async def test_grants_are_audited_and_open_the_audit_log_to_moderators(
    ctx: Context, person: MakePerson
) -> None:
    mod, member = await person(), await person()
    assert (await member.call("GET", "/api/v1/mod/audit")).status_code == 404
    user = await do_set_grant(ctx, mod.username, Grant.MODERATOR, True)
    assert user.is_moderator
    page = await mod.ok("GET", "/api/v1/mod/audit")
    assert page["entries"][0]["action"] == "grant.moderator"
    assert page["entries"][0]["subject_id"] == mod.id
    assert (await mod.ok("GET", "/api/v1/me"))["is_moderator"] is True
    await do_set_grant(ctx, mod.username, Grant.MODERATOR, False)
    assert (await mod.call("GET", "/api/v1/mod/audit")).status_code == 404


def _colletta(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COLLETTA, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_cli_grants_and_finds_a_tampered_entry(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'colletta.db'}",
        data_dir=tmp_path,
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )

    async def register() -> None:
        await upgrade_to_head(settings.database_url)
        ctx = build_context(settings)
        try:
            await do_register(ctx, "mona", PASSWORD)
        finally:
            await stop_context(ctx)

    asyncio.run(register())
    data_dir = ["--data-dir", str(tmp_path)]
    env_config = ["--config", str(_config(tmp_path))]
    granted = _colletta("admin", "grant", "mona", "moderator", *env_config)
    assert granted.returncode == 0, granted.stderr
    assert "moderator=True" in granted.stdout
    assert _colletta("admin", "grant", "mona", "king", *env_config).returncode == 2
    verified = _colletta("admin", "verify-audit", *data_dir)
    assert (verified.returncode, verified.stdout.strip()[:22]) == (0, "audit ok: 1 entries, h")
    with sqlite3.connect(tmp_path / "colletta.db") as conn:
        conn.execute("UPDATE audit_log SET action = 'grant.nothing' WHERE seq = 1")
    tampered = _colletta("admin", "verify-audit", *data_dir)
    assert tampered.returncode == 1
    assert tampered.stdout.splitlines() == ["entry 1: edited (its hash does not match its fields)"]


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "colletta.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n')
    return config
