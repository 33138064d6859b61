"""Which accounts (workspaces) a credential may act for: a key, its own workspace; a user, the
workspaces they own. Any other account — existing or not — is answered as not found."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from app.errors import AccountNotFound
from app.repositories import accounts
from app.services.auth import Viewer
from resolvers.context import Info


class Account(NamedTuple):
    """An account the caller may act for."""

    id: uuid.UUID
    slug: str


def may_act_for(info: Info, tenant: Any) -> bool:
    viewer = info.context.viewer
    return tenant.id == viewer.tenant_id or (
        viewer.user_id is not None and tenant.owner_id == viewer.user_id
    )


def _own(viewer: Viewer, ref: str) -> bool:
    """Whether ``ref`` names the caller's own workspace, read with the credential: what
    ``accounts.find_tenant`` would find by the same id or slug."""
    if viewer.tenant_id is None or viewer.tenant_slug is None:
        return False
    try:
        return uuid.UUID(ref) == viewer.tenant_id
    except ValueError:
        return ref == viewer.tenant_slug


async def resolve_account(info: Info, ref: str) -> Account:
    viewer = info.context.require_viewer()
    if _own(viewer, ref):  # no second read of what authentication read
        return Account(viewer.tenant_id, viewer.tenant_slug)  # type: ignore[arg-type]
    async with info.context.runtime.db.connect() as connection:
        tenant = await accounts.find_tenant(session=connection, ref=ref)
    if tenant is None or not may_act_for(info, tenant):
        raise AccountNotFound()
    return Account(tenant.id, tenant.slug)


def integration_ref(value: str) -> uuid.UUID | str:
    """``{id}`` is the integration's UUID or its snake_case name."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return value
