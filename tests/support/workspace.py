"""A workspace's apps, bindings and keys as the database holds them, and the bodies the keys and
apps routes build from them (docs/CONTRACT.md §3.11)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import ApiKey, App, AppConnectionBinding, Connection, Tool
from app.runtime import Runtime
from app.services.auth import hash_token
from tests.support.clock import iso


async def app_id_of(runtime: Runtime, name: str) -> uuid.UUID:
    async with runtime.db.read() as session:
        found = await session.scalar(select(App.id).where(App.name == name))
    assert found is not None
    return found


async def connection_of(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> Connection:
    async with runtime.db.read() as session:
        found = await session.scalar(
            select(Connection).where(
                Connection.tenant_id == tenant_id, Connection.provider == provider
            )
        )
    assert found is not None
    return found


async def key_row(runtime: Runtime, key: str) -> ApiKey:
    async with runtime.db.read() as session:
        found = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
    assert found is not None
    return found


async def bindings_of(runtime: Runtime, app_id: uuid.UUID) -> list[tuple[Connection, datetime]]:
    """The app's bound connections with when they were bound, in binding order."""
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(Connection, AppConnectionBinding.created_at)
            .join(AppConnectionBinding, AppConnectionBinding.connection_id == Connection.id)
            .where(AppConnectionBinding.app_id == app_id)
            .order_by(AppConnectionBinding.created_at, Connection.provider, Connection.id)
        )
        return [(connection, at) for connection, at in rows]


def bound(connection: Connection, bound_at: datetime, *, snake: bool) -> dict[str, Any]:
    """One bound connection: ``bound_at`` for the runtime, ``boundAt`` for the dashboard."""
    return {
        "id": str(connection.id),
        "provider": connection.provider,
        "profile": connection.profile,
        "active": connection.active,
        "label": connection.label,
        "bound_at" if snake else "boundAt": iso(bound_at),
    }


async def apps_body(runtime: Runtime, tenant_id: uuid.UUID) -> dict[str, Any]:
    """``GET /api/apps`` of the workspace: oldest app first."""
    async with runtime.db.read() as session:
        rows = (
            await session.execute(
                select(App, Tool)
                .join(Tool, Tool.id == App.tool_id)
                .where(App.tenant_id == tenant_id)
                .order_by(App.created_at, App.id)
            )
        ).all()
    apps = []
    for app, tool in rows:
        connections = [bound(c, at, snake=False) for c, at in await bindings_of(runtime, app.id)]
        apps.append(
            {
                "id": str(app.id),
                "name": app.name,
                "createdAt": iso(app.created_at),
                "tool": {"slug": tool.slug, "name": tool.name},
                "connections": connections,
            }
        )
    return {"apps": apps}


def key_body(row: ApiKey) -> dict[str, Any]:
    """A key as listed: never the key itself, nor its hash."""
    return {
        "id": str(row.id),
        "kind": row.kind,
        "prefix": row.prefix,
        "appId": str(row.app_id) if row.app_id else None,
        "connectionId": str(row.connection_id) if row.connection_id else None,
        "createdAt": iso(row.created_at),
        "expiresAt": iso(row.expires_at) if row.expires_at else None,
        "revokedAt": iso(row.revoked_at) if row.revoked_at else None,
    }
