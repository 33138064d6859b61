"""The ``Integration`` type and its per-workspace overlay."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from app.models import AVAILABLE, TenantIntegration
from app.models import Integration as IntegrationRow
from app.repositories import integrations
from resolvers.context import Info
from resolvers.pagination import Page

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
from resolvers.integrations import rules
from resolvers.scalars import Micros
from resolvers.usage.types import UsageTrend


@strawberry.type(description="A workspace's install state of one integration (reference 04).")
class Installation:
    status: str = strawberry.field(description="`available` or `installed`.")
    installed_at: dt.datetime | None
    params: JSON = strawberry.field(description="Stored parameters, as given.")
    secret_names: list[str] = strawberry.field(
        description="Names of the stored secrets; their values are never readable."
    )

    @classmethod
    def from_state(cls, state: TenantIntegration | None) -> Self:
        if state is None:
            return cls(status=AVAILABLE, installed_at=None, params={}, secret_names=[])
        return cls(
            status=state.status,
            installed_at=state.installed_at,
            params=dict(state.params),
            secret_names=sorted(state.secrets),
        )


@strawberry.type(name="Integration", description="A provider in the Vendo catalog.")
class IntegrationType(relay.Node):
    node_id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The integration's UUID.")
    provider: str = strawberry.field(description="The provider slug, e.g. `openrouter`.")
    name: str
    description: str
    category: str
    type: str | None
    enabled: bool
    default_profile: str
    supported_profiles: list[str]
    logo_url: str | None
    icon_name: str | None
    docs_url: str | None
    env_bootstrap: JSON | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, row: IntegrationRow) -> Self:
        return cls(
            node_id=str(row.id),
            database_id=row.id,
            provider=row.provider,
            name=row.name,
            description=row.description,
            category=row.category,
            type=row.type,
            enabled=row.enabled,
            default_profile=row.default_profile,
            supported_profiles=list(row.supported_profiles),
            logo_url=row.logo_url,
            icon_name=row.icon_name,
            docs_url=row.docs_url,
            env_bootstrap=row.env_bootstrap,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        from resolvers.integrations.queries import visible

        ids = [_as_uuid(node_id) for node_id in node_ids]
        rows = [
            await info.context.loaders.integration_by_id.load(key) if key else None for key in ids
        ]
        return [cls.from_model(row) if row and visible(info, row) else None for row in rows]

    @strawberry.field(description="The workspace's state: its flag, else an active connection.")
    async def tenant_enabled(self, info: Info) -> bool | None:
        loaders = info.context.loaders
        if loaders.tenant_id is None:
            return None
        return await workspace_enabled(loaders, self.database_id, self.provider)

    @strawberry.field(description="The workspace's install state (reference 04); null anonymously.")
    async def installation(self, info: Info) -> Installation | None:
        loaders = info.context.loaders
        if loaders.tenant_id is None:
            return None
        return Installation.from_state(await loaders.state(self.database_id))

    @strawberry.field(description="Whether the workspace has an active connection for it.")
    async def provisioned(self, info: Info) -> bool | None:
        loaders = info.context.loaders
        if loaders.tenant_id is None:
            return None
        return bool(await loaders.profiles(self.provider))

    @strawberry.field(description="Usage events of the workspace since the start of the UTC month.")
    async def usage_this_month(self, info: Info) -> int | None:
        return await _month_usage(info, self.provider, 0)

    @strawberry.field(description="Cost in micros since the start of the UTC month.")
    async def cost_this_month(self, info: Info) -> Micros | None:
        cost = await _month_usage(info, self.provider, 1)
        return Micros(cost) if cost is not None else None

    @strawberry.field(description="The workspace's 30-day usage trend for this provider.")
    async def usage_trend(self, info: Info) -> UsageTrend | None:
        loaders = info.context.loaders
        if loaders.tenant_id is None:
            return None
        daily = await loaders.daily_usage.load(self.provider)
        return UsageTrend.build(self.provider, daily, loaders.periods)


async def workspace_enabled(loaders: Loaders, integration_id: uuid.UUID, provider: str) -> bool:
    """``tenantEnabled`` of the loaders' workspace, both lookups in the same batch."""
    state, profiles = await asyncio.gather(
        loaders.state(integration_id), loaders.profiles(provider)
    )
    return rules.tenant_enabled(provider, state.enabled if state else None, profiles)


async def _month_usage(info: Info, provider: str, index: int) -> Any:
    loaders = info.context.loaders
    if loaders.tenant_id is None:
        return None
    return (await loaders.month_usage(provider))[index]


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@strawberry.type(name="IntegrationConnection", description="A page of the catalog.")
class IntegrationConnection(Page[IntegrationType]):
    category: strawberry.Private[str | None] = None

    @strawberry.field(description="How many integrations match, over all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.runtime.db.read() as session:
            return await integrations.count_integrations(session=session, category=self.category)
