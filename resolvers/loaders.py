"""Per-request loaders. Each batch opens its own session, or connection for Core reads (sibling
fields resolve concurrently, and one AsyncSession cannot be shared between them).

Two kinds, so that a list of N rows costs the same number of SQL statements as a list of one,
however its resolvers' awaits happen to interleave:
- keyed DataLoaders (by id), used where every item of a list asks at the same moment;
- whole sets: the catalog, and the workspace's state, connections and month usage, each read once
  per request and then looked up in memory. A workspace has at most one state row per
  integration, so these sets are bounded by the catalog. Once ``ready`` has been awaited for a
  set, its ``*_now`` accessors answer synchronously — which is what lets the fast path build a
  list of items whose fields come from them (resolvers/engine/prefetch.py).
"""

from __future__ import annotations

import asyncio
import uuid
from asyncio import Future
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.cache.shared import INTEGRATIONS_CATALOG, TOOLS_CATALOG
from app.cache.snapshots import Snapshots
from app.db import Database
from app.models import (
    App,
    Integration,
    Meter,
    Release,
    Tenant,
    TenantIntegration,
    Tool,
    User,
)
from app.repositories import Reader, accounts, integrations, tools, usage
from resolvers.usage.periods import Periods

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Fetch = Callable[[Reader, list[K]], Awaitable[Mapping[K, V]]]
# What the loaders' fetches get: a ``read`` session, or with ``core=True`` a plain connection.
OrmFetch = Callable[[AsyncSession, list[K]], Awaitable[Mapping[K, V]]]
EMPTY: frozenset[str] = frozenset()

# The whole sets (see Loaders.ready).
CATALOG = "catalog"
STATES = "states"
PROFILES = "profiles"
MONTH_USAGE = "month_usage"
CATALOG_SNAPSHOT = (INTEGRATIONS_CATALOG, CATALOG)  # (cache tag, name) of the catalog's snapshot


class Catalog:
    """The integrations catalog as a request sees it — the same object for every request of a
    worker while its snapshot is current (app/cache/snapshots.py), so never changed once built; only
    ``views`` grows (``view``)."""

    def __init__(self, rows: Iterable[Integration]) -> None:
        self.by_provider = {row.provider: row for row in rows}
        # The enabled ones, by provider, in provider order.
        self.enabled = {p: row for p, row in self.by_provider.items() if row.enabled}
        # Objects built from rows (say, the API's Integration of each): built once, then reused
        # by every list, and every request, that shows them.
        self.views: dict[Hashable, Any] = {}

    def view(self, row: Integration, build: Callable[[Integration], V]) -> V:
        """``build(row)``, once per integration of the catalog: the same integrations appear
        under many tools of a list (and, while the catalog is a worker's snapshot, in every
        request)."""
        found = self.views.get(row.id)
        if found is None:
            found = self.views[row.id] = build(row)
        return found


def _let_go(loader: DataLoader[Any, Any]) -> None:
    loader.clear_all()
    loader.batch = None  # its tasks hold the last values loaded


class Loaders:
    def __init__(
        self,
        *,
        db: Database,
        tenant_id: uuid.UUID | None,
        now: datetime,
        snapshots: Snapshots,
    ) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.now = now
        self.periods = Periods.at(now)
        self.snapshots = snapshots
        self._sets: dict[str, Any] = {}
        self._whole_loaders: dict[str, DataLoader[None, Any]] = {}

    @overload
    def _loader(
        self,
        fetch: OrmFetch[K, V],
        default: Any = None,
        *,
        snapshot: tuple[str, str] | None = None,
        core: Literal[False] = False,
    ) -> DataLoader[K, V]: ...

    @overload
    def _loader(
        self,
        fetch: Fetch[K, V],
        default: Any = None,
        *,
        snapshot: tuple[str, str] | None = None,
        core: Literal[True],
    ) -> DataLoader[K, V]: ...

    def _loader(
        self,
        fetch: Callable[[Any, list[K]], Awaitable[Mapping[K, V]]],
        default: Any = None,
        *,
        snapshot: tuple[str, str] | None = None,
        core: bool = False,
    ) -> DataLoader[K, V]:
        """``snapshot``: (cache tag, name) under which a worker keeps what it loaded, by key,
        between requests (app/cache/snapshots.py); it must then be the same for every request.
        ``core``: ``fetch`` runs Core statements only, so it reads on a plain connection."""
        opened = self.db.connect if core else self.db.read

        async def read(keys: list[K]) -> Mapping[K, V]:
            async with opened() as session:
                return await fetch(session, keys)

        async def load(keys: Sequence[K]) -> list[V]:
            if snapshot is None:
                found = await read(list(keys))
            else:
                # Keys are ids of rows already read (say, listed tools): one that finds
                # nothing (a tool with no active release) is kept as found, with the default.
                found = await self.snapshots.get_many(*snapshot, keys, read, missing=default)
            return [found.get(key, default) for key in keys]

        return DataLoader(load)

    @overload
    def _whole(
        self,
        fetch: Callable[[AsyncSession], Awaitable[V]],
        *,
        snapshot: tuple[str, str] | None = None,
        core: Literal[False] = False,
    ) -> DataLoader[None, V]: ...

    @overload
    def _whole(
        self,
        fetch: Callable[[Reader], Awaitable[V]],
        *,
        snapshot: tuple[str, str] | None = None,
        core: Literal[True],
    ) -> DataLoader[None, V]: ...

    def _whole(
        self,
        fetch: Callable[[Any], Awaitable[V]],
        *,
        snapshot: tuple[str, str] | None = None,
        core: bool = False,
    ) -> DataLoader[None, V]:
        """``snapshot``: (cache tag, key) under which a worker keeps the set between requests
        (app/cache/snapshots.py); the set must then be the same for every request. ``core``: as for
        ``_loader``."""
        opened = self.db.connect if core else self.db.read

        async def read() -> V:
            async with opened() as session:
                return await fetch(session)

        async def load(keys: Sequence[None]) -> list[V]:
            value = await (read() if snapshot is None else self.snapshots.get(*snapshot, read))
            return [value for _ in keys]

        return DataLoader(load)

    def close(self) -> None:
        """Let go of what the request loaded, and of the loaders themselves. Every DataLoader's
        function closes over these loaders, a reference cycle: left alone, the loaders and all
        they hold — rows, the objects built from them — would wait for the cyclic garbage
        collector (~20 objects a request, its young collections then 10–20 ms apiece, every few
        thousand requests), be promoted through its generations while other requests run, and be
        walked by its full collections. Dropped here, they are freed by reference counting; a
        loader asked for after ``close`` is built afresh (``cached_property``)."""
        attributes = vars(self)
        for name, value in list(attributes.items()):
            if isinstance(value, DataLoader):  # a ``cached_property`` loader
                _let_go(value)
                del attributes[name]
        for loader in self._whole_loaders.values():
            _let_go(loader)
        self._whole_loaders.clear()
        self._sets.clear()

    @property
    def tenant(self) -> uuid.UUID:
        if self.tenant_id is None:  # pragma: no cover - resolvers check the workspace first
            raise RuntimeError("tenant loaders need a workspace")
        return self.tenant_id

    # Whole sets

    def _whole_set(self, name: str) -> DataLoader[None, Any]:
        """The loader of one whole set, made when the request first asks for that set."""
        loader = self._whole_loaders.get(name)
        if loader is None:
            loader = self._whole_loaders[name] = self._make_whole_set(name)
        return loader

    def _make_whole_set(self, name: str) -> DataLoader[None, Any]:
        if name == CATALOG:

            async def catalog(session: Reader) -> Catalog:
                rows = await integrations.list_integrations(session=session, enabled_only=False)
                return Catalog(rows)

            return self._whole(catalog, snapshot=CATALOG_SNAPSHOT, core=True)
        if name == STATES:
            return self._whole(
                lambda s: integrations.tenant_states(session=s, tenant_id=self.tenant)
            )
        if name == PROFILES:
            return self._whole(
                lambda s: integrations.active_connection_profiles(session=s, tenant_id=self.tenant),
                core=True,
            )
        if name == MONTH_USAGE:
            return self._whole(
                lambda s: usage.usage_totals(
                    session=s, tenant_id=self.tenant, since=self.periods.month_day
                ),
                core=True,
            )
        raise KeyError(name)

    def ready(self, *names: str) -> Awaitable[None] | None:
        """None when the named whole sets are loaded; else an awaitable that loads the missing
        ones (all fields asking in the same round share one statement per set). The catalog,
        while this worker's snapshot of it is current, is taken at once: no loader, no await."""
        sets = self._sets
        if (
            CATALOG in names
            and CATALOG not in sets
            and (catalog := self.snapshots.peek(*CATALOG_SNAPSHOT)) is not None
        ):
            sets[CATALOG] = catalog
        missing = [name for name in names if name not in sets]
        return self._load(missing) if missing else None

    async def _load(self, names: list[str]) -> None:
        loads = [self._whole_set(name).load(None) for name in names]
        values = await asyncio.gather(*loads) if len(loads) > 1 else [await loads[0]]
        for name, value in zip(names, values, strict=True):
            # A set another field of this request took meanwhile (a catalog snapshot, become
            # current while this load ran) stays: one request sees one catalog.
            self._sets.setdefault(name, value)

    async def _wait(self, *names: str) -> None:
        if (waiting := self.ready(*names)) is not None:
            await waiting

    # ... answered synchronously once ready

    def catalog_now(self) -> Catalog:
        return self._sets[CATALOG]  # type: ignore[no-any-return]

    async def integration(self, provider: str) -> Integration | None:
        """One integration of the catalog by provider, enabled or not (no SQL while the
        catalog is this worker's snapshot)."""
        await self._wait(CATALOG)
        return self.catalog_now().by_provider.get(provider)

    def state_now(self, integration_id: uuid.UUID) -> TenantIntegration | None:
        state: TenantIntegration | None = self._sets[STATES].get(integration_id)
        return state

    def profiles_now(self, provider: str) -> frozenset[str]:
        """Profiles of the workspace's active connections for a provider."""
        return frozenset(self._sets[PROFILES].get(provider, EMPTY))

    def month_usage_now(self, provider: str) -> tuple[int, int]:
        usage: tuple[int, int] = self._sets[MONTH_USAGE].get(provider, (0, 0))
        return usage

    # ... and awaited

    async def state(self, integration_id: uuid.UUID) -> TenantIntegration | None:
        await self._wait(STATES)
        return self.state_now(integration_id)

    async def profiles(self, provider: str) -> frozenset[str]:
        await self._wait(PROFILES)
        return self.profiles_now(provider)

    # Keyed

    @staticmethod
    def keyed_ready(loader: DataLoader[K, V], keys: Iterable[K]) -> Awaitable[Any] | None:
        """None when every key's value is loaded; else an awaitable loading the missing ones
        (in one batch with any other loads of the same round)."""
        missing = [key for key in keys if not _loaded(loader.cache_map.get(key))]
        return loader.load_many(missing) if missing else None

    @staticmethod
    def keyed_now(loader: DataLoader[K, V], key: K) -> V:
        """A loaded key's value (``keyed_ready`` first); raises what its load raised."""
        future = loader.cache_map.get(key)
        if future is None or not future.done():  # pragma: no cover - a caller's bug
            raise RuntimeError(f"{key!r} is not loaded")
        return future.result()

    @cached_property
    def integration_by_id(self) -> DataLoader[uuid.UUID, Integration | None]:
        return self._loader(
            lambda s, ids: integrations.get_integrations_by_id(session=s, ids=ids), core=True
        )

    @cached_property
    def daily_usage(self) -> DataLoader[str, dict[date, tuple[int, int]]]:
        return self._loader(
            lambda s, keys: usage.daily_usage(
                session=s, tenant_id=self.tenant, providers=keys, since=self.periods.earliest_day
            ),
            default={},
            core=True,
        )

    @cached_property
    def tool_by_id(self) -> DataLoader[uuid.UUID, Tool | None]:
        return self._loader(lambda s, ids: tools.get_tools_by_id(session=s, ids=ids), core=True)

    @cached_property
    def app_by_id(self) -> DataLoader[uuid.UUID, App | None]:
        """The workspace's apps only: another tenant's app id finds nothing."""
        return self._loader(
            lambda s, ids: tools.get_apps(session=s, ids=ids, tenant_id=self.tenant)
        )

    @cached_property
    def active_release(self) -> DataLoader[uuid.UUID, Release | None]:
        return self._loader(
            lambda s, ids: tools.active_releases(session=s, tool_ids=ids),
            snapshot=(TOOLS_CATALOG, "active_release"),
        )

    @cached_property
    def tool_spend(self) -> DataLoader[uuid.UUID, tuple[int, datetime | None]]:
        return self._loader(
            lambda s, ids: tools.tool_spend(session=s, tool_ids=ids), default=(0, None), core=True
        )

    @cached_property
    def category_fallback(self) -> DataLoader[str, int | None]:
        return self._loader(
            lambda s, keys: tools.category_fallbacks(session=s, categories=keys), core=True
        )

    @cached_property
    def bound_providers(self) -> DataLoader[uuid.UUID, frozenset[str]]:
        return self._loader(
            lambda s, ids: tools.bound_providers(session=s, app_ids=ids), default=EMPTY
        )

    # Keys and apps (docs/CONTRACT.md §3.11)

    @cached_property
    def tenant_by_id(self) -> DataLoader[uuid.UUID, Tenant | None]:
        return self._loader(lambda s, ids: accounts.tenants_by_id(session=s, ids=ids))

    @cached_property
    def user_by_id(self) -> DataLoader[uuid.UUID, User | None]:
        return self._loader(lambda s, ids: accounts.users_by_id(session=s, ids=ids))

    @cached_property
    def bound_connections(self) -> DataLoader[uuid.UUID, list[tools.BoundRow]]:
        """Each app's bound connections, with when they were bound."""
        return self._loader(
            lambda s, ids: tools.bound_connections(session=s, app_ids=ids), default=[], core=True
        )

    @cached_property
    def app_with_tool(self) -> DataLoader[uuid.UUID, tuple[App, Tool] | None]:
        """The workspace's apps, each with its tool: another tenant's app id finds nothing."""

        async def fetch(s: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[App, Tool]]:
            rows = await tools.workspace_apps(session=s, tenant_id=self.tenant, ids=ids)
            return {app.id: (app, tool) for app, tool in rows}

        return self._loader(fetch)

    @cached_property
    def public_meters(self) -> DataLoader[uuid.UUID, list[Meter]]:
        return self._loader(
            lambda s, ids: tools.public_meters(session=s, integration_ids=ids),
            default=[],
            core=True,
        )


def _loaded(future: Future[Any] | None) -> bool:
    return future is not None and future.done() and not future.cancelled()
