"""Accounts: register, log in and out, sessions, password, profile, user search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.domain import events
from colletta.domain.text import check_line
from colletta.domain.users import (
    USERNAME_MAX_CHARS,
    USERNAME_RE,
    User,
    check_bio,
    check_device_name,
    check_display_name,
    check_password,
    normalize_username,
)
from colletta.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from colletta.ids import hash_token, new_id, new_token
from colletta.store import moderation as moderation_store
from colletta.store import users as store
from colletta.store.db import Tx

USER_SEARCH_MAX = 50
# `last_seen_at_ms` moves at most this often per session: a write per request would cost
# the send path; idle expiry is counted in days.
SESSION_SEEN_RESOLUTION_MS = 5 * 60_000


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    session_id: int
    user: User


async def do_register(
    ctx: Context,
    username: str,
    password: str,
    display_name: str | None = None,
    *,
    client_ip: str = "",
    is_operator: bool = False,
) -> User:
    name = normalize_username(username)
    check_password(password)
    shown = check_display_name(display_name) if display_name else name
    if client_ip:
        await ctx.limiter.hit(ctx.settings.register_rate, "register-ip", client_ip)
        await ctx.limiter.hit(ctx.settings.register_rate, "register-user", name)
    password_hash = await ctx.passwords.hash(password)
    try:
        async with ctx.db.write() as tx:
            return await store.insert_user(
                tx.conn,
                user_id=new_id(),
                username=name,
                display_name=shown,
                password_hash=password_hash,
                is_operator=is_operator,
                now_ms=ctx.clock.now_ms(),
            )
    except IntegrityError:
        raise Conflict("that username is taken", field="username") from None


async def do_create_operator(ctx: Context, username: str, password: str) -> User:
    """The operator account; only the first one created this way may exist."""
    async with ctx.db.read() as conn:
        if await store.operator_exists(conn):
            raise Conflict("an operator already exists")
    return await do_register(ctx, username, password, is_operator=True)


async def do_login(
    ctx: Context, username: str, password: str, device_name: str | None, *, client_ip: str = ""
) -> LoginResult:
    """Log in (see `authenticate`); a suspended or banned account is refused."""
    device = check_device_name(device_name)
    user = await authenticate(ctx, username, password, client_ip=client_ip)
    await _check_not_restricted(ctx, user.id)
    token = new_token()
    session_id = new_id()
    now_ms = ctx.clock.now_ms()
    async with ctx.db.write() as tx:
        await store.insert_session(
            tx.conn,
            session_id=session_id,
            user_id=user.id,
            token_hash=hash_token(token),
            device_name=device,
            now_ms=now_ms,
        )
        # Sessions left idle past expiry and never presented again go here.
        await store.delete_idle_sessions(tx.conn, user.id, now_ms - _idle_expiry_ms(ctx))
    return LoginResult(token, session_id, user)


async def authenticate(ctx: Context, username: str, password: str, *, client_ip: str) -> User:
    """The user whose password this is, within three budgets (no session is made).

    Per client address: every attempt counts. Per (username, address): failures, so guessing
    from one place is refused there without locking the user out anywhere else (racing
    attempts are bounded by the per-address budget). Per username from everywhere: failures,
    and past it every attempt waits `login_slowdown_s` instead of being refused, so the right
    password still gets in.
    """
    name = username.strip().lower()
    limiter, settings = ctx.limiter, ctx.settings
    await limiter.hit(settings.login_rate, "login-ip", client_ip)
    pair = ("login-pair", name, client_ip)
    await limiter.check(settings.login_failure_rate, *pair)
    if await limiter.is_spent(settings.login_user_failure_rate, "login-user", name):
        await ctx.clock.sleep(settings.login_slowdown_s)
    found = None
    if USERNAME_RE.fullmatch(name):  # no name that cannot exist reaches the database
        async with ctx.db.read() as conn:
            found = await store.get_login(conn, name)
    # An unknown username is checked against a dummy hash: the same work, the same time.
    matches = await ctx.passwords.verify(found[1] if found else None, password)
    if found is None or not matches:
        await limiter.count(settings.login_failure_rate, *pair)
        await limiter.count(settings.login_user_failure_rate, "login-user", name)
        raise Unauthenticated("wrong username or password")
    return found[0]


async def _check_not_restricted(ctx: Context, user_id: int) -> None:
    """A suspended or banned account may not log in (after the password, so the refusal
    tells nothing to someone who does not know it)."""
    async with ctx.db.read() as conn:
        restriction = await moderation_store.get_restriction(conn, user_id)
        if restriction is None or not restriction.active(ctx.clock.now_ms()):
            return
        statement_id = await moderation_store.get_action_statement_id(conn, restriction.action_id)
    # The statement to complain against (POST /api/v1/appeals/restricted) goes with the refusal.
    raise Forbidden(
        restriction.refusal(),
        until_ms=restriction.until_ms,
        statement_id=None if statement_id is None else str(statement_id),
    )


def _idle_expiry_ms(ctx: Context) -> int:
    return ctx.settings.session_idle_expiry_s * 1000


async def access_caller(ctx: Context, token: str | None) -> Caller:
    """The user behind a bearer token, or Unauthenticated."""
    if not token:
        raise Unauthenticated("log in and send 'Authorization: Bearer <token>'")
    token_hash = hash_token(token)
    cached = ctx.callers.get(token_hash)
    if cached is not None:
        return cached
    async with ctx.db.read() as conn:
        found = await store.get_session_user(conn, token_hash)
    if found is None:
        raise Unauthenticated("the token is unknown or was revoked")
    session_id, seen_ms, user = found
    idle_ms = ctx.clock.now_ms() - seen_ms
    if idle_ms > _idle_expiry_ms(ctx):
        async with ctx.db.write() as tx:
            if await store.delete_session(tx.conn, user.id, session_id):
                _close_live_sessions(ctx, tx, user.id, session_id)
        raise Unauthenticated("the session expired; log in again")
    if idle_ms >= SESSION_SEEN_RESOLUTION_MS:
        async with ctx.db.write() as tx:
            await store.update_session_seen(tx.conn, session_id, ctx.clock.now_ms())
    caller = Caller(user, session_id)
    ctx.callers.put(token_hash, caller)
    return caller


async def end_all_sessions(ctx: Context, tx: Tx, user_id: int) -> None:
    """Log the user out everywhere (a suspension or a ban): every session is deleted, open
    sockets close and cached callers are dropped on every node once `tx` commits."""
    await store.delete_other_sessions(tx.conn, user_id, 0)  # session ids are never 0
    _close_live_sessions(ctx, tx, user_id, 0, all_but=True)


def _close_live_sessions(
    ctx: Context, tx: Tx, user_id: int, session_id: int, *, all_but: bool = False
) -> None:
    """Revocation reaches sockets already open and cached callers, on every node."""
    control = events.CONTROL_REVOKE_OTHER_SESSIONS if all_but else events.CONTROL_REVOKE_SESSION
    ctx.notify_user(tx, user_id, 0, events.SESSION_REVOKED, {}, control=control, seq=session_id)
    ctx.announce_session_change(tx, user_id, control, session_id)


async def do_logout(ctx: Context, caller: Caller) -> None:
    async with ctx.db.write() as tx:
        await store.delete_session(tx.conn, caller.user_id, caller.session_id)
        _close_live_sessions(ctx, tx, caller.user_id, caller.session_id)


async def access_sessions(ctx: Context, caller: Caller) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        rows = await store.get_sessions(
            conn, caller.user_id, ctx.clock.now_ms() - _idle_expiry_ms(ctx)
        )
    return [
        {
            "id": str(row.id),
            "device_name": row.device_name,
            "created_at_ms": row.created_at_ms,
            "last_seen_at_ms": row.last_seen_at_ms,
            "current": row.id == caller.session_id,
        }
        for row in rows
    ]


async def do_revoke_session(ctx: Context, caller: Caller, session_id: int) -> None:
    async with ctx.db.write() as tx:
        if not await store.delete_session(tx.conn, caller.user_id, session_id):
            raise NotFound("no such session")
        _close_live_sessions(ctx, tx, caller.user_id, session_id)


async def do_change_password(
    ctx: Context, caller: Caller, old_password: str, new_password: str
) -> None:
    check_password(new_password)
    # Each attempt costs a hash: unbounded, they starve every other login of the hash slots.
    await ctx.limiter.hit(ctx.settings.password_change_rate, "password", str(caller.user_id))
    async with ctx.db.read() as conn:
        current = await store.get_password_hash(conn, caller.user_id)
    if current is None or not await ctx.passwords.verify(current, old_password):
        raise InvalidInput("the old password is wrong", field="old_password")
    new_hash = await ctx.passwords.hash(new_password)
    async with ctx.db.write() as tx:
        await store.update_user(tx.conn, caller.user_id, password_hash=new_hash)
        await store.delete_other_sessions(tx.conn, caller.user_id, caller.session_id)
        _close_live_sessions(ctx, tx, caller.user_id, caller.session_id, all_but=True)


async def do_update_profile(
    ctx: Context, caller: Caller, display_name: str | None, bio: str | None
) -> User:
    values: dict[str, Any] = {}
    if display_name is not None:
        values["display_name"] = check_display_name(display_name)
    if bio is not None:
        values["bio"] = check_bio(bio)
    async with ctx.db.write() as tx:
        if values:
            await store.update_user(tx.conn, caller.user_id, **values)
            ctx.announce_session_change(tx, caller.user_id, events.CONTROL_PROFILE_CHANGED, None)
        user = await store.get_user(tx.conn, caller.user_id)
    assert user is not None
    return user


async def access_user_search(ctx: Context, caller: Caller, prefix: str, limit: int) -> list[User]:
    cleaned = check_line(prefix, "prefix", USERNAME_MAX_CHARS).lower()
    async with ctx.db.read() as conn:
        return await store.search_users(conn, cleaned, min(max(limit, 1), USER_SEARCH_MAX))
