"""Who sees which tool: staff see every tool; everyone else sees enabled tools that are neither
``marketing.internal`` nor ``vendo-test-`` ones."""

from __future__ import annotations

from app.models import Tool
from app.models.tools import marketing_internal
from app.repositories import tools
from resolvers.context import Info


def is_admin(info: Info) -> bool:
    return info.context.viewer.is_staff


def tool_visible(info: Info, row: Tool) -> bool:
    internal = marketing_internal(row.marketing)
    listed = row.enabled and not internal and not row.slug.startswith(tools.TEST_TOOL_PREFIX)
    return listed or is_admin(info)
