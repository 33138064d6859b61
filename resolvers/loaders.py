"""DataLoaders, created per request. Each batch opens its own session (sibling fields resolve
concurrently, and one AsyncSession cannot be shared between them) and answers in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from functools import cached_property

from strawberry.dataloader import DataLoader

from app.db import Database
from app.models import Integration, TenantIntegration
from app.repositories import integrations, usage
from resolvers.usage.periods import Periods


class Loaders:
    def __init__(self, *, db: Database, tenant_id: uuid.UUID | None, now: datetime) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.periods = Periods.at(now)

    def _tenant(self) -> uuid.UUID:
        if self.tenant_id is None:  # pragma: no cover - resolvers check the workspace first
            raise RuntimeError("tenant loaders need a workspace")
        return self.tenant_id

    @cached_property
    def integration_by_id(self) -> DataLoader[uuid.UUID, Integration | None]:
        async def load(ids: Sequence[uuid.UUID]) -> list[Integration | None]:
            async with self.db.read() as session:
                found = await integrations.get_integrations_by_id(session=session, ids=ids)
            return [found.get(key) for key in ids]

        return DataLoader(load)

    @cached_property
    def tenant_state(self) -> DataLoader[uuid.UUID, TenantIntegration | None]:
        async def load(ids: Sequence[uuid.UUID]) -> list[TenantIntegration | None]:
            async with self.db.read() as session:
                found = await integrations.tenant_states(
                    session=session, tenant_id=self._tenant(), integration_ids=ids
                )
            return [found.get(key) for key in ids]

        return DataLoader(load)

    @cached_property
    def connection_profiles(self) -> DataLoader[str, frozenset[str]]:
        async def load(providers: Sequence[str]) -> list[frozenset[str]]:
            async with self.db.read() as session:
                found = await integrations.active_connection_profiles(
                    session=session, tenant_id=self._tenant(), providers=providers
                )
            return [frozenset(found.get(key, ())) for key in providers]

        return DataLoader(load)

    @cached_property
    def month_usage(self) -> DataLoader[str, tuple[int, int]]:
        async def load(providers: Sequence[str]) -> list[tuple[int, int]]:
            async with self.db.read() as session:
                found = await usage.usage_totals(
                    session=session,
                    tenant_id=self._tenant(),
                    providers=providers,
                    since=self.periods.month_start,
                )
            return [found.get(key, (0, 0)) for key in providers]

        return DataLoader(load)

    @cached_property
    def daily_usage(self) -> DataLoader[str, dict[date, tuple[int, int]]]:
        async def load(providers: Sequence[str]) -> list[dict[date, tuple[int, int]]]:
            async with self.db.read() as session:
                found = await usage.daily_usage(
                    session=session,
                    tenant_id=self._tenant(),
                    providers=providers,
                    since=self.periods.earliest,
                )
            return [found[key] for key in providers]

        return DataLoader(load)
