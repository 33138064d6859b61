"""``Tool`` with its active release, and the deploy wizard's view of it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from app.models import Release, Tool
from app.models.tools import marketing_internal
from resolvers.context import Info
from resolvers.engine.prefetch import combine, prefetched
from resolvers.engine.scalars import uuid_text
from resolvers.loaders import Loaders
from resolvers.tools.framing import UsageFraming, frame
from resolvers.tools.integrations import TOOL_INTEGRATIONS, ToolIntegrations
from resolvers.tools.manifest import RequiresManifest
from resolvers.tools.visibility import tool_visible
from resolvers.tools.wizard import WizardLayout, parse_wizard_layout


@strawberry.type(name="Release", description="A version of a tool.")
class ReleaseType:
    version: str
    deploy_ready: bool
    requires: RequiresManifest
    wizard_inputs: list[JSON] = strawberry.field(description="The wizard's inputs; [] when none.")
    wizard_layout: WizardLayout | None = strawberry.field(
        description="The validated wizard layout; null when absent or invalid."
    )
    auth_mode: str | None
    source_repo: str | None
    icon_url: str | None
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: Release) -> Self:
        inputs = row.wizard_inputs if isinstance(row.wizard_inputs, list) else []
        return cls(
            version=row.version,
            deploy_ready=row.deploy_ready,
            requires=RequiresManifest.from_stored(row.requires),
            wizard_inputs=cast(
                "list[JSON]", [entry for entry in inputs if isinstance(entry, dict)]
            ),
            wizard_layout=parse_wizard_layout(row.wizard_layout),
            auth_mode=row.auth_mode,
            source_repo=row.source_repo,
            icon_url=row.icon_url,
            created_at=row.created_at,
        )


def _framing_ready(loaders: Loaders, roots: Sequence[Any], arguments: Mapping[str, Any]) -> Any:
    return combine(
        loaders.keyed_ready(loaders.tool_spend, [root.database_id for root in roots]),
        loaders.keyed_ready(loaders.category_fallback, [root.category for root in roots]),
    )


def _framing_get(root: Any, loaders: Loaders, arguments: Mapping[str, Any]) -> UsageFraming:
    total, first = loaders.keyed_now(loaders.tool_spend, root.database_id)
    return frame(
        total_micros=total,
        first_event_at=first,
        fallback_micros=loaders.keyed_now(loaders.category_fallback, root.category),
        now=loaders.now,
    )


USAGE_FRAMING = prefetched(_framing_ready, _framing_get)


@strawberry.type(name="Tool", description="A deployable tool of the apps catalog.")
class ToolType(relay.Node):
    node_id: relay.NodeID[str]
    database_id: uuid.UUID
    slug: str
    name: str
    description: str
    category: str
    enabled: bool
    internal: bool = strawberry.field(description="`marketing.internal`: hidden from non-staff.")
    surface_all_connections: bool
    marketing: JSON
    created_at: dt.datetime
    updated_at: dt.datetime
    row: strawberry.Private[Tool]

    @classmethod
    def from_model(cls, row: Tool) -> Self:
        return cls(
            node_id=uuid_text(row.id),
            database_id=row.id,
            slug=row.slug,
            name=row.name,
            description=row.description,
            category=row.category,
            enabled=row.enabled,
            internal=marketing_internal(row.marketing),
            surface_all_connections=row.surface_all_connections,
            marketing=JSON(dict(row.marketing)),
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = []
        for node_id in node_ids:
            row = await info.context.loaders.tool_by_id.load(uuid.UUID(node_id))
            found.append(cls.from_model(row) if row and tool_visible(info, row) else None)
        return found

    # Prefetched (resolvers/engine/prefetch.py): a list of tools loads these once for all its tools.

    @strawberry.field(description="The active release; null when the tool is unreleased.")
    @prefetched(
        lambda loaders, roots, _: loaders.keyed_ready(
            loaders.active_release, [root.database_id for root in roots]
        ),
        lambda root, loaders, _: _release_view(
            loaders, loaders.keyed_now(loaders.active_release, root.database_id)
        ),
    )
    async def active_release(self, info: Info) -> ReleaseType | None: ...

    @strawberry.field(
        description="Integrations the tool requires and can use. With `appId` (one of the "
        "workspace's apps), `alreadyEnabled` reflects that app's bindings."
    )
    @TOOL_INTEGRATIONS
    # The stubs' bodies are never run: @TOOL_INTEGRATIONS and @USAGE_FRAMING replace them.
    async def integrations(self, info: Info, app_id: str | None = None) -> ToolIntegrations: ...  # type: ignore[empty-body]

    @strawberry.field(description="Credit presets framed as days of this tool's usage.")
    @USAGE_FRAMING
    async def usage_framing(self, info: Info) -> UsageFraming: ...  # type: ignore[empty-body]


def _release_view(loaders: Loaders, release: Release | None) -> ReleaseType | None:
    return ReleaseType.from_model(release) if release is not None else None


@strawberry.type(description="A tool as the deploy wizard's picker shows it.")
class DeployableTool:
    tool_slug: str
    tool_name: str
    description: str
    icon_url: str | None
    auth_mode: str | None
    source_repo: str | None
    version: str
    wizard_inputs: list[JSON]
    wizard_layout: WizardLayout | None
    tool: ToolType

    @classmethod
    def build(cls, tool: Tool, release: Release) -> Self:
        view = ReleaseType.from_model(release)
        return cls(
            tool_slug=tool.slug,
            tool_name=tool.name,
            description=tool.description,
            icon_url=release.icon_url,
            auth_mode=release.auth_mode,
            source_repo=release.source_repo,
            version=release.version,
            wizard_inputs=view.wizard_inputs,
            wizard_layout=view.wizard_layout,
            tool=ToolType.from_model(tool),
        )
