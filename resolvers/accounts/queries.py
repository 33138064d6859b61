"""``viewer`` and ``workspace`` at the root."""

from __future__ import annotations

import strawberry

from resolvers.accounts.types import ViewerType, Workspace
from resolvers.context import Info


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in caller; null when anonymous.")
    def viewer(self, info: Info) -> ViewerType | None:
        viewer = info.context.viewer
        return ViewerType.from_viewer(viewer) if viewer.is_authenticated else None

    @strawberry.field(
        description="The caller's production workspace: null when anonymous, NO_WORKSPACE when "
        "signed in without one."
    )
    def workspace(self, info: Info) -> Workspace | None:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            return None
        info.context.require_workspace()
        return ViewerType.from_viewer(viewer).workspace
