"""Composition root for everything below the API: one Context per process."""

from __future__ import annotations

from argon2 import PasswordHasher

from colletta.actions.callers import SESSIONS_TOPIC
from colletta.actions.context import Context, RateLimiter
from colletta.clock import Clock, SystemClock
from colletta.config import Settings, SettingsError
from colletta.media.files import LocalMediaStore
from colletta.media.images import ImagePool
from colletta.realtime.bus import Bus
from colletta.realtime.bus_memory import MemoryBus
from colletta.realtime.bus_redis import RedisBus
from colletta.realtime.hub import Hub
from colletta.store.db import Database


def build_bus(settings: Settings) -> Bus:
    if settings.bus_url.startswith("redis://"):
        return RedisBus(settings.bus_url)
    if settings.workers > 1:
        raise SettingsError("workers: more than one process needs bus_url = redis://…")
    return MemoryBus()


def build_context(settings: Settings, clock: Clock | None = None) -> Context:
    """Everything the actions need; call `start_context` inside the event loop before use."""
    if settings.resolved_database_url.startswith("sqlite"):
        if settings.workers > 1:
            # SQLite runs inline on each process's event loop; a second process would wait
            # on the file lock there. Many processes is what PostgreSQL is for.
            raise SettingsError("workers: more than one process needs PostgreSQL (database_url)")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous)
    bus = build_bus(settings)
    return Context(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        bus=bus,
        hub=Hub(bus),
        limiter=RateLimiter(settings),
        media=LocalMediaStore(settings.resolved_media_dir),
        hold=LocalMediaStore(settings.resolved_hold_dir),
        images=ImagePool(settings.media_image_workers, settings.media_max_pixels),
        hasher=PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        ),
    )


async def start_context(ctx: Context) -> None:
    await ctx.bus.start(ctx.on_bus_message)
    await ctx.bus.subscribe(SESSIONS_TOPIC)


async def stop_context(ctx: Context) -> None:
    ctx.images.close()
    await ctx.bus.close()
    await ctx.db.dispose()
