"""Reports, moderation and complaints in the `colletta` CLI:
`colletta report …`, `colletta appeal …`, and for moderators `colletta mod queue | show |
act | decide` (docs/trust-and-safety.md)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from colletta_sdk import cli as base
from colletta_sdk.cli_render import clean, format_time

DAY_S = 86_400
CaseArg = Annotated[str, typer.Argument(help="The case's id (`colletta mod queue`).")]
Reason = Annotated[
    str, typer.Option("--reason", help="Why: the affected user reads it in the statement.")
]


def _short_category(category: str | None) -> str:
    return (category or "").removeprefix("STATEMENT_CATEGORY_").lower()


def _full_category(category: str) -> str:
    """`risk_for_public_security` or `STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY`: the
    transparency database's value."""
    full = category.upper()
    return full if full.startswith("STATEMENT_CATEGORY_") else "STATEMENT_CATEGORY_" + full


def queue_lines(queue: dict[str, Any]) -> list[str]:
    """One line a case, most urgent first; ids whole, to paste into `mod show` and `mod act`."""
    if not queue["cases"]:
        return ["The queue is empty."]
    lines = []
    for case in queue["cases"]:
        extra = [_short_category(case["category"])] if case["category"] else []
        if case["report_count"]:
            extra.append(f"{case['report_count']} report(s)")
        if case["trusted"]:
            extra.append("trusted flagger")
        if case["rule_ids"]:
            extra.append("rules " + ", ".join(case["rule_ids"]))
        lines.append(
            f"{case['id']}  {case['kind']}  priority {case['priority']}  "
            f"{case['subject']} {case['subject_id']}  {format_time(case['opened_at_ms'])}"
            + ("  " + "; ".join(extra) if extra else "")
        )
    return [clean(line) for line in lines]


def case_lines(case: dict[str, Any]) -> list[str]:
    lines = [
        f"Case {case['id']} ({case['kind']}, {case['status']}, priority {case['priority']})",
        f"Subject: {case['subject']} {case['subject_id']}"
        + (f" in chat {case['chat_id']}" if case["chat_id"] else "")
        + (f", user {case['subject_user_id']}" if case["subject_user_id"] else ""),
    ]
    if case["rule_ids"]:
        lines.append("Rules: " + ", ".join(case["rule_ids"]))
    if case["reason"]:
        lines.append("Reason: " + case["reason"])
    content = case.get("content")
    if content:
        shown = (
            content.get("text")
            or content.get("title")
            or content.get("username")
            or content.get("facts")
            or ""
        )
        lines.append("Content: " + str(shown))
    for report in case.get("reports", []):
        trusted = " (trusted flagger)" if report["trusted"] else ""
        lines.append(
            f"Report {report['id']} by {report['reporter_id']}{trusted}, "
            f"{_short_category(report['category'])}: {report['text']}"
        )
    for action in case.get("actions", []):
        lines.append(f"Action: {action['action']} by {action['actor_id']}")
    if case["kind"] == "appeal":
        lines.append(f"Complaint: {case['data'].get('text', '')}")
        lines.append(f"Against the decision of case {case['data'].get('case_id')}")
    for statement in case.get("statements", []):
        lines.append(f"Statement {statement['id']} to {statement['user_id']}: {statement['facts']}")
    if case["decision"]:
        lines.append(f"Decided: {case['decision']} by {case['decided_by']}")
    return [clean(line) for line in lines]


def register(app: typer.Typer) -> None:
    """Add `report`, `appeal` and the `mod` commands to `app`."""
    mod = typer.Typer(help="Moderators: the queue of cases (reports, complaints …), decisions.")
    mod.info.no_args_is_help = True
    app.add_typer(mod, name="mod")

    @app.command("report")
    def report(
        subject: Annotated[str, typer.Argument(help="message, user, chat or pot.")],
        subject_id: Annotated[str, typer.Argument(help="Its id.")],
        category: Annotated[
            str,
            typer.Option(
                "--category",
                help="A DSA category, e.g. risk_for_public_security or "
                "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY.",
            ),
        ],
        text: Annotated[str, typer.Option("--text", help="What is wrong.")] = "",
        chat: Annotated[
            str | None, typer.Option("--chat", help="The message's chat id.", show_default=False)
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Report something to the moderators; they never tell the reported user who did."""

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.report(
                    subject, subject_id, _full_category(category), text, chat_id=chat
                )

        receipt = base._run(go())
        typer.echo(f"Reported ({receipt['id']}); you will get a notice when it is decided.")

    @app.command("appeal")
    def appeal(
        statement: Annotated[str, typer.Argument(help="The statement of reasons' id.")],
        text: Annotated[str, typer.Argument(help="Why the decision is wrong.")],
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Complain against a decision about you (within six months of it)."""

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.file_complaint(statement, text)

        filed = base._run(go())
        typer.echo(f"Complaint {filed['id']} filed; a moderator will review it.")

    @mod.command("queue")
    def queue(
        limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 50,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Open cases, most urgent first, then the oldest (complaints are `appeal` cases)."""

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.mod_queue(limit)

        for line in queue_lines(base._run(go())):
            typer.echo(line)

    @mod.command("show")
    def show(case: CaseArg, server: base.ServerOpt = None, token: base.TokenOpt = None) -> None:
        """A case: its subject and content, the reports, what was done, complaints."""

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.mod_case(case)

        for line in case_lines(base._run(go())):
            typer.echo(line)

    @mod.command("act")
    def act(
        case: CaseArg,
        action: Annotated[
            str,
            typer.Argument(help="dismiss, remove, freeze_pot, warn, suspend, ban or close_chat."),
        ],
        reason: Reason,
        days: Annotated[
            int | None,
            typer.Option("--days", min=1, help="suspend: for this many days.", show_default=False),
        ] = None,
        refund: Annotated[
            bool, typer.Option("--refund", help="freeze_pot: give every contribution back.")
        ] = False,
        illegal: Annotated[
            str | None,
            typer.Option(
                "--illegal",
                metavar="LAW",
                help="The content is illegal under this law, e.g. "
                "'Art. 5 Directive (EU) 2017/541' (--reason says why).",
                show_default=False,
            ),
        ] = None,
        term: Annotated[
            str | None,
            typer.Option(
                "--term",
                help="The content breaks this term of service (default: the server's).",
                show_default=False,
            ),
        ] = None,
        category: Annotated[
            str | None,
            typer.Option(
                "--category",
                help="The statement's DSA category (default: the reports'), e.g. violence.",
                show_default=False,
            ),
        ] = None,
        server: base.ServerOpt = None,
        token: base.TokenOpt = None,
    ) -> None:
        """Decide a case; a restriction sends the affected user a statement of reasons, on
        the ground of illegal content (--illegal LAW) or of our terms (the default)."""
        if illegal is not None and term is not None:
            raise typer.BadParameter("give --illegal or --term, not both")
        ground = None
        if illegal is not None:
            ground = "DECISION_GROUND_ILLEGAL_CONTENT"
        elif term is not None:
            ground = "DECISION_GROUND_INCOMPATIBLE_CONTENT"

        async def go() -> dict[str, Any]:
            async with base._authed_client(server, token) as client:
                return await client.mod_act(
                    case,
                    action,
                    reason,
                    duration_s=None if days is None else days * DAY_S,
                    refund=refund or None,
                    category=None if category is None else _full_category(category),
                    ground=ground,
                    legal_ground=illegal if illegal is not None else term,
                )

        done = base._run(go())
        if done["kind"] == "appeal":
            undone = ", ".join(done["undone"]) or "nothing"
            kept = f"; not undone: {', '.join(done['not_undone'])}" if done["not_undone"] else ""
            typer.echo(f"Complaint {done['id']} {done['decision']}; undone: {undone}{kept}.")
            return
        statement = done["action"]["statement_id"]
        tail = f"; statement of reasons {statement} sent" if statement else ""
        typer.echo(f"Case {done['id']}: {done['decision']}{tail}.")
