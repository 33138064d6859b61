"""The integrations catalog, tenant state and connections."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, delete, exists, func, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.models import (
    AVAILABLE,
    INSTALLED,
    MANAGED_POOL,
    MANAGED_POOL_ACTIVE,
    Connection,
    Integration,
    IntegrationApi,
    TenantIntegration,
)
from app.repositories import Reader
from app.repositories._sql import (
    dialect_name,
    execute,
    fetch_rows,
    listed,
    searchable,
    upsert,
)

# A listing reads rows, not ORM objects (no identity map, no instrumented attributes: several
# times cheaper per row), and never the configuration or the secrets.
_LISTED = {
    name: column
    for name, column in Integration.__table__.columns.items()  # type: ignore[attr-defined]
    if name not in ("configuration", "secret_configuration", "tags")
}
LISTED_COLUMNS = listed(_LISTED.values())
ListedIntegration = Any  # a named tuple of Integration's columns, configuration excepted
# What every listing reads, whatever the caller asks for: visibility, cursors, tenant overlays.
ALWAYS_LISTED = frozenset({"id", "provider", "enabled"})


@functools.lru_cache(maxsize=128)
def listed_columns(columns: frozenset[str] | None) -> tuple[Any, ...]:
    """The listing's select list when the caller reads only ``columns`` (None: every one). The
    others are selected as ``NULL`` under their own names, so each row still has every field
    and costs nothing to read or convert (two JSON and two datetime columns a row, else)."""
    if columns is None:
        return LISTED_COLUMNS
    wanted = columns | ALWAYS_LISTED
    return tuple(
        column if name in wanted else null().label(name)
        for name, column in zip(_LISTED, LISTED_COLUMNS, strict=True)
    )


@functools.lru_cache(maxsize=256)
def _listing(  # type: ignore[no-untyped-def]
    columns: frozenset[str] | None, enabled_only: bool, category: bool, after: bool, limit: bool
):
    """A listing's statement, built once per shape; its values are bound at execution
    (``category``, ``after``, ``limit``: whether each is given)."""
    query = select(*listed_columns(columns))
    if enabled_only:
        query = query.where(col(Integration.enabled).is_(True))
    if category:
        query = query.where(col(Integration.category) == bindparam("category"))
    if after:
        query = query.where(Integration.provider > bindparam("after"))
    query = query.order_by(Integration.provider)
    if limit:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


async def list_integrations(
    *,
    session: Reader,
    enabled_only: bool = True,
    category: str | None = None,
    after: str | None = None,
    limit: int | None = None,
    columns: frozenset[str] | None = None,
) -> list[ListedIntegration]:
    """Catalog page in provider order (keyset pagination: ``after`` is the last provider seen);
    ``columns``: the only ones the caller reads (see ``listed_columns``)."""
    given = {"category": category, "after": after, "limit": limit}
    shape = (value is not None for value in given.values())
    parameters = {name: value for name, value in given.items() if value is not None}
    return await fetch_rows(session, _listing(columns, enabled_only, *shape), parameters)


async def count_integrations(
    *, session: AsyncSession, enabled_only: bool = True, category: str | None = None
) -> int:
    listing = _listing(None, enabled_only, category is not None, False, False).subquery()
    parameters = {"category": category} if category is not None else {}
    return int(await session.scalar(select(func.count()).select_from(listing), parameters) or 0)


_BY_PROVIDER = select(*LISTED_COLUMNS).where(col(Integration.provider) == bindparam("provider"))
_BY_ID = select(*LISTED_COLUMNS).where(col(Integration.id).in_(bindparam("ids", expanding=True)))


async def get_integration(*, session: Reader, provider: str) -> ListedIntegration | None:
    """One integration by provider, as a listing reads it (a Core read: a plain connection
    serves; in a session, it runs in the session's transaction)."""
    if not searchable(provider):
        return None
    rows = await fetch_rows(session, _BY_PROVIDER, {"provider": provider})
    return rows[0] if rows else None


async def get_integrations_by_id(
    *, session: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ListedIntegration]:
    """Integrations by id, as a listing reads them (a Core read)."""
    rows = await fetch_rows(session, _BY_ID, {"ids": list(ids)})
    return {row.id: row for row in rows}


async def tenant_states(
    *, session: AsyncSession, tenant_id: uuid.UUID
) -> dict[uuid.UUID, TenantIntegration]:
    """Every state row of the tenant (at most one per integration), by integration id."""
    rows = await session.scalars(
        select(TenantIntegration).where(col(TenantIntegration.tenant_id) == tenant_id)
    )
    return {row.integration_id: row for row in rows}


_ACTIVE_PROFILES = select(col(Connection.provider), col(Connection.profile)).where(
    col(Connection.tenant_id) == bindparam("tenant_id"), col(Connection.active).is_(True)
)


async def active_connection_profiles(
    *, session: Reader, tenant_id: uuid.UUID
) -> dict[str, set[str]]:
    """Profiles of the tenant's active connections, by provider."""
    rows = await execute(session, _ACTIVE_PROFILES, {"tenant_id": tenant_id})
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
    # SQLModel sets __table__ when it builds the class; its typing does not declare it.
    statement = upsert(session, TenantIntegration.__table__).values(  # type: ignore[attr-defined]
        tenant_id=tenant_id, integration_id=integration_id, enabled=enabled, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "integration_id"],
        set_={"enabled": statement.excluded.enabled, "updated_at": statement.excluded.updated_at},
    )
    await session.execute(statement)


MANAGED_POOL_LABEL = "Vendo managed pool"


def _managed_stub(tenant_id: uuid.UUID, provider: str, stub: Any = Connection) -> Any:
    """The managed-pool stub the toggle writes for a workspace and provider (CONTRACT.md §1.3), told
    apart by its profile: a connection the tenant made (``byok_static``, …) has another one."""
    return (
        (col(stub.tenant_id) == tenant_id)
        & (col(stub.provider) == provider)
        & (col(stub.profile) == MANAGED_POOL)
    )


async def _still_enabled(
    session: AsyncSession, tenant_id: uuid.UUID, integration_id: uuid.UUID
) -> bool:
    """The workspace's flag, read locked on PostgreSQL (SQLite has one writer at a time): a
    toggle committed meanwhile has written its stub before this reads, or waits until after."""
    query = select(col(TenantIntegration.enabled)).where(
        col(TenantIntegration.tenant_id) == tenant_id,
        col(TenantIntegration.integration_id) == integration_id,
    )
    if dialect_name(session) == "postgresql":
        query = query.with_for_update()
    return bool(await session.scalar(query))


async def activate_managed_connection(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    integration_id: uuid.UUID,
    provider: str,
    now: datetime,
) -> bool:
    """While the workspace's flag is on, its managed-pool stub for ``provider`` is active: the
    one written before is reactivated (same id, so apps bound to it keep it), else one is
    written. False, and nothing written, when a later toggle turned the flag off meanwhile. One
    active stub per workspace and provider, also under concurrent toggles (a partial unique
    index turns a second insert into a no-op)."""
    if not await _still_enabled(session, tenant_id, integration_id):
        return False
    active = aliased(Connection)
    earliest_inactive = (
        select(col(Connection.id))
        .where(_managed_stub(tenant_id, provider), col(Connection.active).is_(False))
        .order_by(col(Connection.created_at), col(Connection.id))
        .limit(1)
        .scalar_subquery()
    )
    none_active = ~exists().where(
        _managed_stub(tenant_id, provider, active), col(active.active).is_(True)
    )
    reactivate = (
        update(Connection)
        .where(col(Connection.id) == earliest_inactive, none_active)
        .values(active=True)
    )
    if (await session.execute(reactivate)).rowcount:  # type: ignore[attr-defined]
        return True
    statement = upsert(session, Connection.__table__).values(  # type: ignore[attr-defined]
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        provider=provider,
        profile=MANAGED_POOL,
        active=True,
        label=MANAGED_POOL_LABEL,
        created_at=now,
    )
    await session.execute(
        statement.on_conflict_do_nothing(
            index_elements=["tenant_id", "provider"], index_where=MANAGED_POOL_ACTIVE
        )
    )
    return True


async def deactivate_managed_connection(
    *, session: AsyncSession, tenant_id: uuid.UUID, provider: str
) -> None:
    """The workspace's managed-pool stub for ``provider`` stops being active (kept, to be
    reactivated); its other connections are the tenant's own and stay as they are."""
    await session.execute(
        update(Connection)
        .where(_managed_stub(tenant_id, provider), col(Connection.active).is_(True))
        .values(active=False)
    )


# Account install state (docs/CONTRACT.md §4)


def _account_query(tenant_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return (
        select(Integration, TenantIntegration)
        .outerjoin(
            TenantIntegration,
            # and_(), not ``&``: the operator builds a comparator that forms a reference cycle
            # with its expression, left to the garbage collector on every request.
            and_(
                col(TenantIntegration.integration_id) == col(Integration.id),
                col(TenantIntegration.tenant_id) == tenant_id,
            ),
        )
        .where(col(Integration.enabled).is_(True))
    )


async def account_integrations(
    *, session: AsyncSession, tenant_id: uuid.UUID, status: str | None = None
) -> list[tuple[Integration, TenantIntegration | None]]:
    """Enabled integrations with the tenant's install state, by provider."""
    query = _account_query(tenant_id)
    if status is not None:
        query = query.where(func.coalesce(TenantIntegration.status, AVAILABLE) == status)
    rows = await session.execute(query.order_by(Integration.provider))
    return [(integration, state) for integration, state in rows]


async def account_integration(
    *, session: AsyncSession, tenant_id: uuid.UUID, ref: uuid.UUID | str
) -> tuple[Integration, TenantIntegration | None] | None:
    """One enabled integration by UUID or provider name, with the tenant's install state."""
    if isinstance(ref, str) and not searchable(ref):
        return None
    column = Integration.id if isinstance(ref, uuid.UUID) else Integration.provider
    row = (await session.execute(_account_query(tenant_id).where(column == ref))).first()
    return (row[0], row[1]) if row else None


async def _locked_state(
    session: AsyncSession, tenant_id: uuid.UUID, integration_id: uuid.UUID, now: datetime
) -> TenantIntegration:
    """The tenant's state row, created if missing, locked for this transaction."""
    # SQLModel sets __table__ when it builds the class; its typing does not declare it.
    statement = upsert(session, TenantIntegration.__table__).values(  # type: ignore[attr-defined]
        tenant_id=tenant_id, integration_id=integration_id, updated_at=now
    )
    await session.execute(statement.on_conflict_do_nothing())
    query = select(TenantIntegration).where(
        col(TenantIntegration.tenant_id) == tenant_id,
        col(TenantIntegration.integration_id) == integration_id,
    )
    if dialect_name(session) == "postgresql":
        query = query.with_for_update()
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def install(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    integration_id: uuid.UUID,
    params: dict[str, Any] | None,
    secrets: dict[str, str] | None,
    now: datetime,
) -> TenantIntegration:
    """Flip to installed. Given params replace the stored ones; given secrets (already encrypted)
    are merged by name over the stored ones; absent ones keep what was stored."""
    state = await _locked_state(session, tenant_id, integration_id, now)
    if params is not None:
        state.params = dict(params)
    if secrets:
        state.secrets = {**state.secrets, **secrets}
    state.status = INSTALLED
    state.installed_at = now
    state.updated_at = now
    await session.flush()
    return state


async def uninstall(
    *, session: AsyncSession, tenant_id: uuid.UUID, integration_id: uuid.UUID, now: datetime
) -> TenantIntegration:
    """Flip back to available and clear installed_at; params and secrets stay stored."""
    state = await _locked_state(session, tenant_id, integration_id, now)
    state.status = AVAILABLE
    state.installed_at = None
    state.updated_at = now
    await session.flush()
    return state


# Bulk save (docs/CONTRACT.md §5)


async def stored_configuration(
    *, session: AsyncSession, names: Sequence[str]
) -> dict[str, tuple[str | None, set[str], bool]]:
    """name → (type, stored configuration keys plain and secret, whether it has apis) of the
    existing integrations among ``names``."""
    has_apis = select(col(IntegrationApi.id)).where(
        col(IntegrationApi.integration_id) == col(Integration.id)
    )
    rows = await session.execute(
        select(
            col(Integration.provider),
            col(Integration.type),
            col(Integration.configuration),
            col(Integration.secret_configuration),
            has_apis.exists(),
        ).where(col(Integration.provider).in_([n for n in names if searchable(n)]))
    )
    return {
        name: (kind, set(plain) | set(secret), bool(apis))
        for name, kind, plain, secret, apis in rows
    }


async def lock_or_create_integration(
    *, session: AsyncSession, name: str, kind: str, category: str, now: datetime
) -> tuple[Integration, bool]:
    """The integration called ``name``, created if missing, locked for this transaction. Two
    concurrent saves of one new name create one row (the insert does nothing on conflict)."""
    # SQLModel sets __table__ when it builds the class; its typing does not declare it.
    statement = upsert(session, Integration.__table__).values(  # type: ignore[attr-defined]
        id=uuid.uuid4(),
        provider=name,
        name=name,
        description="",
        category=category,
        type=kind,
        created_at=now,
        updated_at=now,
    )
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["provider"]))
    query = select(Integration).where(col(Integration.provider) == name)
    if dialect_name(session) == "postgresql":
        query = query.with_for_update()
    row = (await session.execute(query.execution_options(populate_existing=True))).scalar_one()
    return row, bool(result.rowcount)  # type: ignore[attr-defined]


async def replace_apis(
    *, session: AsyncSession, integration_id: uuid.UUID, apis: Sequence[dict[str, Any]]
) -> None:
    stale = delete(IntegrationApi).where(col(IntegrationApi.integration_id) == integration_id)
    await session.execute(stale)
    session.add_all(IntegrationApi(integration_id=integration_id, **api) for api in apis)
    await session.flush()


async def all_secret_holders(
    *, session: AsyncSession
) -> tuple[list[Integration], list[TenantIntegration]]:
    """Every row that stores secrets, for key rotation."""
    integrations_ = (await session.scalars(select(Integration))).all()
    states = (await session.scalars(select(TenantIntegration))).all()
    return (
        [row for row in integrations_ if row.secret_configuration],
        [row for row in states if row.secrets],
    )
