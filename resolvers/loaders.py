"""Per-request loaders. Each batch opens its own session (sibling fields resolve concurrently,
and one AsyncSession cannot be shared between them).

Two kinds, so that a list of N rows costs the same number of SQL statements as a list of one,
however its resolvers' awaits happen to interleave:
- keyed DataLoaders (by id), used where every item of a list asks at the same moment;
- whole-set loaders (one key, ``None``): the catalog, and the workspace's state, connections and
  month usage, each read once per request and then looked up in memory. A workspace has at most
  one state row per integration, so these sets are bounded by the catalog.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.db import Database
from app.models import App, Integration, Meter, Release, TenantIntegration, Tool
from app.repositories import integrations, tools, usage
from resolvers.usage.periods import Periods

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Fetch = Callable[[AsyncSession, list[K]], Awaitable[Mapping[K, V]]]
EMPTY: frozenset[str] = frozenset()


class Loaders:
    def __init__(self, *, db: Database, tenant_id: uuid.UUID | None, now: datetime) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.periods = Periods.at(now)

    def _loader(self, fetch: Fetch[K, V], default: Any = None) -> DataLoader[K, V]:
        async def load(keys: Sequence[K]) -> list[V]:
            async with self.db.read() as session:
                found = await fetch(session, list(keys))
            return [found.get(key, default) for key in keys]

        return DataLoader(load)

    def _whole(self, fetch: Callable[[AsyncSession], Awaitable[V]]) -> DataLoader[None, V]:
        async def load(keys: Sequence[None]) -> list[V]:
            async with self.db.read() as session:
                value = await fetch(session)
            return [value for _ in keys]

        return DataLoader(load)

    @property
    def tenant(self) -> uuid.UUID:
        if self.tenant_id is None:  # pragma: no cover - resolvers check the workspace first
            raise RuntimeError("tenant loaders need a workspace")
        return self.tenant_id

    # Whole sets

    @cached_property
    def _catalog(self) -> DataLoader[None, dict[str, Integration]]:
        async def fetch(session: AsyncSession) -> dict[str, Integration]:
            rows = await integrations.list_integrations(session=session, enabled_only=False)
            return {row.provider: row for row in rows}

        return self._whole(fetch)

    @cached_property
    def _states(self) -> DataLoader[None, dict[uuid.UUID, TenantIntegration]]:
        return self._whole(lambda s: integrations.tenant_states(session=s, tenant_id=self.tenant))

    @cached_property
    def _profiles(self) -> DataLoader[None, dict[str, set[str]]]:
        return self._whole(
            lambda s: integrations.active_connection_profiles(session=s, tenant_id=self.tenant)
        )

    @cached_property
    def _month_usage(self) -> DataLoader[None, dict[str, tuple[int, int]]]:
        return self._whole(
            lambda s: usage.usage_totals(
                session=s, tenant_id=self.tenant, since=self.periods.month_day
            )
        )

    async def integration(self, provider: str) -> Integration | None:
        """Any integration of the catalog, enabled or not, by provider."""
        return (await self._catalog.load(None)).get(provider)

    async def enabled_integrations(self) -> list[Integration]:
        """The enabled catalog in provider order."""
        return [row for row in (await self._catalog.load(None)).values() if row.enabled]

    async def state(self, integration_id: uuid.UUID) -> TenantIntegration | None:
        return (await self._states.load(None)).get(integration_id)

    async def profiles(self, provider: str) -> frozenset[str]:
        """Profiles of the workspace's active connections for a provider."""
        return frozenset((await self._profiles.load(None)).get(provider, EMPTY))

    async def month_usage(self, provider: str) -> tuple[int, int]:
        return (await self._month_usage.load(None)).get(provider, (0, 0))

    # Keyed

    @cached_property
    def integration_by_id(self) -> DataLoader[uuid.UUID, Integration | None]:
        return self._loader(lambda s, ids: integrations.get_integrations_by_id(session=s, ids=ids))

    @cached_property
    def daily_usage(self) -> DataLoader[str, dict[date, tuple[int, int]]]:
        return self._loader(
            lambda s, keys: usage.daily_usage(
                session=s, tenant_id=self.tenant, providers=keys, since=self.periods.earliest_day
            ),
            default={},
        )

    @cached_property
    def tool_by_id(self) -> DataLoader[uuid.UUID, Tool | None]:
        return self._loader(lambda s, ids: tools.get_tools_by_id(session=s, ids=ids))

    @cached_property
    def app_by_id(self) -> DataLoader[uuid.UUID, App | None]:
        """The workspace's apps only: another tenant's app id finds nothing."""
        return self._loader(
            lambda s, ids: tools.get_apps(session=s, ids=ids, tenant_id=self.tenant)
        )

    @cached_property
    def active_release(self) -> DataLoader[uuid.UUID, Release | None]:
        return self._loader(lambda s, ids: tools.active_releases(session=s, tool_ids=ids))

    @cached_property
    def tool_spend(self) -> DataLoader[uuid.UUID, tuple[int, datetime | None]]:
        return self._loader(
            lambda s, ids: tools.tool_spend(session=s, tool_ids=ids), default=(0, None)
        )

    @cached_property
    def category_fallback(self) -> DataLoader[str, int | None]:
        return self._loader(lambda s, keys: tools.category_fallbacks(session=s, categories=keys))

    @cached_property
    def bound_providers(self) -> DataLoader[uuid.UUID, frozenset[str]]:
        return self._loader(
            lambda s, ids: tools.bound_providers(session=s, app_ids=ids), default=EMPTY
        )

    @cached_property
    def public_meters(self) -> DataLoader[uuid.UUID, list[Meter]]:
        return self._loader(
            lambda s, ids: tools.public_meters(session=s, integration_ids=ids), default=[]
        )
