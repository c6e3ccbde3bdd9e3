"""Message commands of the `colletta` CLI: send (with files and timers), history, tail."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any

import typer

from colletta_sdk import cli as base
from colletta_sdk.cache import CacheChange, MessageCache
from colletta_sdk.cli_media import parse_duration, upload_files
from colletta_sdk.cli_render import Names, clean, format_duration, format_time, line
from colletta_sdk.client import Client
from colletta_sdk.models import Chat, Event, Message

TAIL_BACKLOG = 20


def _send(
    server: str | None,
    token: str | None,
    chat_ref: str,
    text: str | None,
    files: list[Path],
    self_destruct_s: int | None,
    view_once: bool,
) -> None:
    if not text and not files:
        base._fail("Give a text, or files with --file.")

    async def go() -> tuple[Chat, Message]:
        async with base._authed_client(server, token) as client:
            chat = await base.resolve_chat(client, chat_ref)
            attachments = await upload_files(client, chat, files) if files else []
            message = await client.send_message(
                chat.id,
                text,
                attachments=attachments,
                self_destruct_s=self_destruct_s,
                view_once=view_once,
            )
            return chat, message

    chat, message = base._run(go())
    count = len(message.attachments)
    with_files = f", {count} file{'s' if count != 1 else ''}" if count else ""
    typer.echo(
        f"Sent to {clean(chat.title)} (message {message.id}, seq {message.seq}{with_files})."
    )


def _history(
    server: str | None, token: str | None, chat_ref: str, limit: int, before_seq: int | None
) -> None:
    async def go() -> list[str]:
        async with base._authed_client(server, token) as client:
            chat = await base.resolve_chat(client, chat_ref)
            page = await client.history(chat.id, limit=limit, before_seq=before_seq)
            names = Names(client, chat)
            await names.load()
            return [line(m, names) for m in page.messages]

    for text in base._run(go()):
        typer.echo(text)


class _Tail:
    """What `tail` has printed, kept in a MessageCache so deletions and expiries show."""

    def __init__(self, client: Client, chat: Chat, names: Names, cache: MessageCache) -> None:
        self.client = client
        self.chat = chat
        self.names = names
        self.cache = cache
        self.shown_seq = 0  # the newest message seq printed (or skipped as deleted)

    def render(self, changes: list[CacheChange]) -> None:
        for change in changes:
            if change.kind == "deleted":
                base._emit(line(change.message, self.names, note="(deleted)"))
            elif change.kind == "expired":
                base._emit(line(change.message, self.names, note="(expired)"))
            else:
                base._emit(line(change.message, self.names))

    async def backlog(self) -> None:
        """The newest messages; after a resync, only those not printed yet."""
        page = await self.client.history(self.chat.id, limit=TAIL_BACKLOG)
        for message in page.messages:
            change = self.cache.put(message)
            if message.seq > self.shown_seq:
                self.shown_seq = message.seq
                if change is not None and change.kind == "added":
                    self.render([change])

    async def handle(self, event: Event) -> None:
        if event.type == "message.created" and event.message is not None:
            if event.message.seq <= self.shown_seq:
                return  # printed with the backlog already
            self.shown_seq = event.message.seq
        elif event.type == "member.joined":
            member: dict[str, Any] = event.data.get("member") or {}
            if member.get("user_id") is not None:
                name = member.get("display_name") or member.get("username") or ""
                self.names.add(str(member["user_id"]), str(name))
        elif event.type == "chat.message_ttl_changed":
            base._emit(self._timer_notice(event))
        elif event.type == "chat.removed":
            raise base.CliError("You are no longer a member of this chat.")
        self.render(self.cache.apply(event))
        if event.type == "resync_required":
            await self.backlog()

    def _timer_notice(self, event: Event) -> str:
        by = self.names.of_user(str(event.data.get("by_user_id") or "?"))
        ttl = event.data.get("message_ttl_s")
        what = "turned the timer off" if ttl is None else f"set the timer to {format_duration(ttl)}"
        return f"[{format_time(int(event.data.get('at_ms') or 0))}] {clean(by)} {what}"


async def _tail_loop(server: str | None, token: str | None, chat_ref: str) -> None:
    url, tok = base.resolve_credentials(server, token)
    if not tok:
        raise base.CliError("Not logged in: run `colletta login`.")
    async with base._make_client(url, tok) as client:
        chat = await base.resolve_chat(client, chat_ref)
        # last_seq before the history call: events after it are replayed live, and the
        # messages among them already printed are skipped by seq.
        chat = await client.chat(chat.id)
        me = await client.me()
        names = Names(client, chat)
        await names.load()
        tail = _Tail(client, chat, names, MessageCache(me.id, clock=base._now_ms))
        await tail.backlog()
        typer.echo(f"-- following {clean(chat.title)}; Ctrl-C to stop --", err=True)
        timer = asyncio.create_task(tail.cache.run_expiry(tail.render))
        try:
            async with base._make_realtime(url, tok, {chat.id: chat.last_seq}) as rt:
                async for event in rt.events():
                    if event.chat_id == chat.id:
                        await tail.handle(event)
        finally:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer


def register(app: typer.Typer) -> None:
    """Add `send`, `history` and `tail` to `app`."""

    @app.command("send")
    def send(
        chat: Annotated[str, typer.Argument(help="Chat id, or a title unique among your chats.")],
        text: Annotated[
            str | None, typer.Argument(help="Message text (optional with --file).")
        ] = None,
        file: Annotated[
            list[Path] | None,
            typer.Option(
                "--file",
                "-f",
                help="Attach a file (repeatable, up to 10).",
                exists=True,
                dir_okay=False,
                readable=True,
                show_default=False,
            ),
        ] = None,
        self_destruct: Annotated[
            str | None,
            typer.Option(
                "--self-destruct",
                metavar="SECONDS",
                help="Direct chats: the message disappears this long after it is read "
                "(your copy: after it is sent); seconds, or 30s, 5min, 1h, 1d.",
                show_default=False,
            ),
        ] = None,
        view_once: Annotated[
            bool,
            typer.Option("--view-once", help="Direct chats: the files open once, then vanish."),
        ] = False,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Send a message, with files uploaded first (each with a progress bar)."""
        seconds = parse_duration(self_destruct) if self_destruct is not None else None
        _send(server, token, chat, text, list(file or []), seconds, view_once)

    @app.command("tail")
    def tail(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Print the last messages of a chat, then new ones as they arrive."""
        base._run(_tail_loop(server, token, chat))

    @app.command("history")
    def history(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
        before_seq: Annotated[
            int | None, typer.Option("--before-seq", min=0, show_default=False)
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Print a page of a chat's messages, oldest first."""
        _history(server, token, chat, limit, before_seq)
