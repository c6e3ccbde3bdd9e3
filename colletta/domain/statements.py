"""Statements of reasons (DSA Art. 17) and their form in the Commission's transparency
database (https://transparency.dsa.ec.europa.eu/page/api-documentation).

Every decision that restricts someone — content removed or disabled, a pot frozen or its
payouts held, an account warned, suspended or banned — sends the affected user one statement:
what was restricted, on which ground, the facts, whether it was automated, and how to complain.
The enum values are the database's own, so `to_transparency_db` is a straight mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from colletta.errors import InvalidInput


class Visibility(StrEnum):
    CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
    CONTENT_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED"
    CONTENT_DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED"
    CONTENT_INTERACTION_RESTRICTED = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
    CONTENT_LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED"
    OTHER = "DECISION_VISIBILITY_OTHER"


class Monetary(StrEnum):
    SUSPENSION = "DECISION_MONETARY_SUSPENSION"  # payouts held, pot frozen
    TERMINATION = "DECISION_MONETARY_TERMINATION"  # pot refused or refunded
    OTHER = "DECISION_MONETARY_OTHER"


class Provision(StrEnum):
    PARTIAL_SUSPENSION = "DECISION_PROVISION_PARTIAL_SUSPENSION"
    TOTAL_SUSPENSION = "DECISION_PROVISION_TOTAL_SUSPENSION"
    PARTIAL_TERMINATION = "DECISION_PROVISION_PARTIAL_TERMINATION"
    TOTAL_TERMINATION = "DECISION_PROVISION_TOTAL_TERMINATION"


class AccountDecision(StrEnum):
    SUSPENDED = "DECISION_ACCOUNT_SUSPENDED"
    TERMINATED = "DECISION_ACCOUNT_TERMINATED"


class Ground(StrEnum):
    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
    INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


class Category(StrEnum):
    """The database's statement categories; also the categories a report may name."""

    ANIMAL_WELFARE = "STATEMENT_CATEGORY_ANIMAL_WELFARE"
    DATA_PROTECTION_AND_PRIVACY_VIOLATIONS = (
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
    )
    ILLEGAL_OR_HARMFUL_SPEECH = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    INTELLECTUAL_PROPERTY_INFRINGEMENTS = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS = (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    )
    NON_CONSENSUAL_BEHAVIOUR = "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR"
    PORNOGRAPHY_OR_SEXUALIZED_CONTENT = "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"
    PROTECTION_OF_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    RISK_FOR_PUBLIC_SECURITY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    SCAMS_AND_FRAUD = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    SELF_HARM = "STATEMENT_CATEGORY_SELF_HARM"
    SCOPE_OF_PLATFORM_SERVICE = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    UNSAFE_AND_ILLEGAL_PRODUCTS = "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS"
    VIOLENCE = "STATEMENT_CATEGORY_VIOLENCE"

    @property
    def words(self) -> str:
        """The category as a person reads it: "risk for public security"."""
        return self.name.replace("_", " ").lower()


class ContentType(StrEnum):
    TEXT = "CONTENT_TYPE_TEXT"
    IMAGE = "CONTENT_TYPE_IMAGE"
    VIDEO = "CONTENT_TYPE_VIDEO"
    AUDIO = "CONTENT_TYPE_AUDIO"
    PRODUCT = "CONTENT_TYPE_PRODUCT"  # a pot: a fundraising offer
    OTHER = "CONTENT_TYPE_OTHER"


class Source(StrEnum):
    ARTICLE_16 = "SOURCE_ARTICLE_16"  # a user's notice
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION"  # a removal order
    VOLUNTARY = "SOURCE_VOLUNTARY"  # our own detection


class Automation(StrEnum):
    FULLY = "AUTOMATED_DECISION_FULLY"
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"


# The database takes member states, not "EU": a decision for the whole Union names all 27.
# fmt: off
EU_MEMBER_STATES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)
# fmt: on
# What a moderator's warning is in the database's terms: it has no "warning", and nothing is
# restricted yet, so it is an "other" visibility decision spelled out (Art. 23 DSA).
WARNING_VISIBILITY = (
    "Warning on the account: nothing is restricted yet; a further breach may lead to a "
    "suspension of the account (Art. 23 DSA)."
)

# Our terms, as the ground for incompatible content.
TERMS_GROUND = "Colletta terms of service: no fundraising for weapons or terrorism"
REDRESS = (
    "You can complain against this decision within 6 months through the complaint form "
    "(POST /api/v1/statements/{id}/complaints), free of charge; a person reviews every "
    "complaint. You may also use an out-of-court dispute settlement body or a court."
)


@dataclass(frozen=True, slots=True)
class StatementFacts:
    """The Art. 17 fields of one decision. At least one of the four restriction kinds is set."""

    category: Category
    ground: Ground
    facts: str
    content_type: ContentType
    source: Source
    automated_detection: bool
    automation: Automation
    visibility: tuple[Visibility, ...] = ()
    visibility_other: str = ""  # what an OTHER visibility decision is (required with it)
    content_type_other: str = ""  # what OTHER content is (required with it)
    monetary: Monetary | None = None
    provision: Provision | None = None
    account: AccountDecision | None = None
    # For illegal content: the law; for incompatible content: the term of service.
    legal_ground: str = ""
    explanation: str = ""
    end_at_ms: int | None = None  # None: indefinite
    territorial_scope: tuple[str, ...] = ("EU",)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.visibility or self.monetary or self.provision or self.account):
            raise InvalidInput("a statement of reasons must name what was restricted")
        # The database refuses an OTHER that is not spelled out, and the spelling without it.
        if (Visibility.OTHER in self.visibility) != bool(self.visibility_other):
            raise InvalidInput("an OTHER visibility decision is spelled out, and only it")
        if (self.content_type is ContentType.OTHER) != bool(self.content_type_other):
            raise InvalidInput("OTHER content is spelled out, and only it")

    def body(self) -> dict[str, Any]:
        """What is stored and shown to the user."""
        return {
            "category": self.category.value,
            "ground": self.ground.value,
            "legal_ground": self.legal_ground,
            "explanation": self.explanation,
            "facts": self.facts,
            "content_type": self.content_type.value,
            "content_type_other": self.content_type_other,
            "source": self.source.value,
            "automated_detection": self.automated_detection,
            "automation": self.automation.value,
            "visibility": [v.value for v in self.visibility],
            "visibility_other": self.visibility_other,
            "monetary": self.monetary.value if self.monetary else None,
            "provision": self.provision.value if self.provision else None,
            "account": self.account.value if self.account else None,
            "end_at_ms": self.end_at_ms,
            "territorial_scope": list(self.territorial_scope),
            "redress": REDRESS,
            **self.extra,
        }


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def _countries(scope: list[str]) -> list[str]:
    countries = [c for c in scope if c != "EU"]
    if "EU" in scope:
        countries += [c for c in EU_MEMBER_STATES if c not in countries]
    return countries


def to_transparency_db(
    body: dict[str, Any], *, statement_id: int, created_at_ms: int
) -> dict[str, Any]:
    """One stored statement in the transparency database's submission schema."""
    illegal = body["ground"] == Ground.ILLEGAL_CONTENT.value
    out: dict[str, Any] = {
        "decision_ground": body["ground"],
        "category": body["category"],
        "decision_facts": body["facts"],
        "content_type": [body["content_type"]],
        "source_type": body["source"],
        "automated_detection": "Yes" if body["automated_detection"] else "No",
        "automated_decision": body["automation"],
        # Colletta keeps the decision's date, not the content's, with a statement.
        "content_date": _date(created_at_ms),
        "application_date": _date(created_at_ms),
        "territorial_scope": _countries(body["territorial_scope"]),
        "puid": str(statement_id),
    }
    if body["content_type"] == ContentType.OTHER.value:
        out["content_type_other"] = body.get("content_type_other") or "other content"
    if illegal:
        out["illegal_content_legal_ground"] = body["legal_ground"]
        out["illegal_content_explanation"] = body["explanation"]
    else:
        out["incompatible_content_ground"] = body["legal_ground"] or TERMS_GROUND
        out["incompatible_content_explanation"] = body["explanation"]
    end = _date(body["end_at_ms"]) if body.get("end_at_ms") else None
    if body["visibility"]:
        out["decision_visibility"] = body["visibility"]
        out["end_date_visibility_restriction"] = end
        if Visibility.OTHER.value in body["visibility"]:
            # Statements from before the field was kept: only warnings used OTHER.
            out["decision_visibility_other"] = body.get("visibility_other") or WARNING_VISIBILITY
    if body["monetary"]:
        out["decision_monetary"] = body["monetary"]
        out["end_date_monetary_restriction"] = end
    if body["provision"]:
        out["decision_provision"] = body["provision"]
        out["end_date_service_restriction"] = end
    if body["account"]:
        out["decision_account"] = body["account"]
        out["end_date_account_restriction"] = end
    return out
