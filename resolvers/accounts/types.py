"""Who is asking: the viewer and their workspace."""

from __future__ import annotations

import uuid

import strawberry

from app.auth import Viewer


@strawberry.type(description="A tenant workspace.")
class Workspace:
    id: uuid.UUID
    slug: str


@strawberry.type(name="Viewer", description="The signed-in caller.")
class ViewerType:
    email: str | None
    is_staff: bool
    credential: str = strawberry.field(description="session, app_key, connection_key or jwt.")
    workspace: Workspace | None

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> ViewerType:
        workspace = None
        if viewer.tenant_id is not None and viewer.tenant_slug is not None:
            workspace = Workspace(id=viewer.tenant_id, slug=viewer.tenant_slug)
        return cls(
            email=viewer.email,
            is_staff=viewer.is_staff,
            credential=str(viewer.credential),
            workspace=workspace,
        )
