"""Usage aggregates. Every query is served by ``ix_usage_events_tenant_provider_time``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import UsageEvent


async def usage_totals(
    *, session: AsyncSession, tenant_id: uuid.UUID, since: datetime
) -> dict[str, tuple[int, int]]:
    """(event count, cost micros) of every provider of the tenant since ``since``."""
    rows = await session.execute(
        select(
            UsageEvent.provider, func.count(), func.coalesce(func.sum(UsageEvent.cost_micros), 0)
        )
        .where(UsageEvent.tenant_id == tenant_id, UsageEvent.occurred_at >= since)
        .group_by(UsageEvent.provider)
    )
    return {provider: (int(count), int(cost)) for provider, count, cost in rows}


async def daily_usage(
    *, session: AsyncSession, tenant_id: uuid.UUID, providers: Sequence[str], since: datetime
) -> dict[str, dict[date, tuple[int, int]]]:
    """(event count, cost micros) per provider and UTC day since ``since``."""
    day = func.date(UsageEvent.occurred_at)  # a date on PostgreSQL (session in UTC), text on SQLite
    rows = await session.execute(
        select(UsageEvent.provider, day, func.count(), func.sum(UsageEvent.cost_micros))
        .where(
            UsageEvent.tenant_id == tenant_id,
            UsageEvent.provider.in_(providers),
            UsageEvent.occurred_at >= since,
        )
        .group_by(UsageEvent.provider, day)
    )
    result: dict[str, dict[date, tuple[int, int]]] = {provider: {} for provider in providers}
    for provider, value, count, cost in rows:
        key = value if isinstance(value, date) else date.fromisoformat(value)
        result[provider][key] = (int(count), int(cost or 0))
    return result
