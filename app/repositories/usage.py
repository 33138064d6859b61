"""Usage aggregates, read from the ``usage_daily`` rollup (kept by triggers, migration 0002):
every figure is a sum of whole UTC days, so no query scans individual events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlmodel import col

from app.models import UsageDaily
from app.repositories import Reader
from app.repositories._sql import execute

# Built once (see ``_sql.execute``): the workspace overlay and the usage trend run them.
_TOTALS = (
    select(
        col(UsageDaily.provider),
        func.sum(col(UsageDaily.events)),
        func.sum(col(UsageDaily.cost_micros)),
    )
    .where(
        col(UsageDaily.tenant_id) == bindparam("tenant_id"),
        col(UsageDaily.day) >= bindparam("since"),
    )
    .group_by(UsageDaily.provider)
)
_DAILY = select(
    col(UsageDaily.provider),
    col(UsageDaily.day),
    col(UsageDaily.events),
    col(UsageDaily.cost_micros),
).where(
    col(UsageDaily.tenant_id) == bindparam("tenant_id"),
    col(UsageDaily.provider).in_(bindparam("providers", expanding=True)),
    col(UsageDaily.day) >= bindparam("since"),
)


async def usage_totals(
    *, session: Reader, tenant_id: uuid.UUID, since: date
) -> dict[str, tuple[int, int]]:
    """(event count, cost micros) of every provider of the tenant from UTC day ``since``."""
    rows = await execute(session, _TOTALS, {"tenant_id": tenant_id, "since": since})
    return {provider: (int(events), int(cost)) for provider, events, cost in rows}


async def daily_usage(
    *, session: Reader, tenant_id: uuid.UUID, providers: Sequence[str], since: date
) -> dict[str, dict[date, tuple[int, int]]]:
    """(event count, cost micros) per provider and UTC day from ``since``."""
    parameters = {"tenant_id": tenant_id, "providers": list(providers), "since": since}
    rows = await execute(session, _DAILY, parameters)
    result: dict[str, dict[date, tuple[int, int]]] = {provider: {} for provider in providers}
    for provider, day, events, cost in rows:
        if events:
            result[provider][day] = (int(events), int(cost))
    return result
