"""A workspace's apps with their bound connections, and its keys (docs/CONTRACT.md §3.11)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Self

import strawberry

from app.errors import Forbidden, NotFound
from app.models import ApiKey, App, Tool
from app.repositories.tools import BoundRow
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
    def build(cls, row: BoundRow) -> Self:
        return cls(
            id=row.id,
            provider=row.provider,
            profile=row.profile,
            active=row.active,
            label=row.label,
            bound_at=row.bound_at,
        )


@strawberry.type(name="App", description="A deployment of a tool in a workspace.")
class AppType:
    id: uuid.UUID
    # The app and its tool when read with it (a listing); else read on first use (the calling
    # deployment, known by its key's app id: its connections alone need no read of the app).
    rows: strawberry.Private[tuple[App, Tool] | None] = None

    @classmethod
    def build(cls, app: App, tool: Tool) -> Self:
        return cls(id=app.id, rows=(app, tool))

    async def _rows(self, info: Info) -> tuple[App, Tool]:
        if self.rows is None:
            self.rows = await info.context.loaders.app_with_tool.load(self.id)
            if self.rows is None:  # deleted since the key was read
                raise NotFound()
        return self.rows

    @strawberry.field
    async def name(self, info: Info) -> str:
        return (await self._rows(info))[0].name

    @strawberry.field
    async def tool(self, info: Info) -> ToolType:
        return ToolType.from_model((await self._rows(info))[1])

    @strawberry.field
    async def created_at(self, info: Info) -> dt.datetime:
        return (await self._rows(info))[0].created_at

    @strawberry.field(
        description="The connections bound to the app, in binding order; a connection of "
        "another workspace is never one."
    )
    async def connections(self, info: Info) -> list[BoundConnection]:
        rows = await info.context.loaders.bound_connections.load(self.id)
        return [BoundConnection.build(row) for row in rows]


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
