"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL; the
binding triggers (0005) go with a downgrade and come back with the upgrade."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.db import create_engine
from app.migrations import alembic_config, head_revision, upgrade
from app.settings import Settings


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url))
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []
        assert await connection.run_sync(_revision) == head_revision()
    await engine.dispose()


BINDING_TRIGGERS = ["change_events_binding_delete", "change_events_binding_insert"]


async def _binding_triggers(database_url: str) -> list[str]:
    engine = create_engine(Settings(database_url=database_url))
    sqlite = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    postgresql = "SELECT DISTINCT tgname FROM pg_trigger"
    async with engine.connect() as connection:
        query = sqlite if engine.dialect.name == "sqlite" else postgresql
        names = (await connection.execute(text(query))).scalars().all()
    await engine.dispose()
    return sorted(name for name in names if name.startswith("change_events_binding"))


async def test_the_binding_triggers_go_down_and_come_back_up(database_url: str) -> None:
    assert await _binding_triggers(database_url) == BINDING_TRIGGERS
    try:
        await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0004")
        assert await _binding_triggers(database_url) == []
    finally:
        await asyncio.to_thread(upgrade, database_url)
    assert await _binding_triggers(database_url) == BINDING_TRIGGERS
