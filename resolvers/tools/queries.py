"""Tools catalog queries: each shows what the caller may see (resolvers/tools/visibility.py)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.repositories import tools
from app.repositories.tools import ListedTool
from resolvers.context import Info
from resolvers.engine.pagination import Page, decode_cursor, fetch_limit, page_parts, page_size
from resolvers.tools.framing import UsageFraming
from resolvers.tools.integrations import EMPTY, TOOL_INTEGRATIONS, ToolIntegrations
from resolvers.tools.types import USAGE_FRAMING, DeployableTool, ToolType
from resolvers.tools.visibility import is_admin


@strawberry.type(name="ToolConnection", description="A page of the tools catalog.")
class ToolConnection(Page[ToolType]):
    admin: strawberry.Private[bool] = False

    @strawberry.field(description="How many tools the caller can see, over all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.runtime.db.read() as session:
            return await tools.count_tools(session=session, admin=self.admin)


@strawberry.type(name="DeployableToolConnection", description="A page of deployable tools.")
class DeployableToolConnection(Page[DeployableTool]):
    pass


async def _find(info: Info, slug: str) -> ListedTool | None:
    async with info.context.runtime.db.connect() as connection:
        return await tools.get_tool(session=connection, slug=slug, admin=is_admin(info))


@strawberry.type
class ToolQueries:
    @strawberry.field(description="The tools catalog in slug order (every tool for staff).")
    async def tools(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ToolConnection:
        size = page_size(first, maximum=info.context.max_page_size)
        async with info.context.runtime.db.read() as session:
            rows = await tools.list_tools(
                session=session,
                admin=is_admin(info),
                after=decode_cursor(after),
                limit=fetch_limit(size),
            )
        page = page_parts(
            [ToolType.from_model(row) for row in rows], size=size, after=after, key=_slug
        )
        return ToolConnection(**page, admin=is_admin(info))

    @strawberry.field(description="One tool by slug; null when unknown or not visible.")
    async def tool(self, info: Info, slug: str) -> ToolType | None:
        row = await _find(info, slug)
        return ToolType.from_model(row) if row else None

    @strawberry.field(
        description="Tools with an active, deploy-ready release (staff also see disabled, "
        "internal and test tools; nobody sees unreleased ones)."
    )
    async def deployable_tools(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> DeployableToolConnection:
        size = page_size(first, maximum=info.context.max_page_size)
        async with info.context.runtime.db.read() as session:
            rows = await tools.deployable(
                session=session,
                admin=is_admin(info),
                after=decode_cursor(after),
                limit=fetch_limit(size),
            )
        page = page_parts(
            [DeployableTool.build(tool, release) for tool, release in rows],
            size=size,
            after=after,
            key=lambda node: node.tool_slug,
        )
        return DeployableToolConnection(**page)

    @strawberry.field(
        description="A tool's integrations; empty lists for an unknown slug (stale wizard links)."
    )
    async def tool_integrations(
        self, info: Info, slug: str, app_id: str | None = None
    ) -> ToolIntegrations:
        row = await _find(info, slug)
        if row is None:
            return EMPTY
        arguments = {"app_id": app_id}
        found: ToolIntegrations = await TOOL_INTEGRATIONS.resolve(
            ToolType.from_model(row), info.context.loaders, arguments
        )
        return found

    @strawberry.field(description="Credit presets framed as days of usage; null for unknown slugs.")
    async def usage_framing(self, info: Info, slug: str) -> UsageFraming | None:
        row = await _find(info, slug)
        if row is None:
            return None
        framing: UsageFraming = await USAGE_FRAMING.resolve(
            ToolType.from_model(row), info.context.loaders, {}
        )
        return framing


def _slug(node: Any) -> str:
    return str(node.slug)
