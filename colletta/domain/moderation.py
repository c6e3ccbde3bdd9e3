"""Reports (DSA Art. 16), moderator actions (Art. 23) and complaints (Art. 20): what a
report, an action and an appeal must look like, and which action fits which subject.
Pure rules: no database, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from colletta.domain.cases import (
    PRIORITY_REPORT,
    PRIORITY_TRUSTED_FLAGGER,
    Case,
    CaseKind,
    Subject,
)
from colletta.domain.statements import (
    TERMS_GROUND,
    WARNING_VISIBILITY,
    AccountDecision,
    Automation,
    Category,
    ContentType,
    Ground,
    Monetary,
    Provision,
    Source,
    StatementFacts,
    Visibility,
)
from colletta.domain.text import check_line, check_multiline
from colletta.errors import Conflict, Forbidden, InvalidInput

REPORT_TEXT_MAX_CHARS = 2000
REASON_MAX_CHARS = 2000
# The transparency database's limit on the law or the term a decision rests on.
LEGAL_GROUND_MAX_CHARS = 500
APPEAL_TEXT_MAX_CHARS = 4000
QUEUE_PAGE_MAX = 200
# A complaint waits for a person whose account or content is restricted: it goes before
# ordinary reports and automated cases.
PRIORITY_COMPLAINT = PRIORITY_TRUSTED_FLAGGER


# Cases whose automated verdict held a pot: dismissing one, or reversing a complaint against
# its statement, clears the pot's verdict.
SCREENED_KINDS = (CaseKind.SCREENING, CaseKind.BEHAVIOUR)


class ComplaintAlreadyFiled(Conflict):
    """One complaint per statement of reasons: the first one filed is the one decided."""

    type = "complaint_already_filed"
    title = "A complaint was already filed"


class Reportable(StrEnum):
    """What a user may report (the `Subject`s of cases a person can point at)."""

    MESSAGE = "message"
    USER = "user"
    CHAT = "chat"
    POT = "pot"


class ModAction(StrEnum):
    DISMISS = "dismiss"
    REMOVE = "remove"
    FREEZE_POT = "freeze_pot"
    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"
    CLOSE_CHAT = "close_chat"
    # Complaints (APPEAL cases) are decided with these, and only these.
    UPHOLD = "uphold"
    REVERSE = "reverse"

    @property
    def restricts(self) -> bool:
        """Every restriction sends the affected user a statement of reasons (Art. 17)."""
        return self not in (ModAction.DISMISS, ModAction.UPHOLD, ModAction.REVERSE)

    @property
    def on_complaint(self) -> bool:
        return self in (ModAction.UPHOLD, ModAction.REVERSE)

    @property
    def on_account(self) -> bool:
        return self in (ModAction.WARN, ModAction.SUSPEND, ModAction.BAN)


class Restriction(StrEnum):
    SUSPENDED = "suspended"
    BANNED = "banned"


# Which subject each action works on; account actions work on any subject with a user behind
# it (the reported user, a message's sender, a pot's organiser, a chat's owner).
_ACTS_ON: dict[ModAction, frozenset[str] | None] = {
    ModAction.DISMISS: None,
    ModAction.REMOVE: frozenset({"message"}),
    ModAction.FREEZE_POT: frozenset({"pot"}),
    ModAction.CLOSE_CHAT: frozenset({"chat", "message", "pot"}),
    ModAction.WARN: None,
    ModAction.SUSPEND: None,
    ModAction.BAN: None,
    ModAction.UPHOLD: frozenset({"statement"}),
    ModAction.REVERSE: frozenset({"statement"}),
}


def parse_action(value: str) -> ModAction:
    try:
        return ModAction(value)
    except ValueError:
        names = ", ".join(a.value for a in ModAction)
        raise InvalidInput(f"action must be one of {names}", field="action") from None


class AccountProtected(Forbidden):
    """The operator's account, and a moderator's unless the operator acts, is out of reach of
    the account actions."""

    type = "account_protected"
    title = "This account is not yours to act against"


def check_account_action(
    action: ModAction, *, target_is_operator: bool, target_moderates: bool, by_operator: bool
) -> None:
    """Warn, suspend and ban: never the operator, who answers for the service and whom nobody
    could lift a suspension for; a moderator only by the operator, so no moderator locks
    another out of the queue."""
    if not action.on_account:
        return
    if target_is_operator:
        raise AccountProtected(f"the operator's account cannot be {_PAST[action]}")
    if target_moderates and not by_operator:
        raise AccountProtected(
            f"only the operator may {action.value} a moderator (or revoke their grant first)"
        )


_PAST = {ModAction.WARN: "warned", ModAction.SUSPEND: "suspended", ModAction.BAN: "banned"}


def check_action_fits(action: ModAction, case: Case) -> None:
    """The action applies to this case: a complaint is upheld or reversed, nothing else is."""
    if (case.kind is CaseKind.APPEAL) != action.on_complaint:
        raise InvalidInput(
            "a complaint is decided with uphold or reverse, and only a complaint is",
            field="action",
        )
    subject, subject_user_id = case.subject.value, case.subject_user_id
    allowed = _ACTS_ON[action]
    if allowed is not None and subject not in allowed:
        raise InvalidInput(f"{action.value} does not apply to a {subject}", field="action")
    if action.on_account and subject_user_id is None:
        raise InvalidInput(f"this {subject} has no user to {action.value}", field="action")


def parse_category(category: str) -> Category:
    try:
        return Category(category)
    except ValueError:
        raise InvalidInput(
            "category must be one of the DSA transparency database's STATEMENT_CATEGORY_… values",
            field="category",
        ) from None


def check_ground(
    action: ModAction, ground: str | None, legal_ground: str | None
) -> tuple[Ground, str]:
    """The ground of a restriction (Art. 17(3)(d)–(e)): illegal content names the law it
    breaks; content against our terms names the term, by default `TERMS_GROUND`."""
    if not action.restricts:
        if ground is not None or legal_ground is not None:
            raise InvalidInput(
                f"{action.value} restricts nothing: it has no ground", field="ground"
            )
        return Ground.INCOMPATIBLE_CONTENT, TERMS_GROUND
    try:
        parsed = Ground(ground or Ground.INCOMPATIBLE_CONTENT)
    except ValueError:
        names = " or ".join(g.value for g in Ground)
        raise InvalidInput(f"ground must be {names}", field="ground") from None
    if legal_ground is None or not legal_ground.strip():
        if parsed is Ground.ILLEGAL_CONTENT:
            raise InvalidInput(
                "illegal content needs legal_ground: the law it breaks "
                "(e.g. Art. 5 Directive (EU) 2017/541)",
                field="legal_ground",
            )
        return parsed, TERMS_GROUND
    return parsed, check_line(legal_ground, "legal_ground", LEGAL_GROUND_MAX_CHARS)


def check_report_text(text: str) -> str:
    return check_multiline(text, "text", REPORT_TEXT_MAX_CHARS, min_chars=0)


def check_reason(reason: str) -> str:
    """What a moderator writes: the statement's explanation the affected user reads."""
    return check_multiline(reason, "reason", REASON_MAX_CHARS, min_chars=1)


def check_appeal_text(text: str) -> str:
    return check_multiline(text, "text", APPEAL_TEXT_MAX_CHARS, min_chars=1)


def report_priority(trusted: bool) -> int:
    """A trusted flagger's notice goes before everyone's (Art. 22)."""
    return PRIORITY_TRUSTED_FLAGGER if trusted else PRIORITY_REPORT


def check_suspension_s(duration_s: int | None, default_s: int, max_s: int) -> int:
    if duration_s is None:
        return default_s
    if not 60 <= duration_s <= max_s:
        raise InvalidInput(f"duration_s must be between 60 and {max_s}", field="duration_s")
    return duration_s


@dataclass(frozen=True, slots=True)
class AccountRestriction:
    user_id: int
    kind: Restriction
    until_ms: int | None  # None: permanent (a ban)
    action_id: int

    def active(self, now_ms: int) -> bool:
        return self.until_ms is None or now_ms < self.until_ms

    def refusal(self) -> str:
        if self.kind is Restriction.BANNED:
            return "this account is banned; you may file a complaint against the decision"
        return "this account is suspended until the time given in its statement of reasons"


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    case_id: int
    reporter_id: int
    subject: str
    subject_id: int
    chat_id: int | None
    category: str
    text: str
    trusted: bool
    created_at_ms: int

    def view(self) -> dict[str, Any]:
        """For moderators only: the reported user never sees who reported them."""
        return {
            "id": str(self.id),
            "reporter_id": str(self.reporter_id),
            "category": self.category,
            "text": self.text,
            "trusted": self.trusted,
            "created_at_ms": self.created_at_ms,
        }

    def receipt(self) -> dict[str, Any]:
        """What the reporter gets back."""
        return {
            "id": str(self.id),
            "subject": self.subject,
            "subject_id": str(self.subject_id),
            "category": self.category,
            "trusted": self.trusted,
            "created_at_ms": self.created_at_ms,
        }


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One moderator action, kept so an appeal can undo it and a suspension can see the
    warning before it."""

    id: int
    case_id: int
    action: ModAction
    actor_id: int
    target_user_id: int | None
    subject: str
    subject_id: int
    chat_id: int | None
    statement_id: int | None
    until_ms: int | None
    created_at_ms: int
    reversed_at_ms: int | None

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "action": self.action.value,
            "actor_id": str(self.actor_id),
            "target_user_id": _id(self.target_user_id),
            "statement_id": _id(self.statement_id),
            "until_ms": self.until_ms,
            "created_at_ms": self.created_at_ms,
            "reversed_at_ms": self.reversed_at_ms,
        }


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


# --- statements of reasons (Art. 17) for what moderators do

_CONTENT_TYPE = {
    Subject.MESSAGE: ContentType.TEXT,
    Subject.POT: ContentType.PRODUCT,
    Subject.MEDIA: ContentType.IMAGE,
}
_CONTENT_TYPE_OTHER = {
    Subject.USER: "a user account",
    Subject.CHAT: "a group or channel",
    Subject.STATEMENT: "a statement of reasons",
}
_WHAT = {
    ModAction.REMOVE: "removed your message for everyone",
    ModAction.FREEZE_POT: "froze your pot: no contributions and no payouts",
    ModAction.WARN: "warned your account: a further breach may suspend it",
    ModAction.SUSPEND: "suspended your account: you cannot log in or post until it ends",
    ModAction.BAN: "banned your account: you cannot log in or post any more",
    ModAction.CLOSE_CHAT: "closed your chat: it stays readable, nobody can post in it",
}


def _source(case: Case) -> Source:
    if case.kind is CaseKind.REPORT:
        return Source.TRUSTED_FLAGGER if case.data.get("trusted") else Source.ARTICLE_16
    if case.kind is CaseKind.ORDER:
        return Source.OTHER_NOTIFICATION
    return Source.VOLUNTARY


def statement_facts(
    action: ModAction,
    case: Case,
    reason: str,
    *,
    category: Category | None,
    ground: Ground = Ground.INCOMPATIBLE_CONTENT,
    legal_ground: str = TERMS_GROUND,
    until_ms: int | None,
    refund: bool,
) -> StatementFacts:
    """The statement a moderator's action sends the affected user, on the ground they chose
    (`check_ground`). The source says a notice or a trusted flagger's notice led to it, never
    who sent it."""
    if category is None:
        known = str(case.data.get("category"))
        categories = {c.value: c for c in Category}
        category = categories.get(known, Category.RISK_FOR_PUBLIC_SECURITY)
    restriction: dict[str, Any] = {}
    if action is ModAction.REMOVE:
        restriction["visibility"] = (Visibility.CONTENT_REMOVED,)
    elif action is ModAction.FREEZE_POT:
        restriction["monetary"] = Monetary.TERMINATION if refund else Monetary.SUSPENSION
    elif action is ModAction.SUSPEND:
        restriction["account"] = AccountDecision.SUSPENDED
    elif action is ModAction.BAN:
        restriction["account"] = AccountDecision.TERMINATED
    elif action is ModAction.CLOSE_CHAT:
        restriction["provision"] = Provision.PARTIAL_TERMINATION
    else:  # a warning restricts nothing yet; it is what allows a suspension (Art. 23)
        restriction["visibility"] = (Visibility.OTHER,)
        restriction["visibility_other"] = WARNING_VISIBILITY
    rules = f" (rules: {', '.join(case.rule_ids)})" if case.rule_ids else ""
    content_type = _CONTENT_TYPE.get(case.subject, ContentType.OTHER)
    return StatementFacts(
        category=category,
        ground=ground,
        legal_ground=legal_ground,
        facts=f"A moderator reviewed your {case.subject.value} and {_WHAT[action]}{rules}.",
        content_type=content_type,
        content_type_other=""
        if content_type is not ContentType.OTHER
        else _CONTENT_TYPE_OTHER.get(case.subject, case.subject.value),
        source=_source(case),
        automated_detection=case.automated,
        automation=Automation.NOT_AUTOMATED,
        explanation=reason,
        end_at_ms=until_ms,
        extra={"action": action.value, "rule_ids": list(case.rule_ids)},
        **restriction,
    )
