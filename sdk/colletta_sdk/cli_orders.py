"""The operator's commands of the `colletta` CLI (docs/trust-and-safety.md, "Removal orders"):
`colletta order register | list | show` and `colletta preserved list | extend`. They go
through the server's API as the logged-in operator, so the removal reaches every node's
clients at once; anyone else gets "not found"."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from colletta_sdk import cli as base
from colletta_sdk.cli_render import clean, format_time

OrderArg = Annotated[str, typer.Argument(help="The order's id (`colletta order list`).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON.")]


def parse_when(value: str | None, now_ms: int) -> int:
    """An ISO 8601 time (2026-12-02T13:05:00Z, or local time without a zone); None: now."""
    if value is None:
        return now_ms
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise base.CliError(f"{value!r} is not a time: use e.g. 2026-12-02T13:05:00Z") from None
    return int(when.timestamp() * 1000)


def format_ms(ms: int | None) -> str:
    if ms is None:
        return "not executed"
    return f"{ms / 1000:.3f} s"


def confirmation_lines(order: dict[str, Any]) -> list[str]:
    record = order["confirmation"]
    limit = "within" if record["within_legal_limit"] else "OVER"
    lines = [
        f"Order {order['id']}: {order['authority']}, ref. {order['reference']}",
        f"Received {format_time(order['received_at_ms'])}, executed in "
        f"{format_ms(order['execution_ms'])} ({limit} the one-hour limit)",
    ]
    for item in record["items"]:
        when = item["removed_at_ms"]
        lines.append(
            f"  {item['item']}: {item['outcome']}" + (f" at {format_time(when)}" if when else "")
        )
    if order.get("told_at_ms") and not order["notify"]:
        lines.append(f"  The uploaders were told {format_time(order['told_at_ms'])}.")
    elif not order["notify"]:
        until = order.get("secret_until_ms")
        lines.append(
            "  The uploaders are not told (the authority asked so)"
            + (f" until {format_time(until)}." if until else ".")
        )
    return [clean(line) for line in lines]


def order_line(order: dict[str, Any]) -> str:
    """One order a line (ids whole: they are what the other commands take)."""
    items = len(order["items"])
    return clean(
        f"{order['id']}  received {format_time(order['received_at_ms'])}  "
        f"executed in {format_ms(order['execution_ms'])}  {order['authority']}, "
        f"ref. {order['reference']}  ({items} item{'s' if items != 1 else ''})"
    )


def preserved_line(item: dict[str, Any]) -> str:
    what = f"message {item['message_id']}" if item["message_id"] else f"media {item['media_id']}"
    because = item["reason"] + (f" {item['order_id']}" if item["order_id"] else "")
    return clean(
        f"{item['id']}  {what} of chat {item['chat_id']}  ({because})  "
        f"until {format_time(item['until_ms'])}  {item['files']} files"
    )


def register(app: typer.Typer) -> None:
    """Add the `order` and `preserved` commands to `app`."""
    order = typer.Typer(help="Removal orders (EU Regulation 2021/784): the operator's.")
    order.info.no_args_is_help = True
    app.add_typer(order, name="order")
    preserved = typer.Typer(help="Content preserved for the authorities: the operator's.")
    preserved.info.no_args_is_help = True
    app.add_typer(preserved, name="preserved")

    @order.command("register")
    def register_(
        authority: Annotated[str, typer.Option("--authority", help="Who issued the order.")],
        reference: Annotated[str, typer.Option("--reference", help="Its reference number.")],
        reasons: Annotated[str, typer.Option("--reasons", help="Its statement of reasons.")],
        item: Annotated[
            list[str],
            typer.Option("--item", help="message:<id> or media:<id> (repeatable)."),
        ],
        received_at: Annotated[
            str | None,
            typer.Option(
                "--received-at",
                help="When it was received (ISO 8601); default now.",
                show_default=False,
            ),
        ] = None,
        no_notify: Annotated[
            bool,
            typer.Option("--no-notify", help="The authority asked that uploaders not be told."),
        ] = False,
        secret_days: Annotated[
            int | None,
            typer.Option(
                "--secret-days",
                min=1,
                max=42,
                help="With --no-notify: for how many days (default and at most 42, six "
                "weeks); then they are told automatically.",
                show_default=False,
            ),
        ] = None,
        as_json: JsonOpt = False,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Register a removal order: its items are removed for everyone and preserved."""
        received_at_ms = parse_when(received_at, base._now_ms())

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.register_order(
                    authority=authority,
                    reference=reference,
                    reasons=reasons,
                    items=item,
                    received_at_ms=received_at_ms,
                    notify=not no_notify,
                    secret_for_s=None if secret_days is None else secret_days * 86_400,
                )

        done = base._run(go())
        if as_json:
            typer.echo(json.dumps(done, indent=2))
            return
        for line in confirmation_lines(done):
            typer.echo(line)

    @order.command("extend-secrecy")
    def extend_secrecy(
        order_id: OrderArg,
        until: Annotated[str, typer.Option("--until", help="Tell the uploaders then (ISO 8601).")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """The authority renewed its decision not to tell the uploaders (TCO Art. 11(3)): at
        most six weeks from now."""
        until_ms = parse_when(until, base._now_ms())

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.extend_order_secrecy(order_id, until_ms)

        found = base._run(go())
        typer.echo(f"Order {found['id']}: uploaders told {format_time(found['secret_until_ms'])}")

    @order.command("list")
    def list_(server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """Every order, newest first, with the time each took."""

        async def go() -> list[dict[str, Any]]:
            async with base._authed_client(server, token) as client:
                return await client.orders()

        orders = base._run(go())
        if not orders:
            typer.echo("No removal orders.")
            return
        for found in orders:
            typer.echo(order_line(found))

    @order.command("show")
    def show(
        order_id: OrderArg,
        as_json: JsonOpt = False,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """An order and its confirmation record (what was removed, and when)."""

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.order(order_id)

        found = base._run(go())
        if as_json:
            typer.echo(json.dumps(found, indent=2))
            return
        for line in confirmation_lines(found):
            typer.echo(line)
        typer.echo(clean(f"Reasons: {found['reasons']}"))

    @preserved.command("list")
    def preserved_list(
        order_id: Annotated[
            str | None, typer.Option("--order", help="Only this order's.", show_default=False)
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """What is preserved, and until when."""

        async def go() -> list[dict[str, Any]]:
            async with base._authed_client(server, token) as client:
                return await client.preserved(order_id)

        items = base._run(go())
        if not items:
            typer.echo("Nothing is preserved.")
            return
        for item in items:
            typer.echo(preserved_line(item))

    @preserved.command("extend")
    def extend(
        preserved_id: Annotated[str, typer.Argument(help="The item's id.")],
        until: Annotated[str, typer.Option("--until", help="The new end (ISO 8601).")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Keep an item longer, when an authority asks (TCO Art. 6(2))."""
        until_ms = parse_when(until, base._now_ms())

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.extend_preserved(preserved_id, until_ms)

        item = base._run(go())
        typer.echo(f"Preserved {item['id']} until {format_time(item['until_ms'])}")
