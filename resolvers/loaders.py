"""DataLoaders, created per request. Each batch opens its own session (sibling fields resolve
concurrently, and one AsyncSession cannot be shared between them) and answers in key order, so a
list of N rows costs the same number of SQL statements as a list of one."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.db import Database
from app.models import App, Integration, Release, TenantIntegration, Tool
from app.repositories import integrations, tools, usage
from resolvers.usage.periods import Periods

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Fetch = Callable[[AsyncSession, list[K]], Awaitable[Mapping[K, V]]]


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

    @property
    def tenant(self) -> uuid.UUID:
        if self.tenant_id is None:  # pragma: no cover - resolvers check the workspace first
            raise RuntimeError("tenant loaders need a workspace")
        return self.tenant_id

    # Integrations

    @cached_property
    def integration_by_id(self) -> DataLoader[uuid.UUID, Integration | None]:
        return self._loader(lambda s, ids: integrations.get_integrations_by_id(session=s, ids=ids))

    @cached_property
    def integration_by_provider(self) -> DataLoader[str, Integration | None]:
        return self._loader(
            lambda s, keys: integrations.get_integrations_by_provider(session=s, providers=keys)
        )

    @cached_property
    def enabled_integrations(self) -> DataLoader[None, list[Integration]]:
        """The whole enabled catalog, loaded once per request (key: None)."""
        return self._loader(
            lambda s, _: _all_enabled(s),
            default=[],
        )

    @cached_property
    def tenant_state(self) -> DataLoader[uuid.UUID, TenantIntegration | None]:
        return self._loader(
            lambda s, ids: integrations.tenant_states(
                session=s, tenant_id=self.tenant, integration_ids=ids
            )
        )

    @cached_property
    def connection_profiles(self) -> DataLoader[str, frozenset[str]]:
        return self._loader(
            lambda s, keys: _frozen(
                integrations.active_connection_profiles(
                    session=s, tenant_id=self.tenant, providers=keys
                )
            ),
            default=frozenset(),
        )

    # Usage

    @cached_property
    def month_usage(self) -> DataLoader[str, tuple[int, int]]:
        return self._loader(
            lambda s, keys: usage.usage_totals(
                session=s, tenant_id=self.tenant, providers=keys, since=self.periods.month_start
            ),
            default=(0, 0),
        )

    @cached_property
    def daily_usage(self) -> DataLoader[str, dict[date, tuple[int, int]]]:
        return self._loader(
            lambda s, keys: usage.daily_usage(
                session=s, tenant_id=self.tenant, providers=keys, since=self.periods.earliest
            ),
            default={},
        )

    # Tools

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
            lambda s, ids: tools.bound_providers(session=s, app_ids=ids), default=frozenset()
        )

    @cached_property
    def public_meters(self) -> DataLoader[uuid.UUID, list[Any]]:
        return self._loader(
            lambda s, ids: tools.public_meters(session=s, integration_ids=ids), default=[]
        )


async def _all_enabled(session: AsyncSession) -> dict[None, list[Integration]]:
    return {None: await integrations.list_integrations(session=session)}


async def _frozen(found: Awaitable[Mapping[str, set[str]]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(value) for key, value in (await found).items()}
