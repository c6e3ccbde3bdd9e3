"""The operator loads hash banks with the SDK and the CLI, against the real server: a long
list goes in parts under the body limit, and the result is what one upload would give."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from colletta_sdk import Client
from colletta_sdk.banks import csv_parts, tcap_parts

from colletta.actions.accounts import do_create_operator
from tests.conftest import PASSWORD, Server
from tests.sdk.conftest import Cli


def random_pdq(n: int, seed: int) -> list[str]:
    rows = np.random.default_rng(seed).integers(0, 256, size=(n, 32), dtype=np.uint8)
    return [row.tobytes().hex() for row in rows]


async def operator_client(server: Server) -> Client:
    await do_create_operator(server.app.state.ctx, "banker", PASSWORD)
    client = Client(server.url)
    await client.login("banker", PASSWORD)
    return client


def test_parts_keep_the_header_and_every_row() -> None:
    text = "signal_type,value\n" + "".join(f"pdq,{v}\n" for v in random_pdq(50, 1))
    parts = list(csv_parts(text, part_bytes=1_000))
    assert len(parts) > 1
    assert all(p.startswith("signal_type,value\n") for p in parts)
    assert sum(p.count("\n") - 1 for p in parts) == 50
    items = [
        {"id": i, "algorithm": "PDQ", "hash_digest": v} for i, v in enumerate(random_pdq(40, 2))
    ]
    chunks = list(tcap_parts(json.dumps({"count": 40, "results": items}), part_bytes=1_000))
    assert [item for c in chunks for item in json.loads(c)] == items


async def test_sdk_imports_a_long_list_in_parts_and_tombstones_apply(server: Server) -> None:
    async with await operator_client(server) as op:
        bank = await op.create_bank("tcap", "TCAP hash list")
        values = random_pdq(3_000, 3)
        text = "signal_type,value,external_id\n" + "".join(
            f"pdq,{v},{i}\n" for i, v in enumerate(values)
        )
        got = await op.import_list(bank.id, "csv", text, part_bytes=50_000)
        assert got.parts > 1
        assert (got.added, got.bank.entries) == (3_000, {"pdq": 3_000})
        # The TCAP list deletes two of them, by id, and adds one MD5.
        page = {
            "results": [
                {"id": 0, "algorithm": "PDQ", "hash_digest": values[0], "deleted": True},
                {"id": 1, "algorithm": "PDQ", "hash_digest": values[1], "deleted": True},
                {"id": 9, "algorithm": "MD5", "hash_digest": "ab" * 16},
            ]
        }
        got = await op.import_list(bank.id, "tcap", json.dumps(page))
        assert (got.added, got.tombstoned) == (1, 2)
        assert got.bank.entries == {"pdq": 2_998, "md5": 1, "inactive": 2}
        assert [b.name for b in await op.banks()] == ["tcap"]


async def test_cli_bank_commands(server: Server, config_dir: Path, tmp_path: Path) -> None:
    op = await operator_client(server)
    try:
        cli = Cli(op, server.url)
        assert "Created news" in await cli("bank", "create", "news")
        listing = tmp_path / "list.csv"
        listing.write_text("signal_type,value\n" + f"pdq,{random_pdq(1, 4)[0]}\n")
        out = await cli("bank", "import", "news", str(listing))
        assert "1 added" in out
        assert "1 pdq" in out
        assert "DISABLED" in await cli("bank", "disable", "news")
        assert "news" in await cli("bank", "list")
        assert "pdq" in await cli("bank", "entries", "news")
        wrong = await cli("bank", "import", "news", str(listing), "--format", "tcap", code=1)
        assert "not a TCAP hash list" in wrong
    finally:
        await op.aclose()
