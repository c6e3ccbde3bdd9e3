"""`POST /api/v1/chats/{chat_id}/messages` and `POST /api/v1/payments/webhooks/{provider}`
without FastAPI's per-request machinery.

Sending is the hottest write. Routing, dependency solving, FastAPI's own middleware and
response handling cost about as much CPU as the whole transaction, so a well-formed send is
answered here, in front of the whole application, with the same action, caller check and
error mapping as the FastAPI route (the security headers are added around both). Anything
unusual (an id out of range, another content type, a body over the limit or that does not
validate) is handed to the application with the body already read, so errors stay exactly
as documented, and the route stays the one OpenAPI describes.

Payment webhooks are the hottest write of pots (one per confirmed payment, in bursts): the
same holds for them (`WebhookFastPath`, the same action as `api/webhooks.py`).
"""

from __future__ import annotations

import re

import orjson
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from colletta.actions.accounts import access_caller
from colletta.actions.context import Context
from colletta.actions.webhooks import do_receive_webhook
from colletta.api.deps import parse_bearer
from colletta.api.errors import internal_error, log_outage, problem_for
from colletta.api.messages import send_from_input
from colletta.api.models import MAX_ID, MessageIn
from colletta.errors import ColettaError
from colletta.log import get_logger

log = get_logger(__name__)

_SEND_PATH = re.compile(r"/api/v1/chats/([1-9][0-9]{0,18})/messages")
_JSON_HEADERS = [(b"content-type", b"application/json")]


class SendFastPath:
    """In front of FastAPI's stack: answers well-formed sends itself, passes on the rest."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _SEND_PATH.fullmatch(scope["path"])
        if match is None or int(match[1]) > MAX_ID or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        token = _bearer_token(scope)
        if token is None:  # the web client's cookie (and CSRF header): the route checks them
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, self.max_body_bytes)
        if body is None:
            return  # the client went away
        if not complete:  # over the limit: the application's body limit answers
            await self.app(scope, _replay(body, receive, more_body=True), send)
            return
        try:
            message_in = MessageIn.model_validate_json(body)
        except ValidationError:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            await self._send(scope, receive, send, token, int(match[1]), message_in)
        except Exception:
            # What FastAPI's outermost layer would do: log, answer 500, nothing half-written.
            log.exception("unhandled error on POST %s", scope["path"])
            await internal_error()(scope, receive, send)

    async def _send(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        token: str,
        chat_id: int,
        message_in: MessageIn,
    ) -> None:
        ctx: Context = scope["app"].state.ctx
        try:
            caller = await access_caller(ctx, token)
            sent = await send_from_input(ctx, caller, chat_id, message_in)
        except ColettaError as exc:
            log_outage(exc, "POST /api/v1/chats/{chat_id}/messages")
            await problem_for(exc)(scope, receive, send)
            return
        payload = orjson.dumps(sent.message)
        await send(
            {
                "type": "http.response.start",
                "status": 201 if sent.created else 200,
                "headers": [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


# The route's `provider` is at most 32 characters; anything else goes to the application.
_WEBHOOK_PATH = re.compile(r"/api/v1/payments/webhooks/([A-Za-z0-9_-]{1,32})")
_WEBHOOK_ROUTE = "POST /api/v1/payments/webhooks/{provider}"
_RECEIVED = b"{}"


class WebhookFastPath:
    """In front of FastAPI's stack: answers payment webhooks with `api/webhooks.py`'s action
    and error mapping; a body over the limit goes to the application (413 there)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _WEBHOOK_PATH.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, self.max_body_bytes)
        if body is None:
            return  # the client went away
        if not complete:
            await self.app(scope, _replay(body, receive, more_body=True), send)
            return
        ctx: Context = scope["app"].state.ctx
        try:
            await do_receive_webhook(ctx, match[1], body, Headers(scope=scope))
        except ColettaError as exc:
            log_outage(exc, _WEBHOOK_ROUTE)
            await problem_for(exc)(scope, receive, send)
            return
        except Exception:
            log.exception("unhandled error on POST %s", scope["path"])
            await internal_error()(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_JSON_HEADERS, (b"content-length", b"%d" % len(_RECEIVED))],
            }
        )
        await send({"type": "http.response.body", "body": _RECEIVED})


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"application/json")
    return False


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return parse_bearer(value.decode("latin-1"))
    return None


async def _read_body(receive: Receive, limit: int) -> tuple[bytes | None, bool]:
    """(body, complete); reading stops once the body is over `limit`."""
    chunks = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        seen += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), seen <= limit
        if seen > limit:
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive, *, more_body: bool = False) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more_body}
        return await receive()

    return replay
