"""Store tests: a `Database` on each backend of `db_url`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from colletta.store.db import Database


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()
