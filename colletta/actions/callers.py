"""Who is asking, and a short-lived cache of it so a request does not re-read its session.

Every node subscribes to the `sessions` topic; logout, revocation, password and profile
changes publish there, so a cached caller is dropped on every node as soon as it is stale.
The TTL only bounds what a lost bus message could leave behind, and how often a busy
session is read (and its `last_seen_at_ms` considered for an update).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from colletta.clock import Clock
from colletta.domain.users import User
from colletta.errors import NotFound

SESSIONS_TOPIC = "sessions"
CACHE_TTL_MS = 30_000
CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the user and the device session the token belongs to."""

    user: User
    session_id: int

    @property
    def user_id(self) -> int:
        return self.user.id


def check_moderator(caller: Caller) -> None:
    """Moderation routes exist only for moderators and the operator; others get 404."""
    if not caller.user.moderates:
        raise NotFound("not found")


def check_operator_or_hidden(caller: Caller) -> None:
    """Operator routes answer 404 to anyone else: they do not exist for them."""
    if not caller.user.is_operator:
        raise NotFound("no such route")


class CallerCache:
    """Callers by token hash for CACHE_TTL_MS of the Context's clock (a fake one in tests)."""

    def __init__(self, clock: Clock) -> None:
        self._now_ms = clock.now_ms  # bound once: `get` runs on every request
        self._by_token: OrderedDict[str, tuple[Caller, int]] = OrderedDict()

    def get(self, token_hash: str) -> Caller | None:
        found = self._by_token.get(token_hash)
        if found is None:
            return None
        caller, cached_at_ms = found
        # A clock set back must not keep an entry alive either.
        if not 0 <= self._now_ms() - cached_at_ms < CACHE_TTL_MS:
            del self._by_token[token_hash]
            return None
        return caller

    def put(self, token_hash: str, caller: Caller) -> None:
        self._by_token[token_hash] = (caller, self._now_ms())
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
