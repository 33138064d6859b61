"""Mint and revoke Connection Keys (docs/CONTRACT.md §3.11)."""

from __future__ import annotations

import uuid

import strawberry

from app.errors import ConnectionNotFound, KeyNotFound
from app.models import CONNECTION_KEY, utcnow
from app.repositories import keys
from app.services.auth import mint_api_key
from resolvers.accounts.apps import ApiKeyType, MintedKey, require_user_workspace
from resolvers.context import Info


@strawberry.type
class KeyMutations:
    @strawberry.mutation(
        description="Mint a Connection Key for one of the workspace's connections: the key is "
        "in the answer this once, only its hash is stored. NOT_FOUND for a connection of "
        "another workspace."
    )
    async def create_connection_key(self, info: Info, connection_id: uuid.UUID) -> MintedKey:
        tenant_id = require_user_workspace(info)
        async with info.context.runtime.db.write() as session, session.begin():
            minted = await mint_api_key(
                db=session, kind=CONNECTION_KEY, scope_id=connection_id, tenant_id=tenant_id
            )
        if minted is None:
            raise ConnectionNotFound()
        key, row = minted
        return MintedKey(key=key, api_key=ApiKeyType.from_model(row))

    @strawberry.mutation(
        description="Revoke one of the workspace's keys (App or Connection Key) at once; "
        "revoking it again changes nothing and answers the same key. NOT_FOUND for a key of "
        "another workspace."
    )
    async def revoke_api_key(self, info: Info, id: uuid.UUID) -> ApiKeyType:
        tenant_id = require_user_workspace(info)
        runtime = info.context.runtime
        now = utcnow()
        async with runtime.db.write() as session, session.begin():
            row = await keys.revoke_workspace_key(
                session=session, tenant_id=tenant_id, key_id=id, now=now
            )
            if row is None:
                raise KeyNotFound()
            if row.revoked_at == now:  # revoked now, not before: published at commit
                await runtime.changes.record(
                    session,
                    **keys.key_revoked(key_id=row.id, tenant_id=tenant_id, app_id=row.app_id),
                )
            found = ApiKeyType.from_model(row)
        return found
