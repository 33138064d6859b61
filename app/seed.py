"""Demo data for ``vendo-gateway seed --demo``: idempotent (rows are found by their natural keys
and only missing ones are written), and run by ``serve`` on an empty embedded database. Usage
history is generated relative to the moment it is seeded."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app import seed_data
from app.models import BYOK_STATIC, GRANT, MANAGED_POOL, Tenant, utcnow
from app.repositories import accounts, integrations, seed, wallet

DEMO_EMAIL = "demo@vendo.local"
DEMO_WORKSPACE = "demo"
STAFF_EMAIL = "admin@vendo.local"
STAFF_WORKSPACE = "admin"
USAGE_DAYS = 60
# The demo wallet: $100 of credits, about twice what the 60 days of usage cost.
DEMO_CREDITS_MICROS = 100_000_000

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
    tools_created = await seed.add_missing_tools(session=session, tools=seed_data.TOOLS)
    demo = await accounts.ensure_user(
        session=session, email=DEMO_EMAIL, workspace_slug=DEMO_WORKSPACE
    )
    await accounts.ensure_user(
        session=session, email=STAFF_EMAIL, staff=True, workspace_slug=STAFF_WORKSPACE
    )
    tenant = await seed.owned_workspace(session=session, owner_id=demo.id)
    assert tenant is not None
    apps = await _seed_workspace(session, tenant)
    events = await _seed_usage(session, tenant, apps)
    await wallet.add_credits(
        session=session,
        tenant_id=tenant.id,
        kind=GRANT,
        amount_micros=DEMO_CREDITS_MICROS,
        reason="demo credits",
        idempotency_key="demo-seed",
        now=utcnow(),
    )
    return SeedReport(integrations=created, tools=tools_created, usage_events=events)


async def _seed_integrations(session: AsyncSession) -> int:
    created = await seed.add_missing_integrations(session=session, rows=seed_data.INTEGRATIONS)
    await seed.add_missing_meters(session=session, meters=seed_data.METERS)
    await seed.add_missing_category_fallbacks(
        session=session, fallbacks=seed_data.CATEGORY_FALLBACKS
    )
    return created


async def _seed_workspace(session: AsyncSession, tenant: Tenant) -> dict[str, uuid.UUID]:
    """Connections, flags and apps of the demo workspace; returns app ids by name."""
    apps = await seed.app_ids(session=session, tenant_id=tenant.id)
    if apps:
        return apps
    connections = await seed.add_connections(
        session=session, tenant_id=tenant.id, profiles=_CONNECTIONS
    )
    ids = await seed.integration_ids(session=session)
    for provider, enabled in _FLAGS.items():
        await integrations.set_tenant_enabled(
            session=session,
            tenant_id=tenant.id,
            integration_id=ids[provider],
            enabled=enabled,
            now=utcnow(),
        )
    tool_ids = await seed.tool_ids(session=session)
    for name, (slug, providers) in _APPS.items():
        apps[name] = await seed.add_app(
            session=session,
            tenant_id=tenant.id,
            tool_id=tool_ids[slug],
            name=name,
            connection_ids=[connections[p] for p in providers],
        )
    return apps


async def _seed_usage(session: AsyncSession, tenant: Tenant, apps: dict[str, uuid.UUID]) -> int:
    if await seed.has_usage_events(session=session, tenant_id=tenant.id):
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
    await seed.add_usage_events(session=session, rows=rows)
    return len(rows)


async def database_is_empty(session: AsyncSession) -> bool:
    return not await seed.has_integrations(session=session)
