"""What every route needs: the Context, the caller, and a fast JSON response."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Path, Query, Request
from pydantic import WithJsonSchema
from starlette.responses import Response

from colletta.actions.accounts import access_caller
from colletta.actions.callers import Caller
from colletta.actions.context import Context
from colletta.api.cookies import CSRF_HEADER, check_csrf, cookie_token
from colletta.api.models import ID_SCHEMA, MAX_ID


async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def bearer_token(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization", ""))


def parse_bearer(header: str) -> str | None:
    """The token of an `Authorization: Bearer …` header, if that is what it is."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def request_token(request: Request) -> str | None:
    """The bearer token, else the browser's session cookie (state changes then need the
    CSRF header: api/cookies.py)."""
    token = bearer_token(request)
    if token is not None:
        return token
    token = cookie_token(request.cookies)
    if token is not None:
        check_csrf(request.method, token, request.headers.get(CSRF_HEADER))
    return token


async def get_caller(request: Request, ctx: Annotated[Context, Depends(get_context)]) -> Caller:
    return await access_caller(ctx, request_token(request))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Ctx = Annotated[Context, Depends(get_context)]
CallerDep = Annotated[Caller, Depends(get_caller)]
# Parsed as integers, documented as the strings every id is in JSON (models.ID_SCHEMA).
IdPath = Annotated[int, Path(ge=1, le=MAX_ID), WithJsonSchema(ID_SCHEMA)]
ChatId = IdPath
MessageId = IdPath
MediaId = IdPath
UserId = IdPath
SessionId = IdPath
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID), WithJsonSchema(ID_SCHEMA)]
IncludeBlocked = Query(
    False,
    description="Show the messages of users you blocked (else they come as placeholders, "
    "`from_blocked: true`).",
)


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def no_content() -> Response:
    return Response(status_code=204)
