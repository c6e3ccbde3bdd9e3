"""`colletta block USER`, `colletta unblock USER`, `colletta blocks`."""

from __future__ import annotations

from typing import Annotated

import typer

from colletta_sdk import cli as base
from colletta_sdk.cli_render import clean, format_time
from colletta_sdk.models import Block, User

UserArg = Annotated[str, typer.Argument(help="Their username.")]


def _set_block(server: str | None, token: str | None, username: str, on: bool) -> User:
    async def go() -> User:
        async with base._authed_client(server, token) as client:
            user = await base.resolve_user(client, username)
            if on:
                await client.block(user.id)
            else:
                await client.unblock(user.id)
            return user

    return base._run(go())


def register(app: typer.Typer) -> None:
    """Add `block`, `unblock` and `blocks` to `app`."""

    @app.command("block")
    def block(
        username: UserArg, server: base.ServerOpt = None, token: base.TokenOpt = None
    ) -> None:
        """Block a user: no direct messages or adding you to chats from them, and their
        messages in groups and channels are hidden from you. They are not told."""
        user = _set_block(server, token, username, on=True)
        typer.echo(f"Blocked {clean(user.username)}.")

    @app.command("unblock")
    def unblock(
        username: UserArg, server: base.ServerOpt = None, token: base.TokenOpt = None
    ) -> None:
        """Unblock a user."""
        user = _set_block(server, token, username, on=False)
        typer.echo(f"Unblocked {clean(user.username)}.")

    @app.command("blocks")
    def blocks(server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """List the users you blocked."""

        async def go() -> list[Block]:
            async with base._authed_client(server, token) as client:
                return await client.blocks()

        listed = base._run(go())
        if not listed:
            typer.echo("You have blocked no one.")
        for entry in listed:
            since = format_time(entry.blocked_at_ms)
            typer.echo(f"{clean(entry.username)}  {clean(entry.display_name)}  since {since}")
