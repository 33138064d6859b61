"""Who is asking, the workspaces (accounts) they may act for, and install state."""

from __future__ import annotations

import uuid
from typing import Self

import strawberry

from app.models import Integration, TenantIntegration
from app.services.auth import Viewer
from resolvers.context import Info
from resolvers.integrations.types import Installation, IntegrationType
from resolvers.wallet.types import Wallet, workspace_wallet


@strawberry.type(description="A tenant workspace.")
class Workspace:
    id: uuid.UUID
    slug: str

    @strawberry.field(description="Credits, spend and balance (the credits ledger).")
    async def wallet(self, info: Info) -> Wallet:
        return await workspace_wallet(self.id, info)


@strawberry.type(name="Viewer", description="The signed-in caller.")
class ViewerType:
    email: str | None
    is_staff: bool
    credential: str = strawberry.field(description="session, app_key, connection_key or jwt.")
    workspace: Workspace | None

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> Self:
        workspace = None
        if viewer.tenant_id is not None and viewer.tenant_slug is not None:
            workspace = Workspace(id=viewer.tenant_id, slug=viewer.tenant_slug)
        return cls(
            email=viewer.email,
            is_staff=viewer.is_staff,
            credential=str(viewer.credential),
            workspace=workspace,
        )


@strawberry.type(description="An integration of an account's catalog with its install state.")
class AccountIntegration:
    integration: IntegrationType
    installation: Installation

    @classmethod
    def build(cls, integration: Integration, state: TenantIntegration | None) -> Self:
        return cls(
            integration=IntegrationType.from_model(integration),
            installation=Installation.from_state(state),
        )


@strawberry.type(description="How many integrations of a category the list holds.")
class CategoryCount:
    category: str
    count: int


@strawberry.type(description="An account's integrations, filtered, with per-category counts.")
class AccountIntegrationList:
    nodes: list[AccountIntegration]
    counts: list[CategoryCount] = strawberry.field(
        description="Per category, over the status filter only (not the category filter)."
    )
    total: int
