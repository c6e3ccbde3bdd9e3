"""Reports and moderation in tests: moderators, trusted flaggers, and a reported message."""

from __future__ import annotations

import re
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


# What the transparency database's submission endpoint accepts (its StatementStoreRequest
# rules), for the fields Colletta sends.
# fmt: off
_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE",
    "SI", "SK",
}
# fmt: on
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RESTRICTIONS = (
    "decision_visibility",
    "decision_monetary",
    "decision_provision",
    "decision_account",
)


def transparency_db_errors(sor: dict[str, Any]) -> list[str]:
    """Why the transparency database would refuse this submission (empty: it accepts it)."""
    errors = [
        f"{name} is required"
        for name in (
            "decision_ground",
            "category",
            "decision_facts",
            "content_type",
            "source_type",
            "automated_detection",
            "automated_decision",
            "content_date",
            "application_date",
            "puid",
        )
        if not sor.get(name)
    ]
    if not any(sor.get(name) for name in _RESTRICTIONS):
        errors.append("one of the four restrictions is required")
    other_needs = {
        ("decision_visibility", "DECISION_VISIBILITY_OTHER"): "decision_visibility_other",
        ("decision_monetary", "DECISION_MONETARY_OTHER"): "decision_monetary_other",
        ("content_type", "CONTENT_TYPE_OTHER"): "content_type_other",
    }
    for (name, other), needed in other_needs.items():
        value = sor.get(name) or []
        given = other in (value if isinstance(value, list) else [value])
        if given and not sor.get(needed):
            errors.append(f"{needed} is required when {name} is {other}")
        if not given and needed in sor:
            errors.append(f"{needed} is only for {other}")
        if len(str(sor.get(needed, ""))) > 500:
            errors.append(f"{needed} is over 500 characters")
    if sor.get("decision_ground") == "DECISION_GROUND_ILLEGAL_CONTENT":
        needed_fields = ("illegal_content_legal_ground", "illegal_content_explanation")
    else:
        needed_fields = ("incompatible_content_ground", "incompatible_content_explanation")
    errors += [f"{name} is required for the ground" for name in needed_fields if not sor.get(name)]
    errors += [
        f"territorial_scope: {c} is no country code"
        for c in sor.get("territorial_scope") or []
        if c not in _COUNTRIES
    ]
    errors += [
        f"{name} is not YYYY-MM-DD"
        for name, value in sor.items()
        if (name.endswith("_date") or name.startswith("end_date"))
        and value is not None
        and not _DATE.match(str(value))
    ]
    if sor.get("automated_detection") not in ("Yes", "No"):
        errors.append("automated_detection must be Yes or No")
    if not re.fullmatch(r"[a-zA-Z0-9_-]+", str(sor.get("puid", ""))):
        errors.append("puid has characters the database refuses")
    return errors
