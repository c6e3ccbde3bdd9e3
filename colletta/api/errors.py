"""Errors to problem+json (RFC 9457) and to WebSocket close codes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from colletta import errors
from colletta.log import get_logger

log = get_logger(__name__)
PROBLEM_BASE = "https://colletta.chat/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

STATUS: dict[type[errors.ColettaError], int] = {
    # 422: the request was read, a value in it is wrong. 400 is only for a body that cannot be
    # read at all (bad JSON, bad UTF-8, too deep, not JSON): see `on_validation_error`.
    errors.InvalidInput: 422,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.TooLarge: 413,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
    errors.InsufficientStorage: 507,
    errors.ResyncRequired: 409,
    errors.MediaRangeNotSatisfiable: 416,
    errors.WebhookRefused: 400,
}


def status_of(exc: errors.ColettaError) -> int:
    """The HTTP status of an error: its own class's, else the nearest base class's."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


# WebSocket close codes (docs/events.md).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_FRAME = 4400
CLOSE_SLOW = 4408
CLOSE_RESTARTING = 1012
CLOSE_TOO_MANY = 4429
# RFC 6455 "try again later": the database this node needs is unreachable, or its disk full.
CLOSE_TRY_AGAIN = 1013

_HTTP_SLUGS = {
    400: ("invalid_input", "Invalid input"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("invalid_input", "Invalid input"),
}


def problem(
    slug: str,
    title: str,
    status: int,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def log_outage(exc: errors.ColettaError, where: str) -> None:
    """One line, no traceback, for a 503/507: an outage is the operator's news, not a bug."""
    if isinstance(exc, errors.Outage):
        cause = exc.__cause__
        log.warning(
            "%s on %s: %s (%s)", exc.type, where, exc.detail, type(cause).__name__ if cause else "-"
        )


def problem_for(exc: errors.ColettaError) -> Response:
    status = status_of(exc)
    headers = None
    if isinstance(exc, errors.MediaRangeNotSatisfiable):
        headers = {"Content-Range": f"bytes */{exc.size_bytes}"}
    if isinstance(exc, errors.TryLater):
        headers = {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, errors.Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    return problem(exc.type, exc.title, status, exc.detail, exc.extra, headers)


def problem_body(exc: errors.ColettaError) -> dict[str, Any]:
    """The problem object alone, for WebSocket error frames."""
    return {
        "type": PROBLEM_BASE + exc.type,
        "title": exc.title,
        "status": status_of(exc),
        "detail": exc.detail,
        **exc.extra,
    }


def invalid_input(validation_errors: Sequence[Any]) -> errors.InvalidInput:
    """Pydantic's errors as one InvalidInput naming the fields, never echoing the values
    (they may be passwords)."""
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in validation_errors
    ]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return errors.InvalidInput(detail, errors=fields)


def unreadable(validation_errors: Sequence[Any]) -> bool:
    """Whether the body is not a JSON document: bad syntax, none at all, a content type other
    than JSON (FastAPI leaves the bytes), or NaN and Infinity, which Python's parser lets in."""
    return any(_unreadable(err) for err in validation_errors)


def _unreadable(err: Mapping[str, Any]) -> bool:
    value = err.get("input")
    if err["type"] == "json_invalid" or (isinstance(value, float) and not math.isfinite(value)):
        return True
    whole_body = tuple(err["loc"]) == ("body",)
    return whole_body and (err["type"] == "missing" or isinstance(value, bytes))


def internal_error() -> Response:
    """The 500 answer, from the app's handler and from the send fast path."""
    return problem("internal", "Internal error", 500, "the server failed; nothing was lost")


def install(app: FastAPI) -> None:
    async def on_colletta_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.ColettaError)
        # The route's template: a path may carry an invite code.
        route = getattr(request.scope.get("route"), "path", "?")
        log_outage(exc, f"{request.method} {route}")
        return problem_for(exc)

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        invalid = invalid_input(exc.errors())
        status = 400 if unreadable(exc.errors()) else 422
        return problem("invalid_input", "Invalid input", status, invalid.detail, invalid.extra)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http_error", "HTTP error"))
        return problem(slug, title, exc.status_code, str(exc.detail), headers=exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return internal_error()

    app.add_exception_handler(errors.ColettaError, on_colletta_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
