"""The one rule for text a user gives: every title, name, bio, description, message and label.

No NUL (PostgreSQL cannot store it, so SQLite and PostgreSQL would disagree), no other control
characters but the line breaks and tabs of multi-line fields (they hide or garble text when
shown), no lone surrogates (not encodable as UTF-8: any database refuses them), and a length.
"""

from __future__ import annotations

import re

from colletta.errors import InvalidInput

# C0 and C1 controls and DEL, and UTF-16 surrogate halves (JSON escapes can carry them).
_FORBIDDEN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_line(value: str, field: str, max_chars: int, *, min_chars: int = 1) -> str:
    """A one-line label (title, display name, device name, emoji): runs of white space become
    one space, ends are trimmed."""
    cleaned = " ".join(value.split())
    _check_chars(cleaned, field, _FORBIDDEN_LINE)
    _check_length(cleaned, field, min_chars, max_chars)
    return cleaned


def check_multiline(value: str, field: str, max_chars: int, *, min_chars: int = 0) -> str:
    """Free text (message, description, bio), kept as written; blank counts as empty."""
    _check_chars(value, field, _FORBIDDEN_MULTILINE)
    if min_chars and not value.strip():
        raise InvalidInput(f"{field} must not be empty", field=field)
    _check_length(value, field, min_chars, max_chars)
    return value


def _check_chars(value: str, field: str, forbidden: re.Pattern[str]) -> None:
    # isprintable() is false for every forbidden character, and checks in C what most text
    # is: one message costs ~0.1 µs this way against ~2 µs for the pattern.
    if not value.isprintable() and forbidden.search(value):
        raise InvalidInput(
            f"{field} must not contain NUL, control characters or lone surrogates", field=field
        )


def _check_length(value: str, field: str, min_chars: int, max_chars: int) -> None:
    if len(value) < min_chars:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_chars:
        raise InvalidInput(f"{field} must be at most {max_chars} characters", field=field)
