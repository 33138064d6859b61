"""``integrationChanged`` and ``connectionChanged``: the workspace's integrations and connections
as they change — toggled or installed here, saved into the catalog, or written by other systems
(connection rows: the triggers of migration 0003). Each change is read afresh for the
subscriber's workspace, so what it receives is what a query would answer now."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from functools import partial
from typing import Any

import strawberry

from app.changes import CONNECTION, INTEGRATION, Change
from app.models import utcnow
from app.repositories import integrations
from resolvers.context import Context, Info
from resolvers.engine.subscriptions import changes_for, shared_read
from resolvers.integrations import rules
from resolvers.loaders import Loaders


@strawberry.type(description="An integration's state in the workspace, after a change.")
class IntegrationChange:
    provider: str
    tenant_enabled: bool = strawberry.field(
        description="The workspace's flag, else an active connection (as `Integration`)."
    )
    provisioned: bool = strawberry.field(
        description="Whether the workspace has an active connection for it."
    )


@strawberry.type(description="A connection of the workspace, as it is after a change.")
class ConnectionChange:
    id: uuid.UUID
    provider: str
    profile: str
    active: bool


async def _integration_state(context: Context, provider: str) -> IntegrationChange | None:
    loaders = Loaders(
        db=context.runtime.db,
        tenant_id=context.viewer.tenant_id,
        now=utcnow(),
        snapshots=context.runtime.snapshots,
    )
    try:
        # Not the worker's catalog snapshot: a catalog save is published at its commit, before
        # the snapshot's invalidation.
        async with context.runtime.db.read() as session:
            row = await integrations.get_integration(session=session, provider=provider)
        if row is None:
            return None
        state = await loaders.state(row.id)
        profiles = await loaders.profiles(provider)
    finally:
        loaders.close()
    flag = state.enabled if state is not None else None
    return IntegrationChange(
        provider=provider,
        tenant_enabled=rules.tenant_enabled(provider, flag, profiles),
        provisioned=bool(profiles),
    )


async def _integrations(
    context: Context, changes: AsyncIterator[Change]
) -> AsyncGenerator[IntegrationChange, None]:
    async for change in changes:
        provider = change.payload.get("provider")
        if isinstance(provider, str):
            current = await shared_read(
                context,
                change,
                ("integration", provider),
                partial(_integration_state, context, provider),
            )
            if current is not None:
                yield current


def _connection(payload: Any) -> ConnectionChange:
    return ConnectionChange(
        id=uuid.UUID(str(payload["id"])),
        provider=payload["provider"],
        profile=payload["profile"],
        active=bool(payload["active"]),
    )


async def _connection_of(change: Change) -> ConnectionChange:
    return _connection(change.payload)


async def _connections(
    context: Context, changes: AsyncIterator[Change]
) -> AsyncGenerator[ConnectionChange, None]:
    async for change in changes:
        # One object for the workspace's subscribers: its execution is shared too.
        yield await shared_read(context, change, ("connection",), partial(_connection_of, change))


@strawberry.type
class IntegrationSubscriptions:
    @strawberry.subscription(
        description="The workspace's integrations as they change: toggled, installed, saved, or "
        "their connections changed. Signed-in callers with a workspace only."
    )
    async def integration_changed(self, info: Info) -> AsyncGenerator[IntegrationChange, None]:
        changes = await changes_for(info, (INTEGRATION, CONNECTION))
        return _integrations(info.context, changes)

    @strawberry.subscription(
        description="The workspace's connections as they are created or change, whoever "
        "writes them. Signed-in callers with a workspace only."
    )
    async def connection_changed(self, info: Info) -> AsyncGenerator[ConnectionChange, None]:
        changes = await changes_for(info, (CONNECTION,))
        return _connections(info.context, changes)
