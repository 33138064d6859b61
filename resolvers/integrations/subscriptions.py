"""``integrationChanged`` and ``connectionChanged``: the workspace's integrations and connections
as they change — toggled or installed here, saved into the catalog, or written by other systems
(connection rows: the triggers of migration 0003). Each change is read afresh for the
subscriber's workspace, so what it receives is what a query would answer now."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import strawberry

from app.changes import CONNECTION, INTEGRATION, Change
from app.models import utcnow
from app.repositories import integrations
from resolvers.context import Context, Info
from resolvers.engine.subscriptions import changes_for
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


# One read per change and workspace, shared by the workspace's subscribers on this worker (a
# change fanned out to a thousand of them is one read, not a thousand): (database, change id,
# workspace, provider) → the read, as a task every subscriber awaits.
_READS: dict[tuple[int, int, uuid.UUID | None, str], asyncio.Task[IntegrationChange | None]] = {}
MOST_READS_KEPT = 1024


def _shared_read(
    context: Context, change: Change, provider: str
) -> asyncio.Task[IntegrationChange | None]:
    key = (id(context.runtime.db), change.id, context.viewer.tenant_id, provider)
    found = _READS.get(key)
    if found is None or (found.done() and (found.cancelled() or found.exception() is not None)):
        if len(_READS) >= MOST_READS_KEPT:
            _READS.clear()
        found = _READS[key] = asyncio.ensure_future(_integration_state(context, provider))
    return found


async def _integrations(
    context: Context, changes: AsyncIterator[Change]
) -> AsyncGenerator[IntegrationChange, None]:
    async for change in changes:
        provider = change.payload.get("provider")
        if isinstance(provider, str):
            current = await asyncio.shield(_shared_read(context, change, provider))
            if current is not None:
                yield current


def _connection(payload: Any) -> ConnectionChange:
    return ConnectionChange(
        id=uuid.UUID(str(payload["id"])),
        provider=payload["provider"],
        profile=payload["profile"],
        active=bool(payload["active"]),
    )


async def _connections(changes: AsyncIterator[Change]) -> AsyncGenerator[ConnectionChange, None]:
    async for change in changes:
        yield _connection(change.payload)


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
        return _connections(changes)
