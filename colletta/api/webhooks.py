"""`POST /api/v1/payments/webhooks/{provider}`: where payment providers report what happened.

No caller token: the provider's signature over the raw body is the authentication, checked
by the provider's own code (`actions.webhooks`) before anything is read from it.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from colletta.actions.webhooks import do_receive_webhook
from colletta.api import models
from colletta.api.deps import JSON, Ctx

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
_SIGNED_BODY = {
    "requestBody": {
        "required": True,
        "description": "The provider's event, exactly as it signed it.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "parameters": [
        {
            "name": "Stripe-Signature",
            "in": "header",
            "required": True,
            "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256>`, as Stripe signs.",
            "schema": {"type": "string"},
        }
    ],
}


class WebhookReceived(BaseModel):
    """Nothing: a 2xx tells the provider to stop retrying."""

    model_config = ConfigDict(extra="forbid")


@router.post(
    "/webhooks/{provider}",
    response_model=WebhookReceived,
    responses=models.PROBLEM_RESPONSES,
    openapi_extra=_SIGNED_BODY,
)
async def receive_webhook(
    request: Request, ctx: Ctx, provider: str = Path(max_length=32)
) -> Response:
    """A payment provider's event (`sandbox`, `stripe`). Answers 200 `{}` once the signature
    verifies, whatever the event (replays and events about unknown payments included), 400
    `bad_webhook` when it does not (bad or missing signature, timestamp more than 5 minutes
    away, unreadable body: nothing changes) and 404 for a provider this server does not use."""
    await do_receive_webhook(ctx, provider, await request.body(), request.headers)
    return JSON({})
