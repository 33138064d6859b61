"""Which integrations a tool needs (required) and can use (optional), and whether each one is
already enabled: for an app of the workspace, by that app's bindings; otherwise by the workspace's
own state. An ``appId`` that is not a UUID or not one of the workspace's apps counts as no app.

A prefetched field (resolvers/engine/prefetch.py): for a list of tools, the active releases, the
catalog and what decides ``alreadyEnabled`` are loaded once, then every tool's entries are built
synchronously."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import strawberry

from app.models import Integration, Release
from resolvers.engine.prefetch import combine, prefetched
from resolvers.integrations.types import IntegrationType, enabled_now
from resolvers.loaders import CATALOG, PROFILES, STATES, Loaders
from resolvers.tools.manifest import RequiresManifest


@strawberry.type(description="An integration in a tool's picker.")
class ToolIntegration:
    integration: IntegrationType
    already_enabled: bool


@strawberry.type(description="A tool's integrations, split into required and optional.")
class ToolIntegrations:
    required: list[ToolIntegration]
    optional: list[ToolIntegration]


EMPTY = ToolIntegrations(required=[], optional=[])


def _ready(loaders: Loaders, roots: Sequence[Any], arguments: Mapping[str, Any]) -> Any:
    """``roots``: ToolType objects."""
    return combine(
        loaders.keyed_ready(loaders.active_release, [root.database_id for root in roots]),
        loaders.ready(CATALOG),
        _enabled_ready(loaders, arguments.get("app_id")),
    )


def _get(root: Any, loaders: Loaders, arguments: Mapping[str, Any]) -> ToolIntegrations:
    release: Release | None = loaders.keyed_now(loaders.active_release, root.database_id)
    manifest = RequiresManifest.from_stored(release.requires if release else None)
    catalog = loaders.catalog_now()
    found = catalog.enabled
    required = [found[p] for p in dict.fromkeys(manifest.required) if p in found]
    taken = {row.provider for row in required}
    if root.surface_all_connections:
        optional = [row for provider, row in found.items() if provider not in taken]
    else:
        optional = [found[p] for p in dict.fromkeys(manifest.optional) if p in found]
        optional = [row for row in optional if row.provider not in taken]
    enabled = _enabled(loaders, arguments.get("app_id"))
    entries = [
        ToolIntegration(
            integration=catalog.view(row, IntegrationType.from_model),
            already_enabled=enabled(row),
        )
        for row in [*required, *optional]
    ]
    return ToolIntegrations(required=entries[: len(required)], optional=entries[len(required) :])


TOOL_INTEGRATIONS = prefetched(_ready, _get)


def _enabled_ready(loaders: Loaders, app_id: str | None) -> Awaitable[Any] | None:
    if loaders.tenant_id is None:
        return None
    app_uuid = _as_uuid(app_id)
    if app_uuid is None:
        return loaders.ready(STATES, PROFILES)
    if (waiting := loaders.keyed_ready(loaders.app_by_id, [app_uuid])) is not None:
        return _then(waiting, lambda: _enabled_ready(loaders, app_id))
    app = loaders.keyed_now(loaders.app_by_id, app_uuid)
    if app is None:
        return loaders.ready(STATES, PROFILES)
    return loaders.keyed_ready(loaders.bound_providers, [app.id])


async def _then(waiting: Awaitable[Any], after: Callable[[], Awaitable[Any] | None]) -> None:
    await waiting
    if (more := after()) is not None:
        await more


def _enabled(loaders: Loaders, app_id: str | None) -> Callable[[Integration], bool]:
    """How ``alreadyEnabled`` is decided (``_enabled_ready`` first): by the app's bindings, by
    the workspace's state, or never (anonymously)."""
    if loaders.tenant_id is None:
        return lambda row: False
    app_uuid = _as_uuid(app_id)
    app = loaders.keyed_now(loaders.app_by_id, app_uuid) if app_uuid is not None else None
    if app is not None:
        bound = loaders.keyed_now(loaders.bound_providers, app.id)
        return lambda row: row.provider in bound
    return lambda row: enabled_now(loaders, row.id, row.provider)


def _as_uuid(value: str | None) -> uuid.UUID | None:
    if not value or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
