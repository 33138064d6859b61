"""Who is asking, the workspaces (accounts) they may act for, and install state."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Self

import strawberry

from app.errors import NoWorkspace
from app.models import Integration, Tenant, TenantIntegration
from app.repositories import keys as api_keys
from app.repositories import tools
from app.services.auth import Viewer
from resolvers.accounts.apps import ApiKeyType, AppType, require_user_workspace
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

    # Keys and apps (docs/CONTRACT.md §3.11)

    async def _row(self, info: Info) -> Tenant:
        row = await info.context.loaders.tenant_by_id.load(self.id)
        if row is None:  # deleted since the credential was read
            raise NoWorkspace()
        return row

    @strawberry.field
    async def name(self, info: Info) -> str:
        return (await self._row(info)).name

    @strawberry.field(description="Whether this is the owner's production workspace.")
    async def is_production(self, info: Info) -> bool:
        return (await self._row(info)).is_production

    @strawberry.field
    async def created_at(self, info: Info) -> dt.datetime:
        return (await self._row(info)).created_at

    @strawberry.field(
        description="The workspace's apps, oldest first, each with its tool and bound "
        "connections (a signed-in user's; FORBIDDEN for a key)."
    )
    async def apps(self, info: Info) -> list[AppType]:
        tenant_id = require_user_workspace(info)
        async with info.context.runtime.db.read() as session:
            rows = await tools.workspace_apps(session=session, tenant_id=tenant_id)
        return [AppType.build(app, tool) for app, tool in rows]

    @strawberry.field(
        description="The workspace's App Keys and Connection Keys, revoked and expired ones "
        "too, oldest first (a signed-in user's; FORBIDDEN for a key)."
    )
    async def keys(self, info: Info) -> list[ApiKeyType]:
        tenant_id = require_user_workspace(info)
        async with info.context.runtime.db.read() as session:
            rows = await api_keys.workspace_keys(session=session, tenant_id=tenant_id)
        return [ApiKeyType.from_model(row) for row in rows]


@strawberry.type(name="Viewer", description="The signed-in caller.")
class ViewerType:
    user_id: uuid.UUID | None = strawberry.field(description="The user; null for a key.")
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
            user_id=viewer.user_id,
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
