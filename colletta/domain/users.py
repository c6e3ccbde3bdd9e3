"""Accounts: what a username and a password must look like, and how a user is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from colletta.domain.text import check_line, check_multiline
from colletta.errors import InvalidInput

USERNAME_MAX_CHARS = 32
USERNAME_RE = re.compile(r"^[a-z0-9_]{3,32}$")
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024
DISPLAY_NAME_MAX_CHARS = 64
BIO_MAX_CHARS = 512
DEVICE_NAME_MAX_CHARS = 64  # kept
DEVICE_NAME_GIVEN_MAX_CHARS = 256  # accepted


def normalize_username(raw: str) -> str:
    """Usernames compare case-insensitively; we store the lower-case form."""
    name = raw.strip().lower()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidInput("username must be 3–32 characters of a–z, 0–9 and _", field="username")
    return name


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_CHARS:
        raise InvalidInput(
            f"password must be at least {PASSWORD_MIN_CHARS} characters", field="password"
        )
    if len(password) > PASSWORD_MAX_CHARS:
        raise InvalidInput("password is too long", field="password")


def check_display_name(name: str) -> str:
    return check_line(name, "display_name", DISPLAY_NAME_MAX_CHARS)


def check_bio(bio: str) -> str:
    return check_multiline(bio, "bio", BIO_MAX_CHARS)


def check_device_name(name: str | None) -> str:
    """The name a login gives its session, cut to what is kept (a login does not fail over a
    long host name); none or blank is "unnamed device"."""
    cleaned = check_line(name or "", "device_name", DEVICE_NAME_GIVEN_MAX_CHARS, min_chars=0)
    return cleaned[:DEVICE_NAME_MAX_CHARS].rstrip() or "unnamed device"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    bio: str
    is_operator: bool
    created_at_ms: int
    is_moderator: bool = False
    trusted_flagger: bool = False

    @property
    def moderates(self) -> bool:
        """Works the case queue: a moderator, or the operator."""
        return self.is_operator or self.is_moderator

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "display_name": self.display_name,
            "bio": self.bio,
            "is_operator": self.is_operator,
            "is_moderator": self.is_moderator,
            "created_at_ms": self.created_at_ms,
        }
