"""Writes of the demo data (``app/seed.py`` says what it is): rows are found by their natural
keys and only missing ones are added."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import (
    App,
    AppConnectionBinding,
    CategoryFallback,
    Connection,
    Integration,
    Meter,
    Release,
    Tenant,
    Tool,
    UsageEvent,
)

# (provider, key, label, unit, rate micros, public)
MeterRow = tuple[str, str, str, str, int, bool]
# slug → (tool columns, active release columns or None)
ToolRows = Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]]


async def has_integrations(*, session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Integration)))


async def integration_ids(*, session: AsyncSession) -> dict[str, uuid.UUID]:
    """Every integration's id, by provider."""
    return dict(
        (await session.execute(select(col(Integration.provider), col(Integration.id)))).all()
    )


async def add_missing_integrations(
    *, session: AsyncSession, rows: Iterable[Mapping[str, Any]]
) -> int:
    """Adds the catalog rows whose provider is not stored yet; returns how many."""
    existing = await integration_ids(session=session)
    missing = [Integration(**row) for row in rows if row["provider"] not in existing]
    session.add_all(missing)
    await session.flush()
    return len(missing)


async def add_missing_meters(*, session: AsyncSession, meters: Iterable[MeterRow]) -> None:
    ids = await integration_ids(session=session)
    have = set((await session.execute(select(col(Meter.integration_id), col(Meter.key)))).all())
    session.add_all(
        Meter(integration_id=ids[p], key=k, label=label, unit=unit, rate_micros=rate, public=public)
        for p, k, label, unit, rate, public in meters
        if (ids[p], k) not in have
    )
    await session.flush()


async def add_missing_category_fallbacks(
    *, session: AsyncSession, fallbacks: Mapping[str, int]
) -> None:
    known = set((await session.scalars(select(col(CategoryFallback.category)))).all())
    session.add_all(
        CategoryFallback(category=category, daily_spend_micros=micros)
        for category, micros in fallbacks.items()
        if category not in known
    )
    await session.flush()


async def add_missing_tools(*, session: AsyncSession, tools: ToolRows) -> int:
    """Adds the tools whose slug is not stored yet, each with its release; returns how many."""
    existing = set((await session.scalars(select(col(Tool.slug)))).all())
    created = 0
    for slug, (row, release) in tools.items():
        if slug in existing:
            continue
        tool = Tool(slug=slug, **row)
        session.add(tool)
        await session.flush()
        if release is not None:
            session.add(Release(tool_id=tool.id, **release))
        created += 1
    await session.flush()
    return created


async def tool_ids(*, session: AsyncSession) -> dict[str, uuid.UUID]:
    """Every tool's id, by slug."""
    return dict((await session.execute(select(col(Tool.slug), col(Tool.id)))).all())


async def owned_workspace(*, session: AsyncSession, owner_id: uuid.UUID) -> Tenant | None:
    return await session.scalar(select(Tenant).where(col(Tenant.owner_id) == owner_id))


async def app_ids(*, session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The workspace's apps' ids, by name."""
    query = select(col(App.name), col(App.id)).where(col(App.tenant_id) == tenant_id)
    return dict((await session.execute(query)).all())


async def add_connections(
    *, session: AsyncSession, tenant_id: uuid.UUID, profiles: Iterable[tuple[str, str]]
) -> dict[str, uuid.UUID]:
    """One connection per (provider, profile); returns their ids by provider."""
    connections = [
        Connection(tenant_id=tenant_id, provider=provider, profile=profile)
        for provider, profile in profiles
    ]
    session.add_all(connections)
    await session.flush()
    return {connection.provider: connection.id for connection in connections}


async def add_app(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    tool_id: uuid.UUID,
    name: str,
    connection_ids: Iterable[uuid.UUID],
) -> uuid.UUID:
    """An app of the workspace bound to these connections; returns its id. Each binding logs a
    ``binding.added`` change in the transaction: the bindings table's trigger writes it, as for
    any writer (migration 0005)."""
    app = App(tenant_id=tenant_id, tool_id=tool_id, name=name)
    session.add(app)
    await session.flush()
    bindings = [
        AppConnectionBinding(app_id=app.id, connection_id=connection_id)
        for connection_id in connection_ids
    ]
    session.add_all(bindings)
    await session.flush()
    return app.id


async def has_usage_events(*, session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    query = (
        select(func.count()).select_from(UsageEvent).where(col(UsageEvent.tenant_id) == tenant_id)
    )
    return bool(await session.scalar(query))


async def add_usage_events(*, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """One multi-row insert (Core: no ORM objects for thousands of events)."""
    await session.execute(UsageEvent.__table__.insert(), rows)  # type: ignore[attr-defined]
