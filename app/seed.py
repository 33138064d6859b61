"""Demo data for ``vendo-gateway seed --demo``: idempotent (rows are found by their natural keys
and only missing ones are written), and run by ``serve`` on an empty embedded database. Usage
history is generated relative to the moment it is seeded."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import seed_data
from app.models import (
    BYOK_STATIC,
    MANAGED_POOL,
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
    utcnow,
)
from app.repositories import accounts, integrations

DEMO_EMAIL = "demo@vendo.local"
DEMO_WORKSPACE = "demo"
STAFF_EMAIL = "admin@vendo.local"
STAFF_WORKSPACE = "admin"
USAGE_DAYS = 60

# The demo workspace: openrouter relies on the byok_static fallback (no flag); elevenlabs is
# enabled with its managed-pool stub; telegram was switched off and has no connection.
_CONNECTIONS = [("openrouter", BYOK_STATIC), ("elevenlabs", MANAGED_POOL)]
_FLAGS = {"elevenlabs": True, "telegram": False}
# app name → (tool slug, providers bound)
_APPS = {
    "My Hermes": ("hermes", ["openrouter"]),
    "Voice notes": ("scribe", ["elevenlabs"]),
}
# provider → (min events/day, max events/day, typical cost micros, app name)
_USAGE = {
    "openrouter": (20, 40, 9_000, "My Hermes"),
    "elevenlabs": (5, 15, 30_000, "Voice notes"),
    "assemblyai": (2, 8, 12_000, "Voice notes"),
}


@dataclass(frozen=True)
class SeedReport:
    integrations: int
    tools: int
    usage_events: int


async def seed_demo(session: AsyncSession) -> SeedReport:
    created = await _seed_integrations(session)
    tools_created = await _seed_tools(session)
    demo = await accounts.ensure_user(
        session=session, email=DEMO_EMAIL, workspace_slug=DEMO_WORKSPACE
    )
    await accounts.ensure_user(
        session=session, email=STAFF_EMAIL, staff=True, workspace_slug=STAFF_WORKSPACE
    )
    tenant = await session.scalar(select(Tenant).where(Tenant.owner_id == demo.id))
    assert tenant is not None
    apps = await _seed_workspace(session, tenant)
    events = await _seed_usage(session, tenant, apps)
    return SeedReport(integrations=created, tools=tools_created, usage_events=events)


async def _ids(session: AsyncSession) -> dict[str, uuid.UUID]:
    return dict((await session.execute(select(Integration.provider, Integration.id))).all())


async def _seed_integrations(session: AsyncSession) -> int:
    existing = await _ids(session)
    missing = [
        Integration(**row) for row in seed_data.INTEGRATIONS if row["provider"] not in existing
    ]
    session.add_all(missing)
    await session.flush()
    ids = await _ids(session)
    have = set((await session.execute(select(Meter.integration_id, Meter.key))).all())
    session.add_all(
        Meter(integration_id=ids[p], key=k, label=label, unit=unit, rate_micros=rate, public=public)
        for p, k, label, unit, rate, public in seed_data.METERS
        if (ids[p], k) not in have
    )
    known = set((await session.scalars(select(CategoryFallback.category))).all())
    session.add_all(
        CategoryFallback(category=category, daily_spend_micros=micros)
        for category, micros in seed_data.CATEGORY_FALLBACKS.items()
        if category not in known
    )
    await session.flush()
    return len(missing)


async def _seed_tools(session: AsyncSession) -> int:
    existing = set((await session.scalars(select(Tool.slug))).all())
    created = 0
    for slug, (row, release) in seed_data.TOOLS.items():
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


async def _seed_workspace(session: AsyncSession, tenant: Tenant) -> dict[str, uuid.UUID]:
    """Connections, flags and apps of the demo workspace; returns app ids by name."""
    apps = dict(
        (await session.execute(select(App.name, App.id).where(App.tenant_id == tenant.id))).all()
    )
    if apps:
        return apps
    connections = {
        provider: Connection(tenant_id=tenant.id, provider=provider, profile=profile)
        for provider, profile in _CONNECTIONS
    }
    session.add_all(connections.values())
    ids = await _ids(session)
    for provider, enabled in _FLAGS.items():
        await integrations.set_tenant_enabled(
            session=session,
            tenant_id=tenant.id,
            integration_id=ids[provider],
            enabled=enabled,
            now=utcnow(),
        )
    tool_ids = dict((await session.execute(select(Tool.slug, Tool.id))).all())
    for name, (slug, providers) in _APPS.items():
        app = App(tenant_id=tenant.id, tool_id=tool_ids[slug], name=name)
        session.add(app)
        await session.flush()
        session.add_all(
            AppConnectionBinding(app_id=app.id, connection_id=connections[p].id) for p in providers
        )
        apps[name] = app.id
    await session.flush()
    return apps


async def _seed_usage(session: AsyncSession, tenant: Tenant, apps: dict[str, uuid.UUID]) -> int:
    have = await session.scalar(
        select(func.count()).select_from(UsageEvent).where(UsageEvent.tenant_id == tenant.id)
    )
    if have:
        return 0
    rng = random.Random(42)
    now = utcnow()
    rows = []
    for day in range(USAGE_DAYS):
        start = now - timedelta(days=day)
        for provider, (low, high, cost, app_name) in _USAGE.items():
            for _ in range(rng.randint(low, high)):
                rows.append(
                    {
                        "tenant_id": tenant.id,
                        "provider": provider,
                        "app_id": apps[app_name],
                        "cost_micros": rng.randint(cost // 2, cost * 2),
                        "occurred_at": start - timedelta(seconds=rng.randint(0, 86_399)),
                    }
                )
    await session.execute(UsageEvent.__table__.insert(), rows)  # type: ignore[attr-defined]
    return len(rows)


async def database_is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Integration))
