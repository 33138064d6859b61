"""App Keys and Connection Keys. Only the SHA-256 of a key is stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.changes import KEY_REVOKED
from app.models import APP_KEY, ApiKey, App, Connection, Tenant
from app.repositories import Reader, changes
from app.repositories._sql import execute


@dataclass(frozen=True)
class KeyPrincipal:
    kind: str
    tenant_id: uuid.UUID
    tenant_slug: str
    app_id: uuid.UUID | None
    connection_id: uuid.UUID | None
    key_id: uuid.UUID | None = None


# Built once: every request signed with a key runs it (see ``_sql.execute``). The key's app or
# connection must still exist in the key's own workspace: a key whose scope belongs to another
# workspace signs nothing (docs/decisions/0101).
_BY_KEY = (
    select(
        col(ApiKey.kind),
        col(ApiKey.tenant_id),
        col(Tenant.slug),
        col(ApiKey.app_id),
        col(ApiKey.connection_id),
        col(ApiKey.id),
    )
    .join(Tenant, col(Tenant.id) == col(ApiKey.tenant_id))
    .outerjoin(App, col(App.id) == col(ApiKey.app_id))
    .outerjoin(Connection, col(Connection.id) == col(ApiKey.connection_id))
    .where(
        col(ApiKey.key_hash) == bindparam("key_hash"),
        col(ApiKey.revoked_at).is_(None),
        or_(col(ApiKey.expires_at).is_(None), col(ApiKey.expires_at) > bindparam("now")),
        or_(
            col(App.tenant_id) == col(ApiKey.tenant_id),
            col(Connection.tenant_id) == col(ApiKey.tenant_id),
        ),
    )
)


async def principal_for_key(
    *, session: Reader, key_hash: str, now: datetime
) -> KeyPrincipal | None:
    row = (await execute(session, _BY_KEY, {"key_hash": key_hash, "now": now})).first()
    return KeyPrincipal(*row) if row else None


async def scope_tenant(
    *, session: AsyncSession, app_id: uuid.UUID | None, connection_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The tenant owning the app or connection a new key is for."""
    if app_id is not None:
        return await session.scalar(select(col(App.tenant_id)).where(col(App.id) == app_id))
    return await session.scalar(
        select(col(Connection.tenant_id)).where(col(Connection.id) == connection_id)
    )


async def issue_key(
    *,
    session: AsyncSession,
    kind: str,
    scope_id: uuid.UUID,
    key_hash: str,
    prefix: str,
    expires_at: datetime | None,
    tenant_id: uuid.UUID | None = None,
) -> ApiKey | None:
    """A key for an app (``kind`` app) or a connection, in the workspace owning it; None when
    there is no such app or connection — or, given ``tenant_id``, not in that workspace."""
    app_id, connection_id = (scope_id, None) if kind == APP_KEY else (None, scope_id)
    owner = await scope_tenant(session=session, app_id=app_id, connection_id=connection_id)
    if owner is None or (tenant_id is not None and owner != tenant_id):
        return None
    return await create_key(
        session=session,
        kind=kind,
        tenant_id=owner,
        scope_id=scope_id,
        key_hash=key_hash,
        prefix=prefix,
        expires_at=expires_at,
    )


async def workspace_keys(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[ApiKey]:
    """Every key of the workspace, revoked and expired ones too, oldest first."""
    query = (
        select(ApiKey)
        .where(col(ApiKey.tenant_id) == tenant_id)
        .order_by(col(ApiKey.created_at), col(ApiKey.id))
    )
    return list((await session.scalars(query)).all())


async def revoke_workspace_key(
    *, session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, now: datetime
) -> ApiKey | None:
    """Revokes one key of the workspace (a key revoked already keeps its first revocation time);
    None when the workspace has no such key."""
    key = await session.scalar(
        select(ApiKey).where(col(ApiKey.id) == key_id, col(ApiKey.tenant_id) == tenant_id)
    )
    if key is not None and key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
    return key


async def create_key(
    *,
    session: AsyncSession,
    kind: str,
    tenant_id: uuid.UUID,
    scope_id: uuid.UUID,
    key_hash: str,
    prefix: str,
    expires_at: datetime | None,
) -> ApiKey:
    row = ApiKey(
        kind=kind,
        tenant_id=tenant_id,
        app_id=scope_id if kind == APP_KEY else None,
        connection_id=None if kind == APP_KEY else scope_id,
        key_hash=key_hash,
        prefix=prefix,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def revoke_key(
    *,
    session: AsyncSession,
    now: datetime,
    key_hash: str | None = None,
    key_id: uuid.UUID | None = None,
) -> int:
    """Revokes the key (by its hash or id) unless it was already; how many were revoked. Each
    logs a ``key.revoked`` change in the transaction, announced to every worker at commit (the
    CLI holds no change stream: ``changes.record_and_notify``)."""
    condition = col(ApiKey.key_hash) == key_hash if key_hash else col(ApiKey.id) == key_id
    result = await session.execute(
        update(ApiKey)
        .where(condition, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=now)
        .returning(col(ApiKey.id), col(ApiKey.tenant_id), col(ApiKey.app_id))
    )
    revoked: list[tuple[Any, ...]] = [tuple(row) for row in result.all()]
    await changes.record_and_notify(
        session=session,
        rows=[
            {"created_at": now, **key_revoked(key_id=id_, tenant_id=tenant_id, app_id=app_id)}
            for id_, tenant_id, app_id in revoked
        ],
    )
    return len(revoked)


def key_revoked(
    *, key_id: uuid.UUID, tenant_id: uuid.UUID, app_id: uuid.UUID | None
) -> dict[str, Any]:
    """The ``key.revoked`` change of a key (its app's, for an App Key; the events channel ends
    the streams opened with it)."""
    return {
        "tenant_id": tenant_id,
        "app_id": app_id,
        "kind": KEY_REVOKED,
        "subject": str(key_id),
        "payload": {"key_id": str(key_id), "app_id": None if app_id is None else str(app_id)},
    }
