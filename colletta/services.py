"""Composition root for everything below the API: one Context per process."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from argon2 import PasswordHasher

from colletta.actions.callers import SESSIONS_TOPIC
from colletta.actions.context import Context, RateLimiter
from colletta.actions.flood import Flood
from colletta.actions.hash_matcher import BANKS_TOPIC
from colletta.actions.passwords import Passwords
from colletta.actions.provider_events import on_provider_event
from colletta.actions.webhooks import do_receive_webhook
from colletta.clock import Clock, SystemClock
from colletta.config import Settings, SettingsError
from colletta.media.files import LocalMediaStore
from colletta.media.images import ImagePool
from colletta.payments.provider import Provider, Providers
from colletta.payments.sandbox import Cruelty, SandboxProvider, load_or_create_secret
from colletta.payments.stripe import StripeProvider
from colletta.realtime.bus import Bus
from colletta.realtime.bus_memory import MemoryBus
from colletta.realtime.bus_redis import RedisBus
from colletta.realtime.hub import Hub
from colletta.store.db import Database, make_private_dir


def check_processes(settings: Settings) -> None:
    """Refuse a process count the database and bus cannot serve; `serve` calls it before it
    starts any worker, so the operator reads one line instead of a traceback per worker."""
    if settings.workers == 1:
        return
    if settings.resolved_database_url.startswith("sqlite"):
        # SQLite runs inline on each process's event loop; a second process would wait
        # on the file lock there. Many processes is what PostgreSQL is for.
        raise SettingsError("workers: more than one process needs PostgreSQL (database_url)")
    if not settings.bus_url.startswith("redis://"):
        raise SettingsError("workers: more than one process needs bus_url = redis://…")


def build_bus(settings: Settings) -> Bus:
    if settings.bus_url.startswith("redis://"):
        return RedisBus(
            settings.bus_url,
            backoff_max_s=settings.outage_backoff_max_s,
            down_poll_interval_s=settings.bus_down_poll_interval_s,
        )
    return MemoryBus()


def sandbox_cruelty(settings: Settings) -> Cruelty:
    return Cruelty(
        error_share=settings.sandbox_error_share,
        fail_share=settings.sandbox_fail_share,
        delay_max_s=settings.sandbox_delay_max_s,
        duplicate_share=settings.sandbox_duplicate_share,
        reorder=settings.sandbox_reorder,
        seed=settings.sandbox_seed or None,
    )


def build_providers(settings: Settings, clock: Clock) -> Providers:
    """The default provider, and Stripe too whenever its keys are set (its webhooks for
    earlier payments keep arriving). The sandbox runs only where it is the default: a server
    taking real money has no page that confirms payments for free."""
    providers: list[Provider] = []
    if settings.payments_provider == "sandbox":
        secret = settings.sandbox_webhook_secret.get_secret_value() or load_or_create_secret(
            settings.data_dir / "sandbox-secret"
        )
        providers.append(SandboxProvider(secret, clock, cruelty=sandbox_cruelty(settings)))
    if settings.stripe_secret_key.get_secret_value():
        providers.append(
            StripeProvider(
                settings.stripe_secret_key.get_secret_value(),
                settings.stripe_webhook_secret.get_secret_value(),
                api_base=settings.stripe_api_base or None,
            )
        )
    return Providers(providers, default=settings.payments_provider)


def build_context(settings: Settings, clock: Clock | None = None) -> Context:
    """Everything the actions need; call `start_context` inside the event loop before use."""
    check_processes(settings)
    if settings.resolved_database_url.startswith("sqlite"):
        make_private_dir(settings.data_dir)
    clock = clock or SystemClock()
    db = Database(
        settings.resolved_database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        retry_after_s=settings.outage_retry_after_s,
    )
    bus = build_bus(settings)
    ctx = Context(
        settings=settings,
        db=db,
        clock=clock,
        bus=bus,
        hub=Hub(bus),
        limiter=RateLimiter(settings, clock),
        media=LocalMediaStore(settings.resolved_media_dir),
        hold=LocalMediaStore(settings.resolved_hold_dir),
        images=ImagePool(settings.media_image_workers, settings.media_max_pixels),
        flood=Flood(settings, clock),
        passwords=Passwords(
            PasswordHasher(
                time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
            ),
            settings.argon2_max_concurrent,
        ),
        providers=build_providers(settings, clock),
    )
    ctx.provider_events = partial(on_provider_event, ctx)
    sandbox = ctx.providers.get("sandbox")
    if isinstance(sandbox, SandboxProvider):
        # The sandbox's webhooks take the HTTP endpoint's path: their signature is checked.
        async def deliver(body: bytes, headers: Mapping[str, str]) -> None:
            await do_receive_webhook(ctx, "sandbox", body, headers)

        sandbox.deliver = deliver
    return ctx


async def start_context(ctx: Context) -> None:
    await ctx.bus.start(ctx.on_bus_message)
    await ctx.bus.subscribe(SESSIONS_TOPIC)
    await ctx.bus.subscribe(BANKS_TOPIC)
    await ctx.passwords.prepare()
    await ctx.providers.start()


async def stop_context(ctx: Context) -> None:
    # First: the sandbox's last webhooks still need the database.
    await ctx.providers.aclose()
    ctx.images.close()
    await ctx.bus.close()
    await ctx.limiter.close()
    ctx.passwords.close()
    await ctx.db.dispose()
