"""Accounts: register, login, logout, password, sessions, profile, user search."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from colletta.actions import accounts
from colletta.api import models
from colletta.api.cookies import clear_session_cookies, csrf_token_for, set_session_cookies
from colletta.api.deps import JSON, CallerDep, Ctx, SessionId, client_ip, no_content

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=models.PROBLEM_RESPONSES)


@router.post("/auth/register", status_code=201, response_model=models.User)
async def register(body: models.RegisterIn, request: Request, ctx: Ctx) -> Response:
    user = await accounts.do_register(
        ctx, body.username, body.password, body.display_name, client_ip=client_ip(request)
    )
    return JSON(user.view(), status_code=201)


@router.post("/auth/login", response_model=models.LoginOut)
async def login(body: models.LoginIn, request: Request, ctx: Ctx) -> Response:
    result = await accounts.do_login(
        ctx, body.username, body.password, body.device_name, client_ip=client_ip(request)
    )
    return JSON(
        {"token": result.token, "session_id": str(result.session_id), "user": result.user.view()}
    )


@router.post("/auth/web-login", response_model=models.WebLoginOut)
async def web_login(body: models.LoginIn, request: Request, ctx: Ctx) -> Response:
    """Login for the web client: the session goes in an HttpOnly cookie, never in the body;
    state-changing requests then send `X-CSRF-Token: <csrf_token>` (api/cookies.py)."""
    result = await accounts.do_login(
        ctx, body.username, body.password, body.device_name, client_ip=client_ip(request)
    )
    response = JSON(
        {
            "session_id": str(result.session_id),
            "user": result.user.view(),
            "csrf_token": csrf_token_for(result.token),
        }
    )
    set_session_cookies(response, ctx.settings, result.token)
    return response


@router.post("/auth/logout", status_code=204)
async def logout(ctx: Ctx, caller: CallerDep) -> Response:
    await accounts.do_logout(ctx, caller)
    response = no_content()
    clear_session_cookies(response, ctx.settings)
    return response


@router.post("/auth/password", status_code=204)
async def change_password(body: models.PasswordIn, ctx: Ctx, caller: CallerDep) -> Response:
    await accounts.do_change_password(ctx, caller, body.old_password, body.new_password)
    return no_content()


@router.get("/sessions", response_model=models.Sessions)
async def sessions(ctx: Ctx, caller: CallerDep) -> Response:
    return JSON({"sessions": await accounts.access_sessions(ctx, caller)})


@router.delete("/sessions/{session_id}", status_code=204)
async def revoke_session(session_id: SessionId, ctx: Ctx, caller: CallerDep) -> Response:
    await accounts.do_revoke_session(ctx, caller, session_id)
    return no_content()


@router.get("/me", response_model=models.User)
async def me(caller: CallerDep) -> Response:
    return JSON(caller.user.view())


@router.patch("/me", response_model=models.User)
async def update_me(body: models.ProfileIn, ctx: Ctx, caller: CallerDep) -> Response:
    user = await accounts.do_update_profile(ctx, caller, body.display_name, body.bio)
    return JSON(user.view())


@router.get("/users", response_model=models.Users)
async def search_users(
    ctx: Ctx,
    caller: CallerDep,
    prefix: str = Query(min_length=1, max_length=32),
    limit: int = Query(20, ge=1, le=50),
) -> Response:
    found = await accounts.access_user_search(ctx, caller, prefix, limit)
    return JSON({"users": [user.view() for user in found]})
