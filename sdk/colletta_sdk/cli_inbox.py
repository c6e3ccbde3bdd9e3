"""`colletta inbox`: what the service told the user — statements of reasons (something of
theirs was restricted, and why), report outcomes, warnings — newest last."""

from __future__ import annotations

import typer

from colletta_sdk import cli as base
from colletta_sdk.cli_render import clean, format_time
from colletta_sdk.safety import Notice, Statement


def notice_line(notice: Notice) -> str:
    """One line a person reads: a statement's facts, else the notice's own text."""
    statement = notice.data.get("statement")
    if isinstance(statement, dict):
        return f"Statement of reasons: {statement.get('facts', '')}"
    text = notice.data.get("text") or notice.data.get("detail") or ""
    return f"{notice.kind}: {text}" if text else notice.kind


def statement_lines(statement: Statement) -> list[str]:
    """A statement as a few lines a person reads (a table wraps it into nothing)."""
    how = "automated decision" if statement.automated else "decided by a person"
    return [
        f"Statement {statement.id} · {format_time(statement.created_at_ms)} · {how}",
        f"  {clean(statement.facts)}",
        f"  Rules: {', '.join(statement.rule_ids) or '-'}",
    ]


def register(app: typer.Typer) -> None:
    @app.command("inbox")
    def inbox(
        statements: bool = typer.Option(
            False, "--statements", help="List statements of reasons with their rules."
        ),
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Notices from the service: statements of reasons, report outcomes, warnings."""

        async def go() -> tuple[list[Notice], list[Statement]]:
            async with base._authed_client(server, token) as client:
                if statements:
                    return [], await client.statements()
                return await client.notices(limit=200), []

        notices, found = base._run(go())
        if statements:
            if not found:
                typer.echo("No statements of reasons: nothing of yours was restricted.")
                return
            for statement in found:
                typer.echo("\n".join(statement_lines(statement)))
            typer.echo("You can complain against a decision within 6 months.")
            return
        if not notices:
            typer.echo("Your inbox is empty.")
            return
        for notice in notices:
            typer.echo(f"{format_time(notice.created_at_ms)}  {clean(notice_line(notice))}")
