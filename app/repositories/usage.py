"""Usage aggregates, read from the ``usage_daily`` rollup (kept by triggers, migration 0002):
every figure is a sum of whole UTC days, so no query scans individual events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import UsageDaily


async def usage_totals(
    *, session: AsyncSession, tenant_id: uuid.UUID, since: date
) -> dict[str, tuple[int, int]]:
    """(event count, cost micros) of every provider of the tenant from UTC day ``since``."""
    rows = await session.execute(
        select(UsageDaily.provider, func.sum(UsageDaily.events), func.sum(UsageDaily.cost_micros))
        .where(UsageDaily.tenant_id == tenant_id, UsageDaily.day >= since)
        .group_by(UsageDaily.provider)
    )
    return {provider: (int(events), int(cost)) for provider, events, cost in rows}


async def daily_usage(
    *, session: AsyncSession, tenant_id: uuid.UUID, providers: Sequence[str], since: date
) -> dict[str, dict[date, tuple[int, int]]]:
    """(event count, cost micros) per provider and UTC day from ``since``."""
    rows = await session.execute(
        select(
            UsageDaily.provider, UsageDaily.day, UsageDaily.events, UsageDaily.cost_micros
        ).where(
            UsageDaily.tenant_id == tenant_id,
            UsageDaily.provider.in_(providers),
            UsageDaily.day >= since,
        )
    )
    result: dict[str, dict[date, tuple[int, int]]] = {provider: {} for provider in providers}
    for provider, day, events, cost in rows:
        if events:
            result[provider][day] = (int(events), int(cost))
    return result
