"""Pot commands of the `colletta` CLI: `colletta pot create | list | show | contribute | vote |
propose | ledger`.

Amounts are typed and printed as decimals in the pot's currency ("12.50" EUR, "1500" JPY,
"1.250" KWD); the API's whole minor units never reach the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urljoin

import typer
from rich.console import Console, Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from colletta_sdk import cli as base
from colletta_sdk.cli_media import parse_duration, upload_files
from colletta_sdk.cli_render import clean, format_time
from colletta_sdk.client import Client
from colletta_sdk.money import format_amount, money, parse_amount
from colletta_sdk.pot_models import Contribution, Pot, PotItem, PotOption, Proposal

DAY_MS = 86_400_000
POLL_S = 10.0  # `contribute --wait` asks the server this often when no event comes
SETTLED_EVENTS = ("pot.contribution_posted", "pot.contribution_refunded")
_MODELS = {
    "all_or_nothing": "All or nothing: refunded if the goal is missed",
    "keep_what_you_raise": "Keeps what it raises",
}

PotArg = Annotated[str, typer.Argument(help="The pot's id (`colletta pot list CHAT`).")]


# Parsing what the user typed


def deadline_ms(deadline: str | None, days: int | None, now_ms: int) -> int:
    """`--deadline 2026-12-24` (the end of that day, local time; or a date and time such as
    2026-12-24T18:00) or `--days 7` (from now)."""
    if (deadline is None) == (days is None):
        raise base.CliError("Give the deadline with --deadline DATE or --days N (one of them).")
    if days is not None:
        return now_ms + days * DAY_MS
    assert deadline is not None
    try:
        if "T" in deadline or " " in deadline.strip():
            when = datetime.fromisoformat(deadline.strip())
        else:
            when = datetime.combine(date.fromisoformat(deadline.strip()), time(23, 59, 59))
    except ValueError:
        raise base.CliError(
            f"{deadline!r} is not a date: use YYYY-MM-DD, or YYYY-MM-DDTHH:MM"
        ) from None
    return int(when.timestamp() * 1000)


def parse_item(text: str, currency: str) -> PotItem:
    """`Tent:1:200.00` (what, quantity, price each) or `Tent:200.00` (one of it)."""
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and parts[1].strip().isdigit():
        what, quantity, price = parts[0], int(parts[1]), parts[2]
    elif len(parts) >= 2:
        what, quantity, price = text.rsplit(":", 1)[0], 1, parts[-1]
    else:
        raise base.CliError(f"{text!r} is not an item: use WHAT:QUANTITY:PRICE, e.g. Tent:1:200.00")
    if not what.strip() or quantity < 1:
        raise base.CliError(f"{text!r} is not an item: use WHAT:QUANTITY:PRICE, e.g. Tent:1:200.00")
    return PotItem(what.strip(), quantity, parse_amount(price, currency))


def pick_option(pot: Pot, ref: str) -> PotOption:
    """An option by id, else by its title (exact, then ignoring case)."""
    for matches in (
        [o for o in pot.options if o.id == ref],
        [o for o in pot.options if o.title == ref],
        [o for o in pot.options if o.title.casefold() == ref.casefold()],
    ):
        if len(matches) == 1:
            return matches[0]
    listed = ", ".join(f"{o.id} ({o.title})" for o in pot.options) or "none"
    raise base.CliError(clean(f"This pot has no option {ref!r}; its options: {listed}"))


# Rendering


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def until(deadline_at_ms: int, now_ms: int) -> str:
    """`in 6d 23h`, `in 5h 10min`, `in 45s`, or `passed`."""
    left_s = (deadline_at_ms - now_ms) // 1000
    if left_s <= 0:
        return "passed"
    days, rest = divmod(left_s, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"in {days}d {hours}h" if hours else f"in {days}d"
    if hours:
        return f"in {hours}h {minutes}min" if minutes else f"in {hours}h"
    return f"in {minutes}min" if minutes else f"in {seconds}s"


def progress_line(pot: Pot) -> Table:
    """A bar of raised/goal with `25.00 / 200.00 EUR (12%)` beside it."""
    row = Table.grid(padding=(0, 1))
    row.add_column(width=30)
    row.add_column()
    bar = ProgressBar(total=max(pot.goal_minor, 1), completed=min(pot.raised_minor, pot.goal_minor))
    row.add_row(bar, f"{pot.raised} / {pot.goal} {pot.currency} ({int(pot.progress * 100)}%)")
    return row


def pot_details(pot: Pot, now_ms: int) -> RenderableType:
    """What `pot show` prints: title, bar, deadline and status, items, options, your share."""
    heading = Text(clean(pot.title), style="bold")
    heading.append(f"  {pot.status}" + (" · frozen" if pot.frozen else ""))
    parts: list[RenderableType] = [heading]
    if pot.description:
        parts.append(Text(clean(pot.description)))
    parts.append(progress_line(pot))
    people = plural(pot.contributor_count, "contributor")
    when = f"{format_time(pot.deadline_at_ms)} ({until(pot.deadline_at_ms, now_ms)})"
    parts.append(Text(f"{people} · deadline {when}"))
    named = "contributors named" if pot.visibility == "named" else "contributors hidden"
    parts.append(Text(f"{_MODELS.get(pot.model, pot.model)} · {named}"))
    if pot.mine_minor:
        parts.append(Text(f"Yours: {money(pot.mine_minor, pot.currency)}"))
    if pot.frozen_reason:
        parts.append(Text(clean(f"Frozen: {pot.frozen_reason}")))
    if pot.items:
        parts.append(Text("Items:", style="bold"))
        for item in pot.items:
            price = money(item.price_minor, pot.currency)
            parts.append(Text(clean(f"  {item.quantity} × {item.what} at {price}")))
    if pot.options:
        parts.append(Text("Options:", style="bold"))
        for option in pot.options:
            votes = plural(option.votes, "vote")
            if pot.vote_weighting == "contribution":
                votes += f", weight {format_amount(option.weight, pot.currency)}"
            mine = "  ← your vote" if option.id == pot.my_option_id else ""
            parts.append(Text(clean(f"  [{option.id}] {option.title}: {votes}{mine}")))
    parts.append(Text(f"id {pot.id} · chat {pot.chat_id}", style="dim"))
    return Group(*parts)


def pot_table(pots: Sequence[Pot]) -> Table:
    """One row per pot; the title wraps so that amounts and ids are never cut."""
    rows = [
        (
            Text(clean(pot.title)),
            f"{pot.raised} / {pot.goal} {pot.currency}",
            pot.status + (" (frozen)" if pot.frozen else ""),
            format_time(pot.deadline_at_ms)[:10],
            pot.id,
        )
        for pot in pots
    ]
    table = Table()
    table.add_column("Title", ratio=1, min_width=10)
    for index, name in enumerate(("Raised / goal", "Status", "Deadline", "ID"), start=1):
        width = max([len(name)] + [len(str(row[index])) for row in rows])
        table.add_column(name, no_wrap=True, min_width=width)
    for row in rows:
        table.add_row(*row)
    return table


def _cell(key: str, value: Any, currency: str) -> str:
    if key.endswith("_minor") and isinstance(value, int):
        return format_amount(value, currency)
    if key.endswith("_at_ms") and isinstance(value, int):
        return format_time(value)
    return clean("" if value is None else str(value))


def ledger_table(transfers: Sequence[Mapping[str, Any]], currency: str) -> Table:
    """One row per transfer, a column per member the server sends (amounts as decimals)."""
    keys: list[str] = []
    for transfer in transfers:
        for key, value in transfer.items():
            if key not in keys and not isinstance(value, Mapping | list):
                keys.append(key)
    table = Table(*(k.removesuffix("_minor").removesuffix("_ms") for k in keys))
    for transfer in transfers:
        table.add_row(*(Text(_cell(k, transfer.get(k), currency)) for k in keys))
    return table


def totals_lines(totals: Mapping[str, Any], currency: str) -> list[str]:
    return [
        f"{key.removesuffix('_minor')}: {_cell(key, value, currency)}"
        for key, value in totals.items()
        if not isinstance(value, Mapping | list)
    ]


# Commands


async def _await_settled(
    client: Client, chat_id: str, last_seq: int, started: Contribution
) -> Contribution:
    """Until the payment is posted or fails: live events of the pot's chat from `last_seq`
    wake us at once; a poll every POLL_S covers what no event announces (a failure)."""
    woken = asyncio.Event()

    async def listen() -> None:
        assert client.token is not None
        async with base._make_realtime(client.base_url, client.token, {chat_id: last_seq}) as rt:
            async for event in rt.events():
                about = str(event.data.get("contribution_id"))
                if event.type in SETTLED_EVENTS and about == started.id:
                    woken.set()

    listener = asyncio.create_task(listen())
    try:
        while True:
            current = await client.contribution(started.id)
            if current.settled:
                return current
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), POLL_S)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener


def checkout_link(server_url: str, checkout_url: str) -> str:
    """The page to open: the sandbox gives a path on this server, a real provider a URL."""
    return urljoin(server_url + "/", checkout_url)


def _contribute(
    server: str | None, token: str | None, pot_id: str, amount: str, wait_s: int | None
) -> None:
    async def go() -> tuple[Pot, Contribution]:
        async with base._authed_client(server, token) as client:
            pot = await client.pot(pot_id)
            amount_minor = parse_amount(amount, pot.currency)
            last_seq = (await client.chat(pot.chat_id)).last_seq if wait_s is not None else 0
            started = await client.contribute(pot.id, amount_minor, pot.currency)
            what = f"{money(amount_minor, pot.currency)} to {pot.title}"
            if started.checkout_url:
                url = checkout_link(client.base_url, started.checkout_url)
                typer.echo(clean(f"Pay {what} here: {url}"))
            if wait_s is None:
                return pot, started
            if started.settled:  # a retry of a contribution that counts already
                return await client.pot(pot.id), started
            typer.echo("Waiting for the payment (Ctrl-C stops waiting, not the payment)…", err=True)
            try:
                async with asyncio.timeout(wait_s):
                    done = await _await_settled(client, pot.chat_id, last_seq, started)
            except TimeoutError:
                raise base.CliError(
                    f"Still waiting for the payment of contribution {started.id}; "
                    f"`colletta pot show {pot.id}` shows it once it counts."
                ) from None
            return await client.pot(pot.id), done

    pot, contribution = base._run(go())
    amount_text = money(contribution.amount_minor, contribution.currency)
    if contribution.status == "pending":
        typer.echo(
            f"Contribution {contribution.id} is pending: it counts once the payment is made."
        )
    elif contribution.status == "posted":
        typer.echo(
            clean(
                f"Contribution {contribution.id} of {amount_text} counts: {pot.title} has "
                f"{pot.raised} / {pot.goal} {pot.currency}."
            )
        )
    else:
        base._fail(f"Contribution {contribution.id} of {amount_text} is {contribution.status}.")


def _create(
    server: str | None,
    token: str | None,
    chat_ref: str,
    fields: dict[str, Any],
    deadline: str | None,
    days: int | None,
    items: Sequence[str],
) -> None:
    async def go() -> tuple[str, Pot]:
        currency = str(fields["currency"])
        fields["goal_minor"] = parse_amount(str(fields.pop("goal")), currency)
        if "member_cap" in fields:
            fields["member_cap_minor"] = parse_amount(str(fields.pop("member_cap")), currency)
        fields["items"] = [parse_item(i, currency) for i in items]
        fields["deadline_at_ms"] = deadline_ms(deadline, days, base._now_ms())
        async with base._authed_client(server, token) as client:
            chat = await base.resolve_chat(client, chat_ref)
            return chat.title, await client.create_pot(chat.id, **fields)

    title, pot = base._run(go())
    typer.echo(
        clean(
            f"Opened pot {pot.title} in {title}: id {pot.id}, goal {pot.goal} {pot.currency}, "
            f"until {format_time(pot.deadline_at_ms)}."
        )
    )


def _vote(
    server: str | None,
    token: str | None,
    pot_id: str | None,
    option: str | None,
    proposal_id: str | None,
    approve: bool | None,
) -> None:
    if (option is None) == (proposal_id is None):
        base._fail("Vote with POT --option ID, or with --proposal ID --yes/--no.")
    if proposal_id is not None and approve is None:
        base._fail("Say --yes or --no to the proposal.")
    if option is not None and pot_id is None:
        base._fail("Name the pot: colletta pot vote POT --option ID.")

    async def go() -> str:
        async with base._authed_client(server, token) as client:
            if proposal_id is not None:
                voted = await client.vote_proposal(proposal_id, bool(approve))
                verb = "approved" if approve else "rejected"
                return f"You {verb} proposal {voted.id} ({voted.title}); it is {voted.status}."
            assert pot_id is not None
            assert option is not None
            chosen = pick_option(await client.pot(pot_id), option)
            pot = await client.vote_option(pot_id, chosen.id)
            votes = next((o.votes for o in pot.options if o.id == chosen.id), 0)
            return f"You voted for {chosen.title} in {pot.title} ({plural(votes, 'vote')})."

    typer.echo(clean(base._run(go())))


def _propose(
    server: str | None,
    token: str | None,
    pot_id: str,
    title: str,
    amount: str,
    payee: str,
    receipt: Path | None,
) -> None:
    async def go() -> tuple[Pot, Proposal]:
        async with base._authed_client(server, token) as client:
            pot = await client.pot(pot_id)
            amount_minor = parse_amount(amount, pot.currency)
            receipt_id = None
            if receipt is not None:
                chat = await client.chat(pot.chat_id)
                receipt_id = (await upload_files(client, chat, [receipt]))[0].id
            proposal = await client.propose(
                pot.id, title, amount_minor, payee, receipt_media_id=receipt_id
            )
            return pot, proposal

    pot, proposal = base._run(go())
    amount_text = money(proposal.amount_minor or 0, pot.currency)
    closes = f" until {format_time(proposal.closes_at_ms)}" if proposal.closes_at_ms else ""
    typer.echo(
        clean(
            f"Proposed paying {amount_text} from {pot.title} to {proposal.payee or payee}: "
            f"proposal {proposal.id}; contributors vote{closes}."
        )
    )


def _ledger(server: str | None, token: str | None, pot_id: str, as_csv: bool) -> None:
    async def go() -> str | tuple[Pot, list[Mapping[str, Any]], Mapping[str, Any]]:
        async with base._authed_client(server, token) as client:
            if as_csv:
                return await client.ledger_csv(pot_id)
            pot = await client.pot(pot_id)
            transfers = [t async for t in client.iter_ledger(pot_id)]
            totals = (await client.ledger(pot_id, limit=1)).totals
            return pot, transfers, totals

    result = base._run(go())
    if isinstance(result, str):
        # As is into a file or a pipe; made safe on a terminal (a title could hold escapes).
        typer.echo(clean(result) if sys.stdout.isatty() else result, nl=False)
        return
    pot, transfers, totals = result
    console = Console()
    console.print(Text(clean(f"Ledger of {pot.title} ({pot.currency})"), style="bold"))
    console.print(ledger_table(transfers, pot.currency))
    for line in totals_lines(totals, pot.currency):
        console.print(Text(line))


def register(app: typer.Typer) -> None:
    """Add the `pot` commands to `app`."""
    pot = typer.Typer(help="Money pots: collect, vote on what to buy, spend together.")
    pot.info.no_args_is_help = True
    app.add_typer(pot, name="pot")

    @pot.command("create")
    def create(
        chat: Annotated[str, typer.Argument(help="Chat id, or a title unique among your chats.")],
        title: Annotated[str, typer.Option("--title", help="What the pot is for.")],
        goal: Annotated[str, typer.Option("--goal", help="The goal, e.g. 200.00.")],
        currency: Annotated[str, typer.Option("--currency", help="ISO 4217: EUR, JPY, …")],
        deadline: Annotated[
            str | None,
            typer.Option(
                "--deadline", help="Last day (YYYY-MM-DD, local time).", show_default=False
            ),
        ] = None,
        days: Annotated[
            int | None, typer.Option("--days", min=1, help="Or: open this many days.")
        ] = None,
        description: Annotated[str | None, typer.Option(show_default=False)] = None,
        all_or_nothing: Annotated[
            bool,
            typer.Option("--all-or-nothing", help="Refund everyone if the goal is missed."),
        ] = False,
        anonymous: Annotated[
            bool, typer.Option("--anonymous", help="Members see amounts, not who gave them.")
        ] = False,
        weighted: Annotated[
            bool, typer.Option("--weighted", help="Votes weigh what each contributed.")
        ] = False,
        member_cap: Annotated[
            str | None,
            typer.Option("--member-cap", help="Most one member may put in.", show_default=False),
        ] = None,
        item: Annotated[
            list[str] | None,
            typer.Option(
                "--item",
                help="WHAT:QUANTITY:PRICE, e.g. Tent:1:200.00 (repeatable).",
                show_default=False,
            ),
        ] = None,
        option: Annotated[
            list[str] | None,
            typer.Option("--option", help="A choice to vote on (repeatable).", show_default=False),
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Open a pot in a group or channel."""
        code = currency.strip().upper()
        fields: dict[str, Any] = {
            "title": title,
            "currency": code,
            "goal": goal,
            "description": description,
            "model": "all_or_nothing" if all_or_nothing else None,
            "visibility": "anonymous" if anonymous else None,
            "vote_weighting": "contribution" if weighted else None,
            "options": option,
        }
        if member_cap is not None:
            fields["member_cap"] = member_cap
        _create(server, token, chat, fields, deadline, days, list(item or []))

    @pot.command("list")
    def list_(
        chat: Annotated[str, typer.Argument(help="Chat id or title.")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """List a chat's pots."""

        async def go() -> list[Pot]:
            async with base._authed_client(server, token) as client:
                found = await base.resolve_chat(client, chat)
                return await client.pots(found.id)

        pots = base._run(go())
        if not pots:
            typer.echo("No pots in this chat yet.")
            return
        Console().print(pot_table(pots))

    @pot.command("show")
    def show(pot_id: PotArg, server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """Show a pot: a bar of what it raised, its deadline, items and options."""

        async def go() -> Pot:
            async with base._authed_client(server, token) as client:
                return await client.pot(pot_id)

        Console().print(pot_details(base._run(go()), base._now_ms()))

    @pot.command("contribute")
    def contribute(
        pot_id: PotArg,
        amount: Annotated[str, typer.Argument(help="In the pot's currency, e.g. 12.50.")],
        wait: Annotated[
            bool, typer.Option("--wait", help="Wait until the payment is confirmed.")
        ] = False,
        timeout: Annotated[
            str, typer.Option("--timeout", help="How long --wait waits (e.g. 30min).")
        ] = "15min",
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Put money in a pot: prints the payment page to open."""
        _contribute(server, token, pot_id, amount, parse_duration(timeout) if wait else None)

    @pot.command("vote")
    def vote(
        pot_id: Annotated[
            str | None, typer.Argument(help="The pot (for --option).", show_default=False)
        ] = None,
        option: Annotated[
            str | None,
            typer.Option("--option", help="Option id or title to vote for.", show_default=False),
        ] = None,
        proposal: Annotated[
            str | None,
            typer.Option("--proposal", help="A spending proposal's id.", show_default=False),
        ] = None,
        approve: Annotated[
            bool | None,
            typer.Option("--yes/--no", help="Approve or reject the proposal.", show_default=False),
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Vote for an option of a pot, or on a spending proposal."""
        _vote(server, token, pot_id, option, proposal, approve)

    @pot.command("propose")
    def propose(
        pot_id: PotArg,
        title: Annotated[str, typer.Option("--title", help="What the money is for.")],
        amount: Annotated[str, typer.Option("--amount", help="In the pot's currency.")],
        payee: Annotated[str, typer.Option("--payee", help="Who gets paid.")],
        receipt: Annotated[
            Path | None,
            typer.Option(
                "--receipt",
                help="A receipt or quote to attach (uploaded to the pot's chat).",
                exists=True,
                dir_okay=False,
                readable=True,
                show_default=False,
            ),
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Propose spending money from a pot; contributors vote on it."""
        _propose(server, token, pot_id, title, amount, payee, receipt)

    @pot.command("ledger")
    def ledger(
        pot_id: PotArg,
        as_csv: Annotated[bool, typer.Option("--csv", help="CSV to stdout.")] = False,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Every transfer of a pot and its totals, or the whole ledger as CSV."""
        _ledger(server, token, pot_id, as_csv)
