"""Reports and moderation in tests: moderators, trusted flaggers, and a reported message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from colletta.actions.context import Context
from colletta.actions.moderators import Grant, do_set_grant
from tests.conftest import MakePerson, Person
from tests.pots.conftest import double, make_pot  # noqa: F401  (fixtures)
from tests.test_messages import make_group, send

RISK = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
SCAM = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"


@pytest.fixture
def ctx(app: Any) -> Context:
    context: Context = app.state.ctx
    return context


async def grant(ctx: Context, person: Person, flag: str) -> None:
    """What `colletta admin grant USER moderator|trusted-flagger` does."""
    await do_set_grant(ctx, person.username, Grant(flag), True)


@dataclass
class Scene:
    """A group where `poster` posted `message`; `reporter` is a member, `mod` a moderator."""

    ctx: Context
    owner: Person
    poster: Person
    reporter: Person
    mod: Person
    chat_id: str
    message: dict[str, Any]

    async def report(self, who: Person | None = None, category: str = RISK, **body: Any) -> Any:
        payload = {
            "subject": "message",
            "subject_id": self.message["id"],
            "chat_id": self.chat_id,
            "category": category,
            "text": "asks for money to buy rifles",
            **body,
        }
        return await (who or self.reporter).call("POST", "/api/v1/reports", json=payload)

    async def queue(self) -> dict[str, Any]:
        return await self.mod.ok("GET", "/api/v1/mod/queue")  # type: ignore[no-any-return]

    async def case_id(self) -> str:
        await self.report()
        cases = (await self.queue())["cases"]
        return str(cases[0]["id"])

    async def act(self, case_id: str, action: str, who: Person | None = None, **body: Any) -> Any:
        payload = {"action": action, "reason": "Fundraising for weapons.", **body}
        return await (who or self.mod).call(
            "POST", f"/api/v1/mod/cases/{case_id}/actions", json=payload
        )


async def notices(person: Person) -> list[dict[str, Any]]:
    return list((await person.ok("GET", "/api/v1/me/notices"))["notices"])


async def statements(person: Person) -> list[dict[str, Any]]:
    return list((await person.ok("GET", "/api/v1/me/statements"))["statements"])


@pytest.fixture
async def scene(ctx: Context, person: MakePerson) -> Scene:
    owner, poster, reporter, mod = [await person() for _ in range(4)]
    chat_id = await make_group(owner, poster, reporter)
    message = await send(poster, chat_id, "send money for the rifles")
    await grant(ctx, mod, "moderator")
    return Scene(ctx, owner, poster, reporter, mod, chat_id, message)
