"""The demo catalog as tests expect it, derived from ``app/seed_data.py`` rather than copied, and
look-ups of its rows."""

from __future__ import annotations

import copy
import uuid
from collections import Counter

from sqlalchemy import select

from app.models import Integration, Tenant, TenantIntegration
from app.runtime import Runtime
from app.seed_data import INTEGRATIONS, TOOLS

# Enabled integrations of the demo catalog, in provider order (replicate is disabled).
_ENABLED = sorted(
    (row["provider"], row["category"]) for row in INTEGRATIONS if row.get("enabled", True)
)
ENABLED_PROVIDERS = [provider for provider, _ in _ENABLED]
# The same, with their categories; and how many of them each category holds, by category.
ENABLED_CATEGORIES = dict(_ENABLED)
CATEGORY_COUNTS = dict(sorted(Counter(ENABLED_CATEGORIES.values()).items()))

# The deploy wizard's layout of the demo tool Hermes: a valid layout, as stored.
HERMES_LAYOUT = copy.deepcopy((TOOLS["hermes"][1] or {})["wizard_layout"])


async def demo_tenant_id(runtime: Runtime) -> uuid.UUID:
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    assert tenant_id is not None
    return tenant_id


async def integration_row(runtime: Runtime, provider: str) -> Integration:
    async with runtime.db.read() as session:
        row = await session.scalar(select(Integration).where(Integration.provider == provider))
    assert row is not None
    return row


async def integration_id(runtime: Runtime, provider: str) -> uuid.UUID:
    return (await integration_row(runtime, provider)).id


async def state_of(
    runtime: Runtime, tenant_id: uuid.UUID, provider: str
) -> TenantIntegration | None:
    """The workspace's row for one integration (its flag, install state, params, secrets)."""
    async with runtime.db.read() as session:
        return await session.scalar(
            select(TenantIntegration)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == provider)
        )


async def tenant_flag(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> bool | None:
    """The workspace's enabled flag for one integration (``None``: never toggled)."""
    state = await state_of(runtime, tenant_id, provider)
    return None if state is None else state.enabled
