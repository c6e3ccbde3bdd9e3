"""`GET /api/v1/payments/config`: what a client needs to take a payment with this server's
provider. Public (no caller): the web client asks before anyone signs in, and nothing in it
is secret (a Stripe publishable key is meant for browsers)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from colletta.api import models
from colletta.api.deps import JSON, Ctx

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])


class StripeConfig(BaseModel):
    publishable_key: str = Field(description="For `Stripe(publishable_key)` in the browser.")
    js_url: str = Field(description="Where to load Stripe.js from (the page's CSP allows it).")


class PaymentConfig(BaseModel):
    provider: Literal["sandbox", "stripe"] = Field(
        description="Who takes new contributions: sandbox (pay at `checkout_url`) or stripe "
        "(confirm the card in the browser with Stripe.js and the contribution's "
        "`client_secret`)."
    )
    stripe: StripeConfig | None = Field(description="Set when the provider is stripe.")


@router.get("/config", response_model=PaymentConfig, responses=models.PROBLEM_RESPONSES)
async def payment_config(ctx: Ctx) -> Response:
    """How this server takes payments."""
    settings = ctx.settings
    stripe = None
    if settings.payments_provider == "stripe":
        stripe = {
            "publishable_key": settings.stripe_publishable_key,
            "js_url": settings.stripe_js_url,
        }
    return JSON({"provider": settings.payments_provider, "stripe": stripe})
