"""A worker's connection pools keep what they open (docs/decisions/0164): up to
``VENDO_DB_POOL_SIZE`` connections, opened when first needed and kept; more reads at once than
that wait for one instead of opening a connection that is closed again as it comes back. Run on
the suite's database: a SQLite file, or PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text

from app.db import Database, create_database
from app.settings import Settings

POOL_SIZE = 3


def _count_connects(db: Database) -> list[int]:
    opened = [0]

    def made(*_: Any) -> None:
        opened[0] += 1

    for engine in db.engines:
        event.listen(engine.sync_engine, "connect", made)
    return opened


async def _reads_at_once(db: Database, how_many: int) -> int:
    """``how_many`` Core reads holding their connection together for a moment; the most that
    were open at once."""
    holding = 0
    most = 0

    async def read() -> None:
        nonlocal holding, most
        async with db.connect() as connection:
            holding += 1
            most = max(most, holding)
            await connection.scalar(text("SELECT 1"))
            await asyncio.sleep(0.05)
            holding -= 1

    await asyncio.gather(*(read() for _ in range(how_many)))
    return most


@pytest.mark.parametrize("busier_by", [0, 5])
async def test_pool_opens_each_connection_once_and_keeps_it(
    settings: Settings, busier_by: int
) -> None:
    db = create_database(settings.model_copy(update={"db_pool_size": POOL_SIZE}))
    opened = _count_connects(db)
    try:
        for _round in range(3):
            most = await _reads_at_once(db, POOL_SIZE + busier_by)
            # Never more than the pool holds: a read beyond it waited for a connection.
            assert most == POOL_SIZE
        # Opened in the first round, kept for the next two (before: overflow connections were
        # opened and closed in every round).
        assert opened == [POOL_SIZE]
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("url", "configured", "kept"),
    [
        ("postgresql+asyncpg://db.internal/vendo", None, 20),  # what a worker held before (10 + 10)
        ("sqlite+aiosqlite:///./vendo.db", None, 5),  # each a thread with its own page cache
        ("sqlite+aiosqlite:///./vendo.db", 8, 8),
        ("postgresql+asyncpg://db.internal/vendo", 50, 50),
    ],
)
def test_pool_size_by_database(url: str, configured: int | None, kept: int) -> None:
    settings = Settings(database_url=url, db_pool_size=configured)
    assert settings.pool_size == kept
