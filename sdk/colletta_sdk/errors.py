"""Exceptions the SDK raises on purpose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROBLEM_BASE = "https://colletta.chat/problems/"


class ColettaSdkError(Exception):
    """Base of every SDK error."""


class ApiError(ColettaSdkError):
    """A problem+json answer (RFC 9457); `type_slug` is the stable part to switch on."""

    def __init__(
        self,
        status: int,
        type_slug: str,
        title: str,
        detail: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {type_slug}: {detail or title}")
        self.status = status
        self.type_slug = type_slug
        self.title = title
        self.detail = detail
        self.extra: dict[str, Any] = dict(extra or {})

    @property
    def retry_after_s(self) -> float | None:
        """Seconds to wait, for `rate_limited` problems."""
        value = self.extra.get("retry_after_s")
        return float(value) if isinstance(value, int | float) else None

    @classmethod
    def from_problem(cls, problem: Mapping[str, Any], status: int | None = None) -> ApiError:
        """Build from a decoded problem object; `status` is the HTTP status if known."""
        type_url = problem.get("type")
        slug = slug_of(type_url) if isinstance(type_url, str) and type_url else "about:blank"
        raw_status = problem.get("status")
        if status is None:
            status = raw_status if isinstance(raw_status, int) else 0
        title = problem.get("title")
        detail = problem.get("detail")
        extra = {k: v for k, v in problem.items() if k not in {"type", "title", "status", "detail"}}
        return cls(
            status,
            slug,
            title if isinstance(title, str) else slug,
            detail if isinstance(detail, str) else None,
            extra,
        )


def slug_of(type_url: str) -> str:
    """The last path segment of a problem `type` URL (`…/problems/not_found` → `not_found`)."""
    if type_url == "about:blank":
        return type_url
    return type_url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class AuthError(ColettaSdkError):
    """The token is missing, wrong or revoked (WebSocket close 4401): log in again."""


class ProtocolError(ColettaSdkError):
    """The server rejected our frames (close 4400) or sent something unreadable."""
