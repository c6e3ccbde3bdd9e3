"""`colletta`: the server's commands (serve, migrate, admin …) and the user commands of the SDK."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import typer
from colletta_sdk.cli import register as register_client_commands

from colletta.config import Settings, SettingsError, config_example, load_settings
from colletta.errors import ColettaError
from colletta.log import setup_logging

# The server's modules (the app, actions, stores) are imported by the commands that use
# them: the client commands (`colletta send`, `tail`, `report`…) and `--help` start in a
# fraction of the ~2 s that importing the whole server takes.
if TYPE_CHECKING:
    from fastapi import FastAPI

    from colletta.actions.context import Context

T = TypeVar("T")
app = typer.Typer(help="Colletta: a self-hosted community messenger.", no_args_is_help=True)
admin = typer.Typer(help="Operator commands that work on the database directly.")
app.add_typer(admin, name="admin")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except SettingsError as exc:
        typer.echo(f"colletta: {exc}", err=True)
        raise typer.Exit(2) from None


def asgi_app() -> FastAPI:
    """Factory for uvicorn: settings come from the environment `serve` prepared."""
    from colletta.app import create_app

    settings = load_settings()
    setup_logging(settings.log_level)
    application = create_app(settings)
    _tune_gc()
    return application


def _tune_gc() -> None:
    """Make full collections rare, keep young ones small.

    Every live delivery allocates an envelope, a frame and a few futures. With CPython's
    thresholds (700, 10, 10) a full collection, which walks every object of every open
    socket, ran every ~70,000 allocations: a chat of 10,000 sockets spent a quarter of the
    server's CPU in it (W2 at M=10,000: p99 2.1 s → 0.43 s, server CPU 6.0 s → 3.8 s).
    A large first threshold (200,000) helped there but made each young collection long
    enough to show in small chats' p99 (M=100: 31 ms against 15 ms). What exists at start-up
    is frozen out of every later collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(2_000, 10, 1_000)


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory.")] = None,
    database_url: Annotated[str | None, typer.Option(help="Database URL.")] = None,
    bus_url: Annotated[str | None, typer.Option(help="memory:// or redis://…")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes.")] = None,
) -> None:
    """Serve the API, the WebSocket and the web client."""
    import uvicorn

    overrides = {
        "host": host,
        "port": port,
        "data_dir": data_dir,
        "database_url": database_url,
        "bus_url": bus_url,
        "workers": workers,
    }
    from colletta.api.server import uvicorn_options
    from colletta.services import check_processes

    settings = _settings(config, **overrides)
    try:
        check_processes(settings)
    except SettingsError as exc:
        typer.echo(f"colletta: {exc}", err=True)
        raise typer.Exit(2) from None
    # Worker processes rebuild the settings from the environment, so hand every value down.
    if config is not None:
        os.environ["COLLETTA_CONFIG"] = str(config)
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"COLLETTA_{key.upper()}"] = str(value)
    setup_logging(settings.log_level)
    options = uvicorn_options(settings)
    options["workers"] = settings.workers
    uvicorn.run("colletta.cli:asgi_app", factory=True, **options)


@app.command()
def migrate(
    config: ConfigOpt = None,
    database_url: Annotated[str | None, typer.Option()] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Bring the database schema up to date."""
    from colletta.store.db import make_private_dir
    from colletta.store.migrate import upgrade_to_head

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    if settings.resolved_database_url.startswith("sqlite"):
        make_private_dir(settings.data_dir)
    asyncio.run(upgrade_to_head(settings.resolved_database_url))
    typer.echo("database is up to date")


@app.command("openapi")
def openapi_command() -> None:
    """Print the OpenAPI document (what /api/openapi.json serves), for code generators."""
    import json

    from colletta.app import create_app

    document = create_app(Settings()).openapi()
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


@app.command("config-example")
def config_example_command() -> None:
    """Print a commented TOML file with every setting and its default."""
    typer.echo(config_example())


def _run_action(settings: Settings, action: str, username: str, password: str) -> None:
    from colletta.actions.accounts import do_create_operator, do_register
    from colletta.services import build_context, stop_context

    async def run() -> None:
        ctx = build_context(settings)
        try:
            if action == "operator":
                user = await do_create_operator(ctx, username, password)
            else:
                user = await do_register(ctx, username, password)
        finally:
            await stop_context(ctx)
        typer.echo(f"created {user.username} ({user.id})")

    try:
        asyncio.run(run())
    except ColettaError as exc:
        typer.echo(f"colletta: {exc.detail}", err=True)
        raise typer.Exit(1) from None


def _with_context(
    settings: Settings, work: Callable[[Context], Awaitable[T]], *, error_exit: int = 1
) -> T:
    """Run `work` with a Context built from `settings`; a ColettaError is one line on stderr
    and exit code `error_exit`."""
    from colletta.services import build_context, stop_context
    from colletta.store.migrate import check_schema

    async def run() -> T:
        await check_schema(settings.resolved_database_url)
        ctx = build_context(settings)
        try:
            return await work(ctx)
        finally:
            await stop_context(ctx)

    try:
        return asyncio.run(run())
    except ColettaError as exc:
        typer.echo(f"colletta: {exc.detail}", err=True)
        raise typer.Exit(error_exit) from None
    except SettingsError as exc:
        typer.echo(f"colletta: {exc}", err=True)
        raise typer.Exit(error_exit) from None


def _set_grant(config: Path | None, username: str, grant: str, value: bool) -> None:
    from colletta.actions.moderators import Grant, do_set_grant

    try:
        kind = Grant(grant)
    except ValueError:
        typer.echo("colletta: grant moderator or trusted-flagger", err=True)
        raise typer.Exit(2) from None
    user = _with_context(_settings(config), lambda ctx: do_set_grant(ctx, username, kind, value))
    typer.echo(
        f"{user.username}: moderator={user.is_moderator} trusted-flagger={user.trusted_flagger}"
    )


@admin.command("grant")
def grant_command(username: str, grant: str, config: ConfigOpt = None) -> None:
    """Make USERNAME a moderator or a trusted flagger (GRANT: moderator | trusted-flagger)."""
    _set_grant(config, username, grant, True)


@admin.command("revoke")
def revoke_command(username: str, grant: str, config: ConfigOpt = None) -> None:
    """Take moderator or trusted-flagger status away from USERNAME."""
    _set_grant(config, username, grant, False)


@admin.command("verify-audit")
def verify_audit_command(
    config: ConfigOpt = None,
    database_url: Annotated[str | None, typer.Option()] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Check the audit log's hash chain: exit 0 if intact, 1 with one line per edited or
    removed entry, 2 if it could not be checked."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    from colletta.actions.audit import do_verify_audit

    report = _with_context(settings, do_verify_audit, error_exit=2)
    if report.ok:
        typer.echo(f"audit ok: {report.entries} entries, head {report.head_hash[:16]}")
        return
    for problem in report.problems:
        typer.echo(problem)
    typer.echo(f"audit NOT ok: {len(report.problems)} problems", err=True)
    raise typer.Exit(1)


def _utc_ms(value: str, option: str) -> int:
    """2026-01-01 (midnight UTC) or an ISO 8601 time (UTC unless it names a zone)."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        typer.echo(f"colletta: {option} {value!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


@admin.command("transparency")
def transparency_command(
    from_: Annotated[str, typer.Option("--from", help="Start: YYYY-MM-DD (UTC), inclusive.")],
    to: Annotated[str, typer.Option("--to", help="End: YYYY-MM-DD (UTC), exclusive.")],
    format_: Annotated[
        Literal["json", "csv"], typer.Option("--format", help="json or csv.")
    ] = "json",
    config: ConfigOpt = None,
    database_url: Annotated[str | None, typer.Option()] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """The transparency report of a period (DSA Arts. 15 and 24, TCO Art. 7): notices by
    category, actions, median handling times, removal orders and their execution times,
    automated detections and their outcomes."""
    import json

    from colletta.actions.transparency import report_csv, transparency_report

    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    from_ms, to_ms = _utc_ms(from_, "--from"), _utc_ms(to, "--to")
    data = _with_context(
        settings, lambda ctx: transparency_report(ctx, from_ms, to_ms), error_exit=2
    )
    if format_ == "csv":
        typer.echo(report_csv(data), nl=False)
    else:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


PasswordOpt = Annotated[
    str,
    typer.Option(
        prompt=True, hide_input=True, confirmation_prompt=True, envvar="COLLETTA_NEW_PASSWORD"
    ),
]


@admin.command("create-operator")
def create_operator(username: str, password: PasswordOpt, config: ConfigOpt = None) -> None:
    """Create the operator account (only one may exist)."""
    _run_action(_settings(config), "operator", username, password)


@admin.command("create-user")
def create_user(username: str, password: PasswordOpt, config: ConfigOpt = None) -> None:
    """Create an ordinary account without the registration rate limit."""
    _run_action(_settings(config), "user", username, password)


@admin.command("check-ledger")
def check_ledger_command(
    config: ConfigOpt = None,
    database_url: Annotated[str | None, typer.Option()] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Check the ledger: every currency balances, every account equals its transfers, and
    contributions, proposals and pots agree with it. Exit 0 if so, 1 with one line per
    problem if not, 2 if it could not be checked."""
    settings = _settings(config, database_url=database_url, data_dir=data_dir)
    from colletta.actions.ledger import check_ledger

    report = _with_context(settings, check_ledger, error_exit=2)
    size = report.size
    counts = f"{size.accounts} accounts, {size.transfers} transfers, {size.currencies} currencies"
    if not report.problems:
        typer.echo(f"ledger ok: {counts}")
        return
    for problem in report.problems:
        typer.echo(f"{problem.code}: {problem.text}")
    typer.echo(f"ledger NOT ok: {len(report.problems)} problems in {counts}", err=True)
    raise typer.Exit(1)


safety = typer.Typer(help="Trust & safety: screening of pot purposes (docs/trust-and-safety.md).")
app.add_typer(safety, name="safety")


@safety.command("screen")
def safety_screen() -> None:
    """Screen pots given as JSON lines on stdin; print each with `verdict` and `rules` added."""
    import json
    import sys

    from colletta.safety.evaluation import screen_record
    from colletta.safety.screening import Screener

    screener = Screener()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            typer.echo(f"colletta: not a JSON line: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(json.dumps(screen_record(screener, record), ensure_ascii=False))


@safety.command("evaluate")
def safety_evaluate(
    file: Annotated[Path, typer.Argument(help="JSON lines with a `label` each.")],
) -> None:
    """Precision, recall and false-positive rate of the screen on a labelled file."""
    import json

    from colletta.safety.evaluation import evaluate
    from colletta.safety.screening import Screener

    with file.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    for line in evaluate(Screener(), records).lines():
        typer.echo(line)


def main() -> None:
    register_client_commands(app)
    app(prog_name="colletta")


if __name__ == "__main__":
    main()
