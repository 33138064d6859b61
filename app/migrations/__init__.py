"""Alembic migrations, run programmatically: no alembic.ini is needed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.errors import is_not_migrated
from app.outage_latch import NOT_MIGRATED
from app.repositories import schema_version

if TYPE_CHECKING:
    from app.db import Database

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> list[tuple[str, str]]:
    """Apply migrations; synchronous (Alembic's async env runs its own event loop). Returns the
    revisions applied, in order, with the first line of each one's docstring."""
    config = alembic_config(database_url)
    command.upgrade(config, revision)
    return list(config.attributes.get("applied", []))


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def schema_state(db: Database, *, within: float) -> str:
    """What ``/readyz`` and ``serve`` say of the database: ``ok`` (migrated to head),
    ``not migrated (run vendo-gateway migrate)`` (no Alembic table: never migrated),
    ``migrations not at head (old != head)``, or ``unreachable``."""
    try:
        async with asyncio.timeout(within), db.read() as session:
            revision = await schema_version.migrated_revision(session=session)
    except Exception as error:
        return NOT_MIGRATED if is_not_migrated(error) else "unreachable"
    head = head_revision()
    return "ok" if revision == head else f"migrations not at head ({revision} != {head})"
