"""The usage_daily and usage_monthly rollups equal the events they sum after inserts (one by one
and in bulk), updates and deletes, whoever writes them — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from app.models import UsageDaily, UsageEvent, UsageMonthly
from app.runtime import Runtime
from tests.support.builders import add_rows, user_with_workspace

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


async def _tenant(runtime: Runtime, slug: str) -> uuid.UUID:
    user, tenant = user_with_workspace(slug)
    await add_rows(runtime, user, tenant)
    return tenant.id


def _event(tenant: uuid.UUID, provider: str, hours: float, cost: int) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "provider": provider,
        "cost_micros": cost,
        "occurred_at": NOW - timedelta(hours=hours),
    }


async def _rollup(runtime: Runtime) -> dict[tuple[Any, ...], tuple[int, int]]:
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(UsageDaily.tenant_id, UsageDaily.provider, UsageDaily.day, UsageDaily.events,
                   UsageDaily.cost_micros)
        )  # fmt: skip
        return {(t, p, d): (e, c) for t, p, d, e, c in rows if e}


async def _months(runtime: Runtime) -> dict[tuple[Any, ...], tuple[int, int]]:
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(UsageMonthly.tenant_id, UsageMonthly.month, UsageMonthly.events,
                   UsageMonthly.cost_micros)
        )  # fmt: skip
        return {(t, m): (e, c) for t, m, e, c in rows if e}


async def _recomputed_months(runtime: Runtime) -> dict[tuple[Any, ...], tuple[int, int]]:
    totals: dict[tuple[Any, ...], tuple[int, int]] = {}
    for (tenant, _provider, day), (events, cost) in (await _recomputed(runtime)).items():
        count, total = totals.get((tenant, day.replace(day=1)), (0, 0))
        totals[(tenant, day.replace(day=1))] = (count + events, total + cost)
    return totals


async def _exact(runtime: Runtime) -> None:
    assert await _rollup(runtime) == await _recomputed(runtime)
    assert await _months(runtime) == await _recomputed_months(runtime)


async def _recomputed(runtime: Runtime) -> dict[tuple[Any, ...], tuple[int, int]]:
    async with runtime.db.read() as session:
        events = (await session.execute(select(UsageEvent))).scalars().all()
    totals: dict[tuple[Any, ...], tuple[int, int]] = {}
    for event in events:
        key = (event.tenant_id, event.provider, event.occurred_at.astimezone(UTC).date())
        count, cost = totals.get(key, (0, 0))
        totals[key] = (count + 1, cost + event.cost_micros)
    return totals


async def test_rollup_follows_inserts_updates_and_deletes(runtime: Runtime) -> None:
    tenant = await _tenant(runtime, "rollup")
    # Over four days, and back into the month before: both rollups cross a month's end.
    bulk = [_event(tenant, "openrouter", hours, 1_000 + int(hours)) for hours in range(0, 96, 3)]
    bulk += [_event(tenant, "openrouter", 24 * 20 + hours, 5) for hours in range(0, 48, 12)]
    async with runtime.db.write() as session, session.begin():
        await session.execute(UsageEvent.__table__.insert(), bulk)  # type: ignore[attr-defined]
    async with runtime.db.write() as session, session.begin():
        session.add(UsageEvent(**_event(tenant, "elevenlabs", 1, 7)))
    await _exact(runtime)
    assert len(await _months(runtime)) == 2

    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(UsageEvent)
            .where(UsageEvent.provider == "openrouter", UsageEvent.cost_micros > 1_050)
            .values(cost_micros=UsageEvent.cost_micros * 2, occurred_at=NOW)
        )
    await _exact(runtime)

    async with runtime.db.write() as session, session.begin():
        await session.execute(delete(UsageEvent).where(UsageEvent.cost_micros < 1_020))
    await _exact(runtime)


async def test_rollup_is_exact_under_concurrent_writers(runtime: Runtime) -> None:
    tenant = await _tenant(runtime, "concurrent")

    async def write(batch: int) -> None:
        rows = [_event(tenant, "openrouter", (batch * 7 + i) % 48, 10) for i in range(25)]
        async with runtime.db.write() as session, session.begin():
            await session.execute(UsageEvent.__table__.insert(), rows)  # type: ignore[attr-defined]

    await asyncio.gather(*(write(batch) for batch in range(12)))
    await _exact(runtime)
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.sum(UsageDaily.events))) == 12 * 25
