"""Alembic environment: async engine, URL handed over by ``app.migrations.alembic_config``."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.db import create_engine
from app.settings import Settings

target_metadata = SQLModel.metadata


def _applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """Remembers each migration applied, for ``vendo-gateway migrate`` to list."""
    # The migration the step ran (undid, when downgrading): a Script, whose doc is the first
    # paragraph of its docstring.
    doc = getattr(step.up_revision, "doc", "")
    context.config.attributes.setdefault("applied", []).append((step.up_revision_id, doc))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=_applied,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = context.config.attributes.get("database_url") or Settings().database_url
    engine = create_engine(Settings(database_url=url))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `vendo-gateway migrate`")
asyncio.run(_run_async())
