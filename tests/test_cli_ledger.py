"""`colletta admin check-ledger` through the real command on a SQLite database: 0 and a
summary when the ledger is sound, 1 and one line per problem (naming the account) when not."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from colletta.store.db import Database
from colletta.store.migrate import upgrade_to_head
from tests.store.test_ledger_check import World, build_world

COLLETTA = str(Path(sys.executable).parent / "colletta")


def check_ledger(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COLLETTA, "admin", "check-ledger", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def written_world(url: str) -> World:
    await upgrade_to_head(url)
    db = Database(url)
    try:
        async with db.write() as tx:
            return await build_world(tx.conn)
    finally:
        await db.dispose()


def test_check_ledger_passes_then_names_the_corrupted_account(tmp_path: Path) -> None:
    world = asyncio.run(written_world(f"sqlite+aiosqlite:///{tmp_path / 'colletta.db'}"))

    clean = check_ledger(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip() == "ledger ok: 3 accounts, 9 transfers, 1 currencies"

    with sqlite3.connect(tmp_path / "colletta.db") as conn:
        conn.execute(
            "UPDATE ledger_accounts SET debits_pending = debits_pending + 7 WHERE key = ?",
            (world.pot_account,),
        )
    broken = check_ledger(tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    lines = broken.stdout.strip().splitlines()
    assert sorted(line.split(":")[0] for line in lines) == [
        "balance_mismatch",
        "ledger_unbalanced_pending",
    ]
    (mismatch,) = [line for line in lines if line.startswith("balance_mismatch")]
    assert f"account {world.pot_account} " in mismatch
    assert "debits_pending 707 but its transfers say 700" in mismatch
    assert "Traceback" not in broken.stderr


def test_an_unmigrated_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = check_ledger(tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("run `colletta migrate`")
    assert "Traceback" not in result.stderr
