"""What the database says of its own schema: the Alembic revision it is migrated to."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_REVISION = text("SELECT version_num FROM alembic_version")


async def migrated_revision(*, session: AsyncSession) -> str | None:
    """The revision Alembic recorded; None when none is recorded. Raises when the database has
    no ``alembic_version`` table (never migrated) or cannot be reached."""
    revision = await session.scalar(_REVISION)
    return str(revision) if revision is not None else None
