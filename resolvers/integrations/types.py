"""The ``Integration`` type and its per-workspace overlay."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable
from typing import Literal, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from app.models import AVAILABLE, TenantIntegration
from app.models import Integration as IntegrationRow
from app.repositories import integrations
from resolvers.context import Info
from resolvers.engine.pagination import Page
from resolvers.engine.prefetch import prefetched, sets
from resolvers.engine.scalars import Micros, uuid_text
from resolvers.integrations import rules
from resolvers.loaders import MONTH_USAGE, PROFILES, STATES, Loaders
from resolvers.usage.types import UsageTrend


@strawberry.type(
    description="A workspace's install state of one integration, as `/api/v1` shows it."
)
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
            return cls(status=AVAILABLE, installed_at=None, params=JSON({}), secret_names=[])
        return cls(
            status=state.status,
            installed_at=state.installed_at,
            params=JSON(dict(state.params)),
            secret_names=sorted(state.secrets),
        )


def _workspace(loaders: Loaders) -> Literal[True] | None:
    """True in a workspace, None anonymously: ``_workspace(l) and value`` is null anonymously."""
    return True if loaders.tenant_id is not None else None


def enabled_now(loaders: Loaders, integration_id: uuid.UUID, provider: str) -> bool:
    """``tenantEnabled`` in the loaders' workspace, once its STATES and PROFILES are ready."""
    state = loaders.state_now(integration_id)
    flag = state.enabled if state is not None else None
    return rules.tenant_enabled(provider, flag, loaders.profiles_now(provider))


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
        """From an ORM row or a listed one; a listed row's columns that the query does not read
        are None (``columns_read``). Its fields are assigned one by one rather than passed to
        the dataclass's keyword-only ``__init__``, whose matching of 16 keywords costs as much
        again, for every row of every list (which only assigns them: no defaults, no
        ``__post_init__``; ``test_from_model_is_the_dataclass_init`` holds both to the same)."""
        integration = object.__new__(cls)
        integration.node_id = uuid_text(row.id)
        integration.database_id = row.id
        integration.provider = row.provider
        integration.name = row.name
        integration.description = row.description
        integration.category = row.category
        integration.type = row.type
        integration.enabled = row.enabled
        integration.default_profile = row.default_profile
        integration.supported_profiles = list(row.supported_profiles or ())
        integration.logo_url = row.logo_url
        integration.icon_name = row.icon_name
        integration.docs_url = row.docs_url
        integration.env_bootstrap = cast("JSON | None", row.env_bootstrap)
        integration.created_at = row.created_at
        integration.updated_at = row.updated_at
        return integration

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [_as_uuid(node_id) for node_id in node_ids]
        rows = [
            await info.context.loaders.integration_by_id.load(key) if key else None for key in ids
        ]
        return [cls.from_model(row) if row and rules.visible(info, row) else None for row in rows]

    # The workspace overlay, null anonymously: read from the request's whole sets, so that a
    # list of integrations takes one statement per set, and lists of them take the fast path.

    @strawberry.field(description="The workspace's state: its flag, else an active connection.")
    @prefetched(
        sets(STATES, PROFILES, workspace=True),
        lambda root, loaders, _: (
            _workspace(loaders) and enabled_now(loaders, root.database_id, root.provider)
        ),
        per_root=False,
    )
    async def tenant_enabled(self, info: Info) -> bool | None: ...

    @strawberry.field(
        description="The workspace's install state, as `/api/v1` shows it; null anonymously."
    )
    @prefetched(
        sets(STATES, workspace=True),
        lambda root, loaders, _: (
            _workspace(loaders) and Installation.from_state(loaders.state_now(root.database_id))
        ),
        per_root=False,
    )
    async def installation(self, info: Info) -> Installation | None: ...

    @strawberry.field(description="Whether the workspace has an active connection for it.")
    @prefetched(
        sets(PROFILES, workspace=True),
        lambda root, loaders, _: _workspace(loaders) and bool(loaders.profiles_now(root.provider)),
        per_root=False,
    )
    async def provisioned(self, info: Info) -> bool | None: ...

    @strawberry.field(description="Usage events of the workspace since the start of the UTC month.")
    @prefetched(
        sets(MONTH_USAGE, workspace=True),
        lambda root, loaders, _: _workspace(loaders) and loaders.month_usage_now(root.provider)[0],
        per_root=False,
    )
    async def usage_this_month(self, info: Info) -> int | None: ...

    @strawberry.field(description="Cost in micros since the start of the UTC month.")
    @prefetched(
        sets(MONTH_USAGE, workspace=True),
        lambda root, loaders, _: (
            _workspace(loaders) and Micros(loaders.month_usage_now(root.provider)[1])
        ),
        per_root=False,
    )
    async def cost_this_month(self, info: Info) -> Micros | None: ...

    @strawberry.field(description="The workspace's 30-day usage trend for this provider.")
    async def usage_trend(self, info: Info) -> UsageTrend | None:
        loaders = info.context.loaders
        if loaders.tenant_id is None:
            return None
        daily = await loaders.daily_usage.load(self.provider)
        return UsageTrend.build(self.provider, daily, loaders.periods)


# The row column each plain field of ``Integration`` is built from (``from_model``); None: no
# column. A field not listed here (a resolver: the workspace overlay, the usage trend) reads
# whatever it likes from the object, so selecting one reads the whole row.
FIELD_COLUMNS: dict[str, str | None] = {
    "__typename": None,
    "id": "id",
    "databaseId": "id",
    "provider": "provider",
    "name": "name",
    "description": "description",
    "category": "category",
    "type": "type",
    "enabled": "enabled",
    "defaultProfile": "default_profile",
    "supportedProfiles": "supported_profiles",
    "logoUrl": "logo_url",
    "iconName": "icon_name",
    "docsUrl": "docs_url",
    "envBootstrap": "env_bootstrap",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}


@functools.lru_cache(maxsize=256)
def columns_read(fields: frozenset[str]) -> frozenset[str] | None:
    """The columns a listing must read for these selected fields; None: all of them."""
    columns = set()
    for name in fields:
        if name not in FIELD_COLUMNS:
            return None
        if (column := FIELD_COLUMNS[name]) is not None:
            columns.add(column)
    return frozenset(columns)


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
