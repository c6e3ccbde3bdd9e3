"""Schema migrations (Alembic, linear). `colletta migrate` and the tests call these."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from colletta.config import SettingsError
from colletta.store.db import prepare_sqlite_file

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


async def upgrade_to_head(url: str) -> None:
    prepare_sqlite_file(url)
    engine = create_async_engine(url, hide_parameters=True)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


def _upgrade(sync_conn: Any) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_conn
    command.upgrade(config, "head")


async def current_and_head(url: str) -> tuple[str | None, str | None]:
    """The database's revision and the code's newest one."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_async_engine(url, hide_parameters=True)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()
    return current, head


async def check_schema(url: str) -> None:
    """Raise SettingsError unless the database is at the code's newest revision."""
    current, head = await current_and_head(url)
    if current != head:
        raise SettingsError(
            f"database_url: schema is at {current or 'nothing'}, code needs {head}; "
            "run `colletta migrate`"
        )
