"""`colletta serve` refuses a deployment it cannot run with one line and exit status 2, before
any worker process starts (each would print its own traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COLLETTA = str(Path(sys.executable).parent / "colletta")


@pytest.mark.parametrize(
    ("extra", "needs"),
    [
        ((), "PostgreSQL"),
        (("--database-url", "postgresql+asyncpg://nobody@127.0.0.1:1/none"), "redis://"),
    ],
)
def test_many_workers_without_what_they_need_is_one_line(
    tmp_path: Path, extra: tuple[str, ...], needs: str
) -> None:
    result = subprocess.run(
        [COLLETTA, "serve", "--data-dir", str(tmp_path), "--port", "1", "--workers", "2", *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("colletta: workers: ")
    assert needs in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
