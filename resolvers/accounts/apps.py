"""A workspace's apps with their bound connections, and its keys (docs/CONTRACT.md §3.11)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Self

import strawberry

from app.errors import Forbidden
from app.models import ApiKey, App, Connection, Tool
from resolvers.context import Info
from resolvers.tools.types import ToolType


@strawberry.type(description="A connection bound to an app, with when it was bound.")
class BoundConnection:
    id: uuid.UUID
    provider: str
    profile: str
    active: bool
    label: str | None
    bound_at: dt.datetime

    @classmethod
    def build(cls, connection: Connection, bound_at: dt.datetime) -> Self:
        return cls(
            id=connection.id,
            provider=connection.provider,
            profile=connection.profile,
            active=connection.active,
            label=connection.label,
            bound_at=bound_at,
        )


@strawberry.type(name="App", description="A deployment of a tool in a workspace.")
class AppType:
    id: uuid.UUID
    name: str
    tool: ToolType
    created_at: dt.datetime

    @classmethod
    def build(cls, app: App, tool: Tool) -> Self:
        return cls(
            id=app.id, name=app.name, tool=ToolType.from_model(tool), created_at=app.created_at
        )

    @strawberry.field(
        description="The connections bound to the app, in binding order; a connection of "
        "another workspace is never one."
    )
    async def connections(self, info: Info) -> list[BoundConnection]:
        rows = await info.context.loaders.bound_connections.load(self.id)
        return [BoundConnection.build(connection, at) for connection, at in rows]


@strawberry.type(
    name="ApiKey",
    description="An App Key or a Connection Key as listed: never the key itself, nor its hash.",
)
class ApiKeyType:
    id: uuid.UUID
    kind: str = strawberry.field(description="`app` or `connection`.")
    prefix: str = strawberry.field(description="The key's first 13 characters (`vendo_sk_…`).")
    app_id: uuid.UUID | None
    connection_id: uuid.UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def from_model(cls, row: ApiKey) -> Self:
        return cls(
            id=row.id,
            kind=row.kind,
            prefix=row.prefix,
            app_id=row.app_id,
            connection_id=row.connection_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="A key just minted: `key` is shown this once, never again.")
class MintedKey:
    key: str
    api_key: ApiKeyType


def require_user_workspace(info: Info) -> uuid.UUID:
    """The signed-in user's workspace: apps and keys are a user's business (a session or an
    identity token), never a key's."""
    tenant_id = info.context.require_workspace()
    if info.context.viewer.user_id is None:
        raise Forbidden("Only a signed-in user manages apps and keys")
    return tenant_id
