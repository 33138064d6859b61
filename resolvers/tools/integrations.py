"""Which integrations a tool needs (required) and can use (optional), and whether each one is
already enabled: for an app of the workspace, by that app's bindings; otherwise by the workspace's
own state. An ``appId`` that is not a UUID or not one of the workspace's apps counts as no app."""

from __future__ import annotations

import asyncio
import uuid

import strawberry

from app.models import Integration, Release, Tool
from resolvers.context import Info
from resolvers.integrations.types import IntegrationType, workspace_enabled


@strawberry.type(description="An integration in a tool's picker.")
class ToolIntegration:
    integration: IntegrationType
    already_enabled: bool


@strawberry.type(description="A tool's integrations, split into required and optional.")
class ToolIntegrations:
    required: list[ToolIntegration]
    optional: list[ToolIntegration]


EMPTY = ToolIntegrations(required=[], optional=[])


async def tool_integrations(
    info: Info, tool: Tool | None, release: Release | None, app_id: str | None
) -> ToolIntegrations:
    from resolvers.tools.types import RequiresManifest

    if tool is None:
        return EMPTY
    manifest = RequiresManifest.from_stored(release.requires if release else None)
    loaders = info.context.loaders
    # Every tool of a list takes the same two rounds of loads (catalog rows, then workspace
    # state), so each loader sends one statement per round, however long the list.
    catalog, enabled = await asyncio.gather(
        loaders.enabled_integrations(), _already_enabled(info, app_id)
    )
    found = {row.provider: row for row in catalog}
    required = [found[p] for p in dict.fromkeys(manifest.required) if p in found]
    taken = {row.provider for row in required}
    if tool.surface_all_connections:
        optional = [row for row in catalog if row.provider not in taken]
    else:
        optional = [found[p] for p in dict.fromkeys(manifest.optional) if p in found]
        optional = [row for row in optional if row.provider not in taken]
    entries = await asyncio.gather(*(_entry(row, enabled) for row in [*required, *optional]))
    return ToolIntegrations(required=entries[: len(required)], optional=entries[len(required) :])


async def _entry(row: Integration, enabled: _Enabled) -> ToolIntegration:
    return ToolIntegration(
        integration=IntegrationType.from_model(row), already_enabled=await enabled(row)
    )


class _Enabled:
    """Decides ``alreadyEnabled`` for one request: by app bindings, tenant state, or never."""

    def __init__(self, info: Info, app: uuid.UUID | None) -> None:
        self.info = info
        self.app = app

    async def __call__(self, row: Integration) -> bool:
        loaders = self.info.context.loaders
        if self.app is not None:
            return row.provider in await loaders.bound_providers.load(self.app)
        if loaders.tenant_id is None:
            return False
        return await workspace_enabled(loaders, row.id, row.provider)


async def _already_enabled(info: Info, app_id: str | None) -> _Enabled:
    loaders = info.context.loaders
    app_uuid = _as_uuid(app_id)
    if app_uuid is None or loaders.tenant_id is None:
        return _Enabled(info, None)
    app = await loaders.app_by_id.load(app_uuid)
    return _Enabled(info, app.id if app is not None else None)


def _as_uuid(value: str | None) -> uuid.UUID | None:
    if not value or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
