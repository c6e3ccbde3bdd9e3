"""User commands of the `colletta` CLI (login, chats, groups, invites, …) and their plumbing.

The server package owns the Typer app and calls `register(app)`, which also adds the message
commands (`cli_messages`: send, history, tail), the media ones (`cli_media`: download,
timer), the pot ones (`cli_pots`: pot create, show, contribute, …) and the operator's
hash-bank ones (`cli_banks`: bank create, import, disable, …). The token lives in a
0600 JSON file; it and the password are never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import tempfile
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from colletta_sdk.cache import system_clock_ms
from colletta_sdk.cli_render import clean, preview
from colletta_sdk.client import Client
from colletta_sdk.errors import ApiError, AuthError, ColettaSdkError, ProtocolError
from colletta_sdk.models import Chat, User
from colletta_sdk.realtime import RealtimeClient

DEFAULT_SERVER = "http://127.0.0.1:8080"
CONFIG_NAME = "cli.json"
TAIL_BACKLOG = 20

T = TypeVar("T")

ServerOpt = Annotated[
    str | None,
    typer.Option("--server", envvar="COLLETTA_SERVER", help="Server URL.", show_default=False),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="COLLETTA_TOKEN",
        help="Session token (prefer the COLLETTA_TOKEN variable: argv is visible to others).",
        show_default=False,
    ),
]


class CliError(Exception):
    """A failure worth one line on stderr, no traceback."""


# Config file


def config_path() -> Path:
    """$COLLETTA_CONFIG_DIR/cli.json, else ~/.config/colletta/cli.json."""
    base = os.environ.get("COLLETTA_CONFIG_DIR")
    directory = Path(base) if base else Path.home() / ".config" / "colletta"
    return directory / CONFIG_NAME


def load_config() -> dict[str, str]:
    """The stored {server, token}; empty if there is none or it is unreadable."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def save_config(config: Mapping[str, str]) -> None:
    """Replace the config file atomically; it is created 0600 and never exists wider."""
    path = config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600 with O_EXCL, so the token is never readable by others,
    # not even for a moment, and a planted symlink is not followed.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{CONFIG_NAME}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(dict(config), f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _same_server(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.rstrip("/") == b.rstrip("/")


def resolve_credentials(server: str | None, token: str | None) -> tuple[str, str | None]:
    """Options/env first, then the config file; a stored token only goes to its own server."""
    config = load_config()
    url = (server or config.get("server") or DEFAULT_SERVER).rstrip("/")
    if token is None and _same_server(config.get("server"), url):
        token = config.get("token")
    return url, token


# Plumbing (module-level so tests can swap the transport)


def _make_client(server: str, token: str | None) -> Client:
    return Client(server, token)


def _make_realtime(server: str, token: str, cursors: Mapping[str, int]) -> RealtimeClient:
    return RealtimeClient(server, token, cursors)


def _emit(line: str) -> None:
    """Print one message line of `tail` (tests capture it here)."""
    typer.echo(line)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _describe(exc: ApiError) -> str:
    if exc.status == 401:
        return "Not logged in, or the session was revoked: run `colletta login`."
    if exc.type_slug == "rate_limited" and exc.retry_after_s is not None:
        return f"Too many requests; try again in {exc.retry_after_s:g} s."
    return clean(f"Error: {exc.title}" + (f": {exc.detail}" if exc.detail else ""))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one command's coroutine, turning expected failures into a message and exit 1."""
    try:
        return asyncio.run(coro)
    except ApiError as exc:
        _fail(_describe(exc))
    except AuthError:
        _fail("Not logged in, or the session was revoked: run `colletta login`.")
    except CliError as exc:
        _fail(str(exc))
    except ProtocolError as exc:
        _fail(f"Protocol error: {exc}")
    except ColettaSdkError as exc:  # a transfer cut short, a file that changed
        _fail(clean(f"Error: {exc}"))
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        _fail(f"Cannot reach the server: {exc}")
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        _fail(clean(f"Error: {exc.strerror}: {exc.filename}"))
    except OSError as exc:
        _fail(f"Cannot reach the server: {exc}")
    except ValueError as exc:  # a bad server URL, or an answer that is not the API's
        _fail(f"Error: {exc}")
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _authed_client(server: str | None, token: str | None) -> Client:
    url, tok = resolve_credentials(server, token)
    if not tok:
        raise CliError("Not logged in: run `colletta login`.")
    return _make_client(url, tok)


def _device_name() -> str:
    return f"colletta-cli on {socket.gethostname()}"[:64]


def _now_ms() -> int:
    """The clock that decides when a message has expired on screen (`tail`)."""
    return system_clock_ms()


# Lookups


async def resolve_chat(client: Client, ref: str) -> Chat:
    """A chat by id, or by a title that exactly one of the user's chats has."""
    if ref.isdigit():
        try:
            return await client.chat(ref)
        except ApiError as exc:
            if exc.status != 404:
                raise
    chats: list[Chat] = [c async for c in client.iter_chats()]
    matches = [c for c in chats if c.title == ref]
    if not matches:
        folded = ref.casefold()
        matches = [c for c in chats if c.title.casefold() == folded]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CliError(f"No chat of yours is called {ref!r}; `colletta chats` lists them.")
    ids = ", ".join(c.id for c in matches)
    raise CliError(f"{len(matches)} chats are called {ref!r}; use an id: {ids}")


async def resolve_user(client: Client, username: str) -> User:
    name = username.removeprefix("@").casefold()
    for user in await client.search_users(name, limit=20):
        if user.username.casefold() == name:
            return user
    raise CliError(f"No user called {username!r}.")


# Commands


def _login(server: str | None, username: str | None) -> None:
    config = load_config()
    url = server or typer.prompt("Server URL", default=config.get("server") or DEFAULT_SERVER)
    user = username or typer.prompt("Username")
    password = typer.prompt("Password", hide_input=True)

    async def go() -> User:
        async with _make_client(url, None) as client:
            try:
                result = await client.login(user, password, device_name=_device_name())
            except ApiError as exc:
                if exc.status == 401:
                    raise CliError("Wrong username or password.") from None
                raise
        save_config({"server": url.rstrip("/"), "token": result.token})
        return result.user

    me = _run(go())
    typer.echo(f"Logged in to {url} as {me.username}.")


def _register(server: str | None, username: str | None, display_name: str | None) -> None:
    config = load_config()
    url = server or typer.prompt("Server URL", default=config.get("server") or DEFAULT_SERVER)
    user = username or typer.prompt("Username")
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go() -> User:
        async with _make_client(url, None) as client:
            await client.register(user, password, display_name=display_name)
            result = await client.login(user, password, device_name=_device_name())
        save_config({"server": url.rstrip("/"), "token": result.token})
        return result.user

    me = _run(go())
    typer.echo(f"Registered and logged in to {url} as {me.username}.")


def _logout(server: str | None, token: str | None) -> None:
    url, tok = resolve_credentials(server, token)

    async def go() -> None:
        if not tok:
            return
        async with _make_client(url, tok) as client:
            try:
                await client.logout()
            except ApiError as exc:
                if exc.status != 401:  # 401: the session is already gone, as wanted
                    raise

    try:
        _run(go())
    finally:
        # Forget the token locally even if the server could not be told.
        config = load_config()
        if "token" in config and _same_server(config.get("server"), url):
            del config["token"]
            save_config(config)
    typer.echo("Logged out.")


def _chats(server: str | None, token: str | None, limit: int) -> None:
    async def go() -> Table:
        table = Table("Title", "Kind", "Unread", "Last message", "ID")
        async with _authed_client(server, token) as client:
            count = 0
            async for chat in client.iter_chats(page_size=min(limit, 100)):
                table.add_row(
                    Text(clean(chat.title)),
                    chat.kind,
                    str(chat.unread_count) if chat.unread_count else "",
                    Text(preview(chat.last_message)),
                    chat.id,
                )
                count += 1
                if count >= limit:
                    break
        return table

    Console().print(_run(go()))


def register(app: typer.Typer) -> None:
    """Add the user commands (login, chats, send, tail, group, …) to `app`."""
    # Imported here: those modules use this one's plumbing (which tests swap) at run time.
    from colletta_sdk import cli_banks, cli_inbox, cli_media, cli_messages, cli_mod, cli_pots

    @app.command("login")
    def login(
        server: ServerOpt = None,
        username: Annotated[
            str | None, typer.Option("--username", "-u", show_default=False)
        ] = None,
    ) -> None:
        """Log in and remember the session in the config file (mode 0600)."""
        _login(server, username)

    @app.command("register")
    def register_(
        server: ServerOpt = None,
        username: Annotated[
            str | None, typer.Option("--username", "-u", show_default=False)
        ] = None,
        display_name: Annotated[
            str | None, typer.Option("--display-name", show_default=False)
        ] = None,
    ) -> None:
        """Create an account, then log in."""
        _register(server, username, display_name)

    @app.command("logout")
    def logout(server: ServerOpt = None, token: TokenOpt = None) -> None:
        """Revoke this session on the server and forget it locally."""
        _logout(server, token)

    @app.command("chats")
    def chats(
        server: ServerOpt = None,
        token: TokenOpt = None,
        limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    ) -> None:
        """List your chats, most recent activity first."""
        _chats(server, token, limit)

    cli_messages.register(app)  # send, tail, history
    cli_media.register(app)  # download, timer
    cli_pots.register(app)  # pot create, show, contribute, …
    cli_inbox.register(app)  # inbox: notices and statements of reasons
    cli_banks.register(app)  # bank create, list, import, … (the operator)
    cli_mod.register(app)  # report, appeal, mod queue, show, act

    @app.command("dm")
    def dm(
        username: Annotated[str, typer.Argument(help="The other user's username.")],
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Open (or find) the direct chat with a user."""

        async def go() -> Chat:
            async with _authed_client(server, token) as client:
                user = await resolve_user(client, username)
                return await client.direct_chat(user.id)

        chat = _run(go())
        typer.echo(f"Direct chat with {clean(chat.title)}: id {chat.id}")

    group = typer.Typer(help="Groups.", no_args_is_help=True)
    app.add_typer(group, name="group")

    @group.command("create")
    def group_create(
        title: str,
        description: Annotated[str | None, typer.Option(show_default=False)] = None,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Create a group; you are its owner."""

        async def go() -> Chat:
            async with _authed_client(server, token) as client:
                return await client.create_chat("group", title, description=description)

        chat = _run(go())
        typer.echo(f"Created group {clean(chat.title)}: id {chat.id}")

    @group.command("add")
    def group_add(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        username: str,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Add a user to a group (admins)."""

        async def go() -> tuple[Chat, User]:
            async with _authed_client(server, token) as client:
                target = await resolve_chat(client, chat)
                user = await resolve_user(client, username)
                await client.add_member(target.id, user.id)
                return target, user

        target, user = _run(go())
        typer.echo(f"Added {user.username} to {clean(target.title)}.")

    channel = typer.Typer(help="Channels.", no_args_is_help=True)
    app.add_typer(channel, name="channel")

    @channel.command("create")
    def channel_create(
        title: str,
        public: Annotated[
            bool, typer.Option("--public/--private", help="Listed and open to anyone.")
        ] = False,
        description: Annotated[str | None, typer.Option(show_default=False)] = None,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Create a channel; you are its owner."""

        async def go() -> Chat:
            async with _authed_client(server, token) as client:
                return await client.create_chat(
                    "channel", title, description=description, is_public=public
                )

        chat = _run(go())
        kind = "public" if chat.is_public else "private"
        typer.echo(f"Created {kind} channel {clean(chat.title)}: id {chat.id}")

    invite = typer.Typer(help="Invite links.", no_args_is_help=True)
    app.add_typer(invite, name="invite")

    @invite.command("create")
    def invite_create(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        expires_in_s: Annotated[
            int | None, typer.Option("--expires-in-s", min=1, show_default=False)
        ] = None,
        max_uses: Annotated[int | None, typer.Option("--max-uses", min=1, show_default=False)] = (
            None
        ),
        approval: Annotated[
            bool, typer.Option("--approval", help="Joining needs an admin's approval.")
        ] = False,
        server: ServerOpt = None,
        token: TokenOpt = None,
    ) -> None:
        """Create an invite link code for a chat."""

        async def go() -> str:
            async with _authed_client(server, token) as client:
                target = await resolve_chat(client, chat)
                created = await client.create_invite(
                    target.id,
                    expires_in_s=expires_in_s,
                    max_uses=max_uses,
                    requires_approval=approval or None,
                )
                return created.code

        typer.echo(_run(go()))

    @invite.command("join")
    def invite_join(code: str, server: ServerOpt = None, token: TokenOpt = None) -> None:
        """Join a chat with an invite code."""

        async def go() -> tuple[str, str]:
            async with _authed_client(server, token) as client:
                info = await client.invite_info(code)
                result = await client.join_invite(code)
                return info.chat.title, result.status

        title, status = _run(go())
        if status == "requested":
            typer.echo(f"Asked to join {clean(title)}; an admin has to approve.")
        else:
            typer.echo(f"Joined {clean(title)}.")
