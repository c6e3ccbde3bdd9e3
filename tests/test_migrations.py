"""Alembic is the only way the schema changes: `upgrade head` must equal schema.py."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from colletta.store.migrate import current_and_head
from colletta.store.schema import metadata


async def test_upgrade_head_equals_the_schema(db_url: str) -> None:
    current, head = await current_and_head(db_url)
    assert current == head is not None
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync_conn: compare_metadata(MigrationContext.configure(sync_conn), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_server_refuses_an_unmigrated_database(tmp_path: object) -> None:
    from pathlib import Path

    from colletta.app import create_app
    from colletta.config import Settings, SettingsError

    data = Path(str(tmp_path))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{data / 'empty.db'}", data_dir=data)
    application = create_app(settings)
    with pytest.raises(SettingsError, match="colletta migrate"):
        async with application.router.lifespan_context(application):
            pass
