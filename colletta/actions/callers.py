"""Who is asking, and a short-lived cache of it so a request does not re-read its session.

Every node subscribes to the `sessions` topic; logout, revocation, password and profile
changes publish there, so a cached caller is dropped on every node as soon as it is stale.
The TTL only bounds what a lost bus message could leave behind.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from colletta.domain.users import User

SESSIONS_TOPIC = "sessions"
CACHE_TTL_S = 30.0
CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the user and the device session the token belongs to."""

    user: User
    session_id: int

    @property
    def user_id(self) -> int:
        return self.user.id


class CallerCache:
    def __init__(self) -> None:
        self._by_token: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    def get(self, token_hash: str) -> Caller | None:
        found = self._by_token.get(token_hash)
        if found is None:
            return None
        caller, expires = found
        if expires < time.monotonic():
            del self._by_token[token_hash]
            return None
        return caller

    def put(self, token_hash: str, caller: Caller) -> None:
        self._by_token[token_hash] = (caller, time.monotonic() + CACHE_TTL_S)
        self._by_token.move_to_end(token_hash)
        while len(self._by_token) > CACHE_MAX:
            self._by_token.popitem(last=False)

    def forget(
        self, user_id: int, *, session_id: int | None = None, keep: int | None = None
    ) -> None:
        """Drop one session, or every session of the user except `keep`, or all of them."""
        for token_hash, (caller, _) in list(self._by_token.items()):
            if caller.user_id != user_id:
                continue
            if session_id is not None and caller.session_id != session_id:
                continue
            if keep is not None and caller.session_id == keep:
                continue
            del self._by_token[token_hash]
