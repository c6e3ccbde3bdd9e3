"""Hash-bank commands of the `colletta` CLI, for the operator (moderators may list):
`colletta bank create | list | enable | disable | add | import | entries | disable-entry`.

See docs/trust-and-safety.md, "Hash banks".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from colletta_sdk import cli as base
from colletta_sdk.banks import Bank, Imported
from colletta_sdk.cli_render import clean, format_time
from colletta_sdk.client import Client

BankArg = Annotated[str, typer.Argument(help="The bank's id or name (`colletta bank list`).")]


async def _bank_id(client: Client, ref: str) -> str:
    if ref.isdigit():
        return ref
    for bank in await client.banks():
        if bank.name == ref.strip().lower():
            return bank.id
    raise base.CliError(f"No bank named {clean(ref)!r}.")


def _describe(bank: Bank) -> str:
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(bank.entries.items())) or "empty"
    state = "enabled" if bank.enabled else "DISABLED"
    return f"{clean(bank.name)} ({bank.id}): {state}, {counts}"


def register(app: typer.Typer) -> None:
    """Add the `bank` commands to `app`."""
    bank = typer.Typer(help="Hash banks: lists of known terrorist content media is matched to.")
    bank.info.no_args_is_help = True
    app.add_typer(bank, name="bank")

    @bank.command("create")
    def create(
        name: Annotated[str, typer.Argument(help="a-z, 0-9, '_', '-', '.'")],
        description: Annotated[str, typer.Option(help="Where the list comes from.")] = "",
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Create an empty, enabled bank."""

        async def go() -> Bank:
            async with base._authed_client(server, token) as client:
                return await client.create_bank(name, description)

        typer.echo(f"Created {_describe(base._run(go()))}")

    @bank.command("list")
    def list_(server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """Every bank and its live entries."""

        async def go() -> list[Bank]:
            async with base._authed_client(server, token) as client:
                return await client.banks()

        banks = base._run(go())
        table = Table("id", "name", "state", "entries", "created")
        for b in banks:
            counts = ", ".join(f"{n} {kind}" for kind, n in sorted(b.entries.items()))
            state = "enabled" if b.enabled else "disabled"
            table.add_row(b.id, clean(b.name), state, counts, format_time(b.created_at_ms))
        Console().print(table)

    def _set_enabled(ref: str, enabled: bool, server: str | None, token: str | None) -> None:
        async def go() -> Bank:
            async with base._authed_client(server, token) as client:
                return await client.set_bank_enabled(await _bank_id(client, ref), enabled)

        typer.echo(_describe(base._run(go())))

    @bank.command("enable")
    def enable(ref: BankArg, server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """Its entries match again, on every node within seconds."""
        _set_enabled(ref, True, server, token)

    @bank.command("disable")
    def disable(ref: BankArg, server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """Its entries stop matching, on every node within seconds; they are kept."""
        _set_enabled(ref, False, server, token)

    @bank.command("add")
    def add(
        ref: BankArg,
        signal_type: Annotated[str, typer.Argument(help="pdq, md5 or sha256")],
        value: Annotated[str, typer.Argument(help="The hash, in hex.")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Add one entry."""

        async def go() -> Bank:
            async with base._authed_client(server, token) as client:
                bank_id = await _bank_id(client, ref)
                return await client.add_bank_entry(bank_id, signal_type.lower(), value)

        typer.echo(_describe(base._run(go())))

    @bank.command("import")
    def import_(
        ref: BankArg,
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        fmt: Annotated[
            str, typer.Option("--format", help="csv, or tcap (TCAP's hash list JSON).")
        ] = "csv",
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Load a hash list: new entries are added, the list's deleted ones stop matching."""
        if fmt not in ("csv", "tcap"):
            raise typer.BadParameter("csv or tcap", param_hint="--format")
        text = file.read_text(encoding="utf-8")

        async def go() -> Imported:
            async with base._authed_client(server, token) as client:
                return await client.import_list(await _bank_id(client, ref), fmt, text)

        got = base._run(go())
        typer.echo(
            f"{got.added} added, {got.tombstoned} deleted, {got.unchanged} unchanged, "
            f"{got.skipped} of other types skipped ({got.parts} parts)"
        )
        typer.echo(_describe(got.bank))

    @bank.command("disable-entry")
    def disable_entry(
        entry_id: Annotated[str, typer.Argument(help="The entry's id (`bank entries`).")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """One entry stops matching (a false positive)."""

        async def go() -> None:
            async with base._authed_client(server, token) as client:
                await client.set_bank_entry_enabled(entry_id, False)

        base._run(go())
        typer.echo(f"Entry {entry_id} disabled.")

    @bank.command("entries")
    def entries(
        ref: BankArg,
        limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """The bank's first entries."""

        async def go() -> list[dict[str, object]]:
            async with base._authed_client(server, token) as client:
                page, _ = await client.bank_entries(await _bank_id(client, ref), limit=limit)
                return page

        table = Table("id", "type", "value", "state")
        for e in base._run(go()):
            state = "deleted" if e["tombstoned"] else "enabled" if e["enabled"] else "disabled"
            table.add_row(str(e["id"]), str(e["signal_type"]), str(e["value"]), state)
        Console().print(table)
