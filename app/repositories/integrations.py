"""The integrations catalog, tenant state and connections."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import MANAGED_POOL, Connection, Integration, TenantIntegration
from app.repositories._sql import upsert


def _catalog_query(*, enabled_only: bool, category: str | None):  # type: ignore[no-untyped-def]
    query = select(Integration)
    if enabled_only:
        query = query.where(Integration.enabled.is_(True))
    if category is not None:
        query = query.where(Integration.category == category)
    return query


async def list_integrations(
    *,
    session: AsyncSession,
    enabled_only: bool = True,
    category: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[Integration]:
    """Catalog page in provider order (keyset pagination: ``after`` is the last provider seen)."""
    query = _catalog_query(enabled_only=enabled_only, category=category)
    if after is not None:
        query = query.where(Integration.provider > after)
    query = query.order_by(Integration.provider)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())


async def count_integrations(
    *, session: AsyncSession, enabled_only: bool = True, category: str | None = None
) -> int:
    query = _catalog_query(enabled_only=enabled_only, category=category).subquery()
    return int(await session.scalar(select(func.count()).select_from(query)) or 0)


async def get_integration(*, session: AsyncSession, provider: str) -> Integration | None:
    result = await session.execute(select(Integration).where(Integration.provider == provider))
    return result.scalar_one_or_none()


async def get_integrations_by_id(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Integration]:
    rows = await session.scalars(select(Integration).where(Integration.id.in_(ids)))
    return {row.id: row for row in rows}


async def get_integrations_by_provider(
    *, session: AsyncSession, providers: Sequence[str]
) -> dict[str, Integration]:
    rows = await session.scalars(select(Integration).where(Integration.provider.in_(providers)))
    return {row.provider: row for row in rows}


async def tenant_states(
    *, session: AsyncSession, tenant_id: uuid.UUID, integration_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, TenantIntegration]:
    rows = await session.scalars(
        select(TenantIntegration).where(
            TenantIntegration.tenant_id == tenant_id,
            TenantIntegration.integration_id.in_(integration_ids),
        )
    )
    return {row.integration_id: row for row in rows}


async def active_connection_profiles(
    *, session: AsyncSession, tenant_id: uuid.UUID, providers: Sequence[str]
) -> dict[str, set[str]]:
    """Profiles of the tenant's active connections, by provider."""
    rows = await session.execute(
        select(Connection.provider, Connection.profile).where(
            Connection.tenant_id == tenant_id,
            Connection.provider.in_(providers),
            Connection.active.is_(True),
        )
    )
    profiles: dict[str, set[str]] = defaultdict(set)
    for provider, profile in rows:
        profiles[provider].add(profile)
    return profiles


async def set_tenant_enabled(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    integration_id: uuid.UUID,
    enabled: bool,
    now: datetime,
) -> None:
    """One atomic upsert, so concurrent toggles never collide on the primary key."""
    statement = upsert(session, TenantIntegration.__table__).values(
        tenant_id=tenant_id, integration_id=integration_id, enabled=enabled, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "integration_id"],
        set_={"enabled": statement.excluded.enabled, "updated_at": statement.excluded.updated_at},
    )
    await session.execute(statement)


async def ensure_managed_connection(
    *, session: AsyncSession, tenant_id: uuid.UUID, provider: str
) -> Connection:
    """The managed-pool stub the proxy resolves credentials through; written once per tenant."""
    existing = await session.scalar(
        select(Connection).where(
            Connection.tenant_id == tenant_id,
            Connection.provider == provider,
            Connection.profile == MANAGED_POOL,
            Connection.active.is_(True),
        )
    )
    if existing is not None:
        return existing
    connection = Connection(
        tenant_id=tenant_id, provider=provider, profile=MANAGED_POOL, label="Vendo managed pool"
    )
    session.add(connection)
    await session.flush()
    return connection
