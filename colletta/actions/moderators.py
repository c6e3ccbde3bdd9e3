"""Who may moderate, and the operator's grants of moderator and trusted-flagger status."""

from __future__ import annotations

from enum import StrEnum

from colletta.actions.audit import audit
from colletta.actions.callers import check_moderator as check_moderator
from colletta.actions.context import Context
from colletta.domain import events
from colletta.domain.cases import Subject
from colletta.domain.users import User, normalize_username
from colletta.errors import NotFound
from colletta.store import users as user_store


class Grant(StrEnum):
    MODERATOR = "moderator"
    TRUSTED_FLAGGER = "trusted-flagger"

    @property
    def column(self) -> str:
        return "is_moderator" if self is Grant.MODERATOR else "trusted_flagger"


async def do_set_grant(
    ctx: Context, username: str, grant: Grant, value: bool, *, actor_id: int | None = None
) -> User:
    """Grant or revoke; audited, and every node drops the user's cached sessions so the
    change applies to the next request."""
    name = normalize_username(username)
    async with ctx.db.write() as tx:
        found = await user_store.get_login(tx.conn, name)
        if found is None:
            raise NotFound("no such user")
        user = found[0]
        await user_store.update_user(tx.conn, user.id, **{grant.column: value})
        await audit(
            ctx,
            tx,
            actor_id=actor_id,
            action=f"{'grant' if value else 'revoke'}.{grant.value}",
            subject=Subject.USER.value,
            subject_id=user.id,
        )
        ctx.announce_session_change(tx, user.id, events.CONTROL_PROFILE_CHANGED, None)
        updated = await user_store.get_user(tx.conn, user.id)
    assert updated is not None
    return updated
