"""Which accounts (workspaces) a credential may act for: a key, its own workspace; a user, the
workspaces they own. Any other account — existing or not — is answered as not found."""

from __future__ import annotations

import uuid

from app.errors import AccountNotFound
from app.models import Tenant
from app.repositories import accounts
from resolvers.context import Info


def may_act_for(info: Info, tenant: Tenant) -> bool:
    viewer = info.context.viewer
    return tenant.id == viewer.tenant_id or (
        viewer.user_id is not None and tenant.owner_id == viewer.user_id
    )


async def resolve_account(info: Info, ref: str) -> Tenant:
    info.context.require_viewer()
    async with info.context.runtime.db.read() as session:
        tenant = await accounts.find_tenant(session=session, ref=ref)
    if tenant is None or not may_act_for(info, tenant):
        raise AccountNotFound()
    return tenant


def integration_ref(value: str) -> uuid.UUID | str:
    """``{id}`` is the integration's UUID or its snake_case name."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return value
