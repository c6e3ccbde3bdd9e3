"""The ASGI application: routes in one place, and a lifespan that owns every resource."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from colletta import __version__
from colletta.actions.context import Context
from colletta.api import (
    accounts,
    banks,
    blocks,
    chats,
    checkout,
    docs,
    invites,
    media,
    messages,
    moderation,
    notices,
    orders,
    payments,
    pot_admin,
    pots,
    proposals,
    sync,
    webhooks,
    ws,
)
from colletta.api import errors as api_errors
from colletta.api.fastpath import SendFastPath, WebhookFastPath
from colletta.api.middleware import BodyLimit, HeadAsGet, SecurityHeaders, web_csp
from colletta.api.web import WEB_DIST, WebClient
from colletta.clock import Clock
from colletta.config import Settings
from colletta.services import build_context, start_context, stop_context
from colletta.store.migrate import check_schema
from colletta.workers.expiry import ExpiryWorker
from colletta.workers.matching import MatcherRefresher
from colletta.workers.media import TmpSweeper
from colletta.workers.pots import PotWorker

# Matching is linear in route order: the hot routes (messages) go first.
ROUTERS = (
    messages.router,
    accounts.router,
    blocks.router,
    chats.router,
    media.router,
    invites.router,
    pots.router,
    proposals.router,
    pot_admin.router,
    banks.router,
    moderation.router,
    notices.router,
    orders.router,
    sync.router,
    ws.router,
    webhooks.router,
    payments.router,
    checkout.router,
    docs.router,
)


class _App(FastAPI):
    """FastAPI with the security headers, the web client and the send and webhook fast paths
    in front of its whole middleware stack."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self._settings = settings
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        # Security headers outermost: Starlette answers a 500 from outside its own stack.
        limit = self._settings.max_body_bytes
        inner = WebhookFastPath(SendFastPath(super().build_middleware_stack(), limit), limit)
        web = WebClient(HeadAsGet(inner), self._settings.web_dir or WEB_DIST)
        stripe = self._settings.payments_provider == "stripe"
        policy = web_csp(self._settings.stripe_js_url if stripe else None)
        return SecurityHeaders(web, behind_tls=self._settings.behind_tls, web_policy=policy)


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """The app; its lifespan builds the Context and refuses an unmigrated database."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await check_schema(settings.resolved_database_url)
        ctx: Context = build_context(settings, clock)
        await start_context(ctx)
        app.state.ctx = ctx
        tmp_sweeper = TmpSweeper(ctx)
        app.state.tmp_sweeper = tmp_sweeper
        expiry = ExpiryWorker(ctx)
        pot_worker = PotWorker(ctx)
        matcher = MatcherRefresher(ctx)
        try:
            # Before serving: what a crash left behind is gone before new uploads begin.
            await tmp_sweeper.sweep()
            tmp_sweeper.start()
            matcher.start()
            if settings.expiry_worker_enabled:
                expiry.start()
            if settings.pot_worker_enabled:
                pot_worker.start()
            yield
        finally:
            await pot_worker.stop()
            await matcher.stop()
            await expiry.stop()
            await tmp_sweeper.stop()
            await stop_context(ctx)

    app = _App(
        settings,
        title="Colletta",
        version=__version__,
        summary="Self-hosted community messenger with shared money pots",
        openapi_url="/api/openapi.json",
        docs_url=None,  # api/docs.py serves Swagger UI from a package, not a CDN
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's OpenTelemetry hooks look up the global providers on every request;
        # nothing here exports telemetry.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    for router in ROUTERS:
        app.include_router(router)
    api_errors.install(app)
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.max_body_bytes,
        upload_path=media.UPLOAD_PATH,
        max_upload_bytes=settings.media_max_bytes,
    )
    return app
