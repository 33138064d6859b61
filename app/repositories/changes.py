"""The change log (``change_events``): what the gateway records in a change's transaction, and
what workers read to catch up, to poll (SQLite) and to replay."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.changes import Change
from app.models import ChangeEvent
from app.repositories import Reader

CHANNEL = "vendo_changes"  # the triggers' NOTIFY channel (migration 0004)
_COLUMNS = (
    col(ChangeEvent.id),
    col(ChangeEvent.tenant_id),
    col(ChangeEvent.app_id),
    col(ChangeEvent.kind),
    col(ChangeEvent.subject),
    col(ChangeEvent.payload),
    col(ChangeEvent.created_at),
)


async def record(
    *,
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """Insert changes (``tenant_id``, ``app_id``, ``kind``, ``subject``, ``payload``,
    ``created_at`` each) in the session's transaction; the rows as stored, ids included."""
    if not rows:
        return []
    result = await session.execute(insert(ChangeEvent).returning(*_COLUMNS), list(rows))
    return [tuple(row) for row in result.all()]


async def record_and_notify(
    *,
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """``record``, and on PostgreSQL the NOTIFY the triggers send (delivered at commit, dropped
    with a rollback): for writers that hold no change stream, such as the CLI, whose changes
    must still reach every worker. On SQLite the workers' poll of the log finds them."""
    stored = await record(session=session, rows=rows)
    if session.get_bind().dialect.name == "postgresql":
        for row in stored:
            message = Change.from_row(row).to_json().decode()
            await session.execute(select(func.pg_notify(CHANNEL, message)))
    return stored


async def newest_id(*, session: Reader) -> int:
    """The newest id in the log (0 when empty): one look at the primary key's end."""
    return int((await session.execute(select(func.max(col(ChangeEvent.id))))).scalar() or 0)


async def after(*, session: Reader, after_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Changes with an id above ``after_id``, oldest first."""
    statement = (
        select(*_COLUMNS)
        .where(col(ChangeEvent.id) > after_id)
        .order_by(col(ChangeEvent.id))
        .limit(limit)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def since(*, session: Reader, moment: datetime, limit: int) -> list[tuple[Any, ...]]:
    """Changes recorded at or after ``moment``, oldest first (a worker catching up)."""
    statement = (
        select(*_COLUMNS)
        .where(col(ChangeEvent.created_at) >= moment)
        .order_by(col(ChangeEvent.id))
        .limit(limit)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def for_workspace_after(
    *,
    session: Reader,
    tenant_id: uuid.UUID,
    app_id: uuid.UUID | None,
    after_id: int,
    limit: int,
) -> list[tuple[Any, ...]]:
    """What a workspace (and, given one, an app) still holds after ``after_id``, oldest first:
    the replay of a client that reconnects (``Last-Event-ID``). Workspace-wide changes (no app)
    and catalog-wide ones (no workspace) are included."""
    scope = or_(col(ChangeEvent.tenant_id) == tenant_id, col(ChangeEvent.tenant_id).is_(None))
    statement = select(*_COLUMNS).where(scope, col(ChangeEvent.id) > after_id)
    if app_id is not None:
        statement = statement.where(
            or_(col(ChangeEvent.app_id) == app_id, col(ChangeEvent.app_id).is_(None))
        )
    statement = statement.order_by(col(ChangeEvent.id)).limit(limit)
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def prune(*, session: AsyncSession, before: datetime) -> int:
    """Forget changes recorded before ``before``; how many."""
    result = await session.execute(delete(ChangeEvent).where(col(ChangeEvent.created_at) < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
