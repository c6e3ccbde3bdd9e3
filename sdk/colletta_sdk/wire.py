"""Small pieces every API call module shares: the path prefix, path segments, request ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

API = "/api/v1"
T = TypeVar("T")


def new_txn_id() -> str:
    """A fresh idempotency key (`client_txn_id`, `client_id`): random, so two clients never
    collide."""
    return uuid.uuid4().hex


def seg(value: str | int) -> str:
    """One URL path segment; escapes everything (emoji, slashes in a bad id)."""
    return quote(str(value), safe="")


def drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


async def pages(
    fetch: Callable[[str | None], Awaitable[tuple[Sequence[T], str | None]]],
) -> AsyncIterator[T]:
    """Every item of a cursor-paged list: `fetch(cursor)` gives a page and the next cursor
    (None on the last page); the first call gets None."""
    cursor: str | None = None
    while True:
        items, cursor = await fetch(cursor)
        for item in items:
            yield item
        if cursor is None or not items:
            return


class Transport:
    """What the call mixins (`PotMethods`, `SafetyMethods`, `BankMethods`, `ModerationMethods`,
    `OrderMethods`) need of `Client`, which supplies it."""

    async def _json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        raise NotImplementedError
