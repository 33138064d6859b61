"""``viewer``, ``workspace`` and ``account`` at the root."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Self

import strawberry

from app.errors import BadUserInput, IntegrationNotFound
from app.models import AVAILABLE, INSTALLED
from app.repositories import integrations
from resolvers.accounts.access import Account, integration_ref, resolve_account
from resolvers.accounts.apps import AppType
from resolvers.accounts.types import (
    AccountIntegration,
    AccountIntegrationList,
    CategoryCount,
    ViewerType,
    Workspace,
)
from resolvers.context import Info

STATUSES = (AVAILABLE, INSTALLED)


@strawberry.type(name="Account", description="A workspace the caller may act for.")
class AccountType:
    id: uuid.UUID
    slug: str

    @classmethod
    def from_model(cls, tenant: Account) -> Self:
        return cls(id=tenant.id, slug=tenant.slug)

    @strawberry.field(description="Enabled integrations with this account's install state.")
    async def integrations(
        self, info: Info, category: str | None = None, status: str | None = None
    ) -> AccountIntegrationList:
        if status is not None and status not in STATUSES:
            raise BadUserInput("status must be available or installed", field="status")
        async with info.context.runtime.db.read() as session:
            rows = await integrations.account_integrations(
                session=session, tenant_id=self.id, status=status
            )
        counts = Counter(row.category for row, _ in rows)
        nodes = [
            AccountIntegration.build(row, state)
            for row, state in rows
            if category is None or row.category == category
        ]
        return AccountIntegrationList(
            nodes=nodes,
            counts=[CategoryCount(category=c, count=n) for c, n in sorted(counts.items())],
            total=len(nodes),
        )

    @strawberry.field(description="One integration by UUID or snake_case name.")
    async def integration(self, info: Info, id: str) -> AccountIntegration:
        async with info.context.runtime.db.read() as session:
            found = await integrations.account_integration(
                session=session, tenant_id=self.id, ref=integration_ref(id)
            )
        if found is None:
            raise IntegrationNotFound()
        return AccountIntegration.build(*found)


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

    @strawberry.field(
        description="An account (workspace id or slug) the caller may act for; NOT_FOUND for any "
        "other, whether it exists or not."
    )
    async def account(self, info: Info, id: str) -> AccountType:
        return AccountType.from_model(await resolve_account(info, id))

    @strawberry.field(
        description="The calling deployment: the app of the App Key the request is signed "
        "with; null for any other caller (docs/CONTRACT.md §3.11)."
    )
    def deployment(self, info: Info) -> AppType | None:
        """The key's look-up found the app in the key's workspace: its id is enough to start."""
        viewer = info.context.viewer
        if viewer.app_id is None or viewer.tenant_id is None:
            return None
        return AppType(id=viewer.app_id)
