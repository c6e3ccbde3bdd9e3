"""Media and timer commands of the `colletta` CLI: download, timer; uploads for `send`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from colletta_sdk import cli as base
from colletta_sdk.cli_render import clean, format_duration, format_size
from colletta_sdk.client import Client
from colletta_sdk.models import Chat, Media
from colletta_sdk.transfer import Download
from colletta_sdk.transfer import Progress as ProgressFn

MONTH_S = 30 * 86_400  # `1m`: the month of the clients' "1 day, 1 week, 1 month" choices
_DURATION = re.compile(r"([0-9]{1,9})\s*(s|min|h|d|w|m)?", re.IGNORECASE)
_UNIT_S = {"s": 1, "min": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400, "m": MONTH_S}


def parse_duration(value: str) -> int:
    """Seconds from `3600`, `45s`, `5min`, `1h`, `1d`, `1w` or `1m` (a month, 30 days)."""
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise typer.BadParameter(
            f"{value!r} is not a duration: use seconds, or a number with s, min, h, d, w, "
            "or m (months of 30 days), e.g. 1d"
        )
    return int(match[1]) * _UNIT_S[(match[2] or "s").lower()]


def parse_timer(value: str) -> int | None:
    """A chat timer: `off`, or a duration (`parse_duration`)."""
    return None if value.strip().lower() == "off" else parse_duration(value)


@contextmanager
def transfer_progress() -> Iterator[Progress]:
    """Progress bars for file transfers, on stderr so stdout stays for results."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        yield bar


def _reporter(bar: Progress, task: TaskID) -> ProgressFn:
    def report(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    return report


async def upload_files(client: Client, chat: Chat, paths: Sequence[Path]) -> list[Media]:
    """Upload each file to the chat, one bar per file; returns them in the given order."""
    uploaded: list[Media] = []
    with transfer_progress() as bar:
        for path in paths:
            task = bar.add_task(escape(clean(path.name)), total=None)
            uploaded.append(await client.upload_media(chat.id, path, progress=_reporter(bar, task)))
    return uploaded


def _download(
    server: str | None,
    token: str | None,
    chat_ref: str,
    media_id: str,
    out: Path | None,
    resume: bool,
) -> None:
    async def go() -> Download:
        async with base._authed_client(server, token) as client:
            chat = await base.resolve_chat(client, chat_ref)
            with transfer_progress() as bar:
                task = bar.add_task(f"media {escape(clean(media_id))}", total=None)
                return await client.download_media(
                    chat.id,
                    media_id,
                    out if out is not None else Path.cwd(),
                    progress=_reporter(bar, task),
                    resume=resume,
                )

    done = base._run(go())
    resumed = f", {format_size(done.resumed_from)} of it resumed" if done.resumed_from else ""
    typer.echo(
        clean(f"Saved {done.filename} ({format_size(done.size_bytes)}{resumed}) to {done.path}.")
    )


def _timer(server: str | None, token: str | None, chat_ref: str, seconds: int | None) -> None:
    async def go() -> tuple[Chat, Chat]:
        async with base._authed_client(server, token) as client:
            chat = await base.resolve_chat(client, chat_ref)
            return chat, await client.set_message_ttl(chat.id, seconds)

    # The title as `resolve_chat` saw it: the server's answer to the PUT leaves a direct
    # chat's title (the other user's name) empty.
    chat, updated = base._run(go())
    title = clean(chat.title)
    if updated.message_ttl_s is None:
        typer.echo(f"Messages in {title} no longer disappear.")
    else:
        ttl = format_duration(updated.message_ttl_s)
        typer.echo(f"New messages in {title} disappear after {ttl}.")


def register(app: typer.Typer) -> None:
    """Add `download` and `timer` to `app`."""

    @app.command("download")
    def download(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        media_id: Annotated[str, typer.Argument(help="The file's id (`history` shows them).")],
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="File to write, or a directory for the sender's file name "
                "(default: the current directory).",
                show_default=False,
            ),
        ] = None,
        resume: Annotated[
            bool, typer.Option("--resume/--restart", help="Complete a partial file.")
        ] = True,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Download a file sent in a chat, with a progress bar; resumes a partial download."""
        _download(server, token, chat, media_id, out, resume)

    @app.command("timer")
    def timer(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        duration: Annotated[
            str,
            typer.Argument(
                help="off, 1d, 1w, 1m (a month), or seconds (5 s to a year).",
                metavar="off|1d|1w|1m|SECONDS",
            ),
        ],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Set the chat's auto-delete timer for new messages."""
        _timer(server, token, chat, parse_timer(duration))
