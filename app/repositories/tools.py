"""The tools catalog: tools, releases, apps and bindings, spend history, meters."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import (
    App,
    AppConnectionBinding,
    CategoryFallback,
    Connection,
    Integration,
    Meter,
    Release,
    Tool,
    UsageEvent,
)
from app.repositories import Reader
from app.repositories._sql import execute, fetch_row_groups, fetch_rows, listed, searchable

TEST_TOOL_PREFIX = "vendo-test-"
DEFAULT_CATEGORY = "*"
# Listings read rows, not ORM objects (several times cheaper per row; see integrations.py).
TOOL_FIELDS = tuple(Tool.__table__.columns.keys())  # type: ignore[attr-defined]
RELEASE_FIELDS = tuple(Release.__table__.columns.keys())  # type: ignore[attr-defined]
TOOL_COLUMNS = listed(Tool.__table__.columns)  # type: ignore[attr-defined]
RELEASE_COLUMNS = listed(Release.__table__.columns)  # type: ignore[attr-defined]
ListedTool = Any  # a named tuple with the attributes of Tool (fetch_rows)
ListedRelease = Any  # a named tuple with the attributes of Release
ListedMeter = Any  # a named tuple with the attributes of Meter
_PUBLIC_METERS = (
    select(*listed(Meter.__table__.columns))  # type: ignore[attr-defined]
    .where(
        col(Meter.integration_id).in_(bindparam("ids", expanding=True)),
        col(Meter.public).is_(True),
    )
    .order_by(col(Meter.key))
)


def _publicly_listed() -> ColumnElement[bool]:
    """Enabled, not ``marketing.internal``, not a ``vendo-test-`` tool."""
    internal = func.coalesce(Tool.marketing["internal"].as_boolean(), false())
    return and_(
        col(Tool.enabled).is_(True),
        internal.is_(False),
        not_(col(Tool.slug).startswith(TEST_TOOL_PREFIX, autoescape=True)),
    )


# Built once: an expression is immutable, and one built per request left ~15 objects in
# reference cycles (SQLAlchemy's comparators and their expressions) for the garbage collector.
PUBLICLY_LISTED = _publicly_listed()


_TOOL_BY_SLUG = {
    True: select(*TOOL_COLUMNS).where(col(Tool.slug) == bindparam("slug")),
    False: select(*TOOL_COLUMNS).where(col(Tool.slug) == bindparam("slug"), PUBLICLY_LISTED),
}
_TOOLS_BY_ID = select(*TOOL_COLUMNS).where(col(Tool.id).in_(bindparam("ids", expanding=True)))


async def list_tools(
    *, session: AsyncSession, admin: bool, after: str | None = None, limit: int | None = None
) -> list[ListedTool]:
    query = select(*TOOL_COLUMNS)
    if not admin:
        query = query.where(PUBLICLY_LISTED)
    if after is not None:
        query = query.where(col(Tool.slug) > after)
    query = query.order_by(Tool.slug)
    if limit is not None:
        query = query.limit(limit)
    return await fetch_rows(session, query)


async def count_tools(*, session: AsyncSession, admin: bool) -> int:
    query = select(func.count()).select_from(Tool)
    if not admin:
        query = query.where(PUBLICLY_LISTED)
    return int(await session.scalar(query) or 0)


async def get_tool(*, session: Reader, slug: str, admin: bool = False) -> ListedTool | None:
    """One tool by slug, as a listing reads it (a Core read: a plain connection serves)."""
    if not searchable(slug):
        return None
    rows = await fetch_rows(session, _TOOL_BY_SLUG[admin], {"slug": slug})
    return rows[0] if rows else None


async def get_tools_by_id(
    *, session: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ListedTool]:
    rows = await fetch_rows(session, _TOOLS_BY_ID, {"ids": list(ids)})
    return {row.id: row for row in rows}


async def active_releases(
    *, session: AsyncSession, tool_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ListedRelease]:
    query = select(*RELEASE_COLUMNS).where(
        col(Release.tool_id).in_(tool_ids), col(Release.active).is_(True)
    )
    return {row.tool_id: row for row in await fetch_rows(session, query)}


async def deployable(
    *, session: AsyncSession, admin: bool, after: str | None = None, limit: int | None = None
) -> list[tuple[ListedTool, ListedRelease]]:
    """Tools with an active, deploy-ready release, as (tool, release) named tuples. Admins also
    see disabled, internal and test tools — never unreleased ones."""
    query = (
        select(*TOOL_COLUMNS, *RELEASE_COLUMNS)
        .select_from(Tool)
        .join(
            Release,
            and_(
                col(Release.tool_id) == col(Tool.id),
                col(Release.active).is_(True),
                col(Release.deploy_ready).is_(True),
            ),
        )
    )
    if not admin:
        query = query.where(PUBLICLY_LISTED)
    if after is not None:
        query = query.where(col(Tool.slug) > after)
    query = query.order_by(Tool.slug)
    if limit is not None:
        query = query.limit(limit)
    return await fetch_row_groups(session, query, TOOL_FIELDS, RELEASE_FIELDS)


async def get_apps(
    *, session: AsyncSession, ids: Sequence[uuid.UUID], tenant_id: uuid.UUID
) -> dict[uuid.UUID, App]:
    """The tenant's apps among ``ids``: another tenant's app is indistinguishable from none."""
    rows = await session.scalars(
        select(App).where(col(App.id).in_(ids), col(App.tenant_id) == tenant_id)
    )
    return {row.id: row for row in rows}


async def workspace_apps(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID] | None = None
) -> list[tuple[App, Tool]]:
    """The workspace's apps (those among ``ids`` when given), each with its tool, oldest first."""
    query = (
        select(App, Tool)
        .join(Tool, col(Tool.id) == col(App.tool_id))
        .where(col(App.tenant_id) == tenant_id)
    )
    if ids is not None:
        query = query.where(col(App.id).in_(ids))
    rows = await session.execute(query.order_by(col(App.created_at), col(App.id)))
    return [(app, tool) for app, tool in rows]


# Built once: every deployment's request runs it (``_sql.execute``). Core rows, no ORM entities.
_BINDINGS = AppConnectionBinding.__table__.c  # type: ignore[attr-defined]
_CONNECTIONS = Connection.__table__.c  # type: ignore[attr-defined]
_BOUND = (
    select(
        *listed([_BINDINGS.app_id]),
        *listed(_CONNECTIONS[name] for name in ("id", "provider", "profile", "active", "label")),
        listed([_BINDINGS.created_at])[0].label("bound_at"),
    )
    .join(Connection, col(Connection.id) == col(AppConnectionBinding.connection_id))
    .join(App, col(App.id) == col(AppConnectionBinding.app_id))
    .where(
        col(AppConnectionBinding.app_id).in_(bindparam("app_ids", expanding=True)),
        col(Connection.tenant_id) == col(App.tenant_id),
    )
    .order_by(col(AppConnectionBinding.created_at), col(Connection.provider), col(Connection.id))
)
BoundRow = Any  # a named tuple: app_id, id, provider, profile, active, label, bound_at


async def bound_connections(
    *, session: Reader, app_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BoundRow]]:
    """Each app's bound connections with when they were bound, in binding order; a binding to a
    connection of another workspace than the app's is not one."""
    found: dict[uuid.UUID, list[BoundRow]] = defaultdict(list)
    for row in await fetch_rows(session, _BOUND, {"app_ids": list(app_ids)}):
        found[row.app_id].append(row)
    return dict(found)


async def bound_providers(
    *, session: AsyncSession, app_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """Providers each app is bound to through an active connection."""
    rows = await session.execute(
        select(col(AppConnectionBinding.app_id), col(Connection.provider))
        .join(Connection, col(Connection.id) == col(AppConnectionBinding.connection_id))
        .where(col(AppConnectionBinding.app_id).in_(app_ids), col(Connection.active).is_(True))
    )
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for app_id, provider in rows:
        found[app_id].add(provider)
    return {app_id: frozenset(found.get(app_id, ())) for app_id in app_ids}


async def tool_spend(
    *, session: Reader, tool_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, datetime | None]]:
    """Total cost (micros) of each tool's apps and the time of its first usage event."""
    rows = await execute(
        session,
        select(
            col(App.tool_id),
            func.sum(col(UsageEvent.cost_micros)),
            func.min(col(UsageEvent.occurred_at)),
        )
        .join(UsageEvent, col(UsageEvent.app_id) == col(App.id))
        .where(col(App.tool_id).in_(tool_ids))
        .group_by(col(App.tool_id)),
    )
    return {tool_id: (int(total or 0), first) for tool_id, total, first in rows}


async def category_fallbacks(*, session: Reader, categories: Sequence[str]) -> dict[str, int]:
    """Fallback daily spend (micros) per category, the ``*`` row standing in for missing ones."""
    wanted = [*categories, DEFAULT_CATEGORY]
    rows = await execute(
        session,
        select(col(CategoryFallback.category), col(CategoryFallback.daily_spend_micros)).where(
            col(CategoryFallback.category).in_(wanted)
        ),
    )
    known = {category: int(micros) for category, micros in rows}
    found: dict[str, int] = {}
    for category in categories:
        value = known.get(category, known.get(DEFAULT_CATEGORY))
        if value is not None:
            found[category] = value
    return found


async def public_pricing_integrations(*, session: AsyncSession) -> list[Integration]:
    """Enabled integrations with at least one public meter, by provider."""
    has_public = select(col(Meter.id)).where(
        col(Meter.integration_id) == col(Integration.id), col(Meter.public)
    )
    query = (
        select(Integration)
        .where(col(Integration.enabled).is_(True), has_public.exists())
        .order_by(Integration.provider)
    )
    return list((await session.scalars(query)).all())


async def public_meters(
    *, session: Reader, integration_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ListedMeter]]:
    """Each integration's public meters in key order, as named tuples (a Core read)."""
    rows = await fetch_rows(session, _PUBLIC_METERS, {"ids": list(integration_ids)})
    found: dict[uuid.UUID, list[ListedMeter]] = {key: [] for key in integration_ids}
    for meter in rows:
        found[meter.integration_id].append(meter)
    return found
