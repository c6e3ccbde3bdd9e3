"""`colletta report`, `colletta appeal` and `colletta mod …` as people run them, against the
real server: a report, the queue, a case, a warning with its statement, a complaint and its
reversal by another moderator."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from colletta_sdk import Client
from colletta_sdk.models import User

from colletta.actions.moderators import Grant, do_set_grant
from tests.conftest import Server
from tests.sdk.conftest import Cli

MakeUser = Callable[[], Awaitable[tuple[Client, User]]]


async def _moderator(server: Server, make_user: MakeUser) -> Client:
    client, user = await make_user()
    await do_set_grant(server.app.state.ctx, user.username, Grant.MODERATOR, True)
    return client


async def test_report_queue_act_appeal_and_reverse(
    server: Server, server_url: str, make_user: MakeUser, config_dir: Path
) -> None:
    poster, _ = await make_user()
    reporter, reporter_user = await make_user()
    chat = await poster.create_chat("group", "Market")
    await poster.add_member(chat.id, reporter_user.id)
    message = await poster.send_message(chat.id, "cheap rifles, pay here")
    as_reporter = Cli(reporter, server_url)
    as_mod = Cli(await _moderator(server, make_user), server_url)
    as_other_mod = Cli(await _moderator(server, make_user), server_url)
    as_poster = Cli(poster, server_url)

    out = await as_reporter(
        *("report", "message", message.id, "--chat", chat.id),
        *("--category", "unsafe_and_illegal_products", "--text", "selling guns"),
    )
    assert out.startswith("Reported (")

    queue = await as_mod("mod", "queue")
    match = re.search(rf"^(\d+)  report  priority 0  message {message.id}  .*  unsafe", queue)
    assert match, queue
    case_id = match[1]
    assert "unsafe_and_illegal_products; 1 report(s)" in queue

    shown = await as_mod("mod", "show", case_id)
    assert "Content: cheap rifles, pay here" in shown
    assert "selling guns" in shown

    acted = await as_mod("mod", "act", case_id, "warn", "--reason", "No weapons sales here.")
    match = re.search(r"statement of reasons (\d+) sent", acted)
    assert match, acted
    statement_id = match[1]

    filed = await as_poster("appeal", statement_id, "It was a joke about airsoft.")
    match = re.search(r"Complaint (\d+) filed", filed)
    assert match, filed
    complaint_id = match[1]
    assert complaint_id in await as_mod("mod", "queue")
    shown = await as_mod("mod", "show", complaint_id)
    assert "Complaint: It was a joke about airsoft." in shown

    refused = await as_mod("mod", "act", complaint_id, "uphold", "--reason", "x", code=1)
    assert "another moderator" in refused
    decided = await as_other_mod(
        "mod", "act", complaint_id, "reverse", "--reason", "Airsoft is allowed."
    )
    assert decided == f"Complaint {complaint_id} reversed; undone: warn.\n"


async def test_a_moderator_removes_illegal_content_naming_the_law(
    server: Server, server_url: str, make_user: MakeUser, config_dir: Path
) -> None:
    poster, _ = await make_user()
    reporter, reporter_user = await make_user()
    chat = await poster.create_chat("group", "Front")
    await poster.add_member(chat.id, reporter_user.id)
    message = await poster.send_message(chat.id, "donate: rifles for the martyrs brigade")
    await reporter.report(
        "message", message.id, "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", chat_id=chat.id
    )
    moderator = await _moderator(server, make_user)
    case_id = (await moderator.mod_queue())["cases"][0]["id"]
    as_mod = Cli(moderator, server_url)
    law = "Art. 5 Directive (EU) 2017/541"
    why = "Public provocation to finance a terrorist group."

    both = await as_mod(
        *("mod", "act", case_id, "remove", "--reason", why),
        *("--illegal", law, "--term", "§4"),
        code=2,
    )
    assert "not both" in both
    no_law = await as_mod(
        "mod", "act", case_id, "remove", "--reason", why, "--illegal", " ", code=1
    )
    assert "legal_ground" in no_law
    acted = await as_mod(
        *("mod", "act", case_id, "remove", "--reason", why),
        *("--illegal", law, "--category", "violence"),
    )
    assert "statement of reasons" in acted
    [statement] = await poster.statements()
    assert statement.data["ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement.data["legal_ground"] == law
    assert statement.data["explanation"] == why
    assert statement.data["category"] == "STATEMENT_CATEGORY_VIOLENCE"
    exported = await moderator.statement(statement.id, transparency_db=True)
    assert exported["illegal_content_legal_ground"] == law
