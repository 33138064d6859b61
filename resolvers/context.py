"""The per-request context, built the same way for /graphql and for the legacy routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, TypeAlias

import strawberry
from starlette.requests import HTTPConnection

from app.errors import NoWorkspace, Unauthenticated
from app.models import utcnow
from app.runtime import Runtime
from app.services.auth import (
    ALL_CREDENTIALS,
    Credential,
    Viewer,
    authenticate,
    presented_credentials,
)
from app.web import request_log
from app.web.scope import headers_of
from resolvers.loaders import Loaders

if TYPE_CHECKING:
    import uuid


@dataclass
class Context:
    runtime: Runtime
    viewer: Viewer
    client_ip: str
    request: HTTPConnection | None = None
    now: datetime = field(default_factory=utcnow)
    # The cap on `first`; None for the gateway's own trusted operations (the legacy routes).
    max_page_size: int | None = 100
    # The gateway's own registered operations skip the abuse protections.
    trusted: bool = False

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(
            db=self.runtime.db,
            tenant_id=self.viewer.tenant_id,
            now=self.now,
            snapshots=self.runtime.snapshots,
        )

    def close(self) -> None:
        """The request is answered: drop what its loaders hold (see ``Loaders.close``)."""
        if "loaders" in self.__dict__:
            self.loaders.close()

    def require_viewer(self) -> Viewer:
        if not self.viewer.is_authenticated:
            raise Unauthenticated()
        return self.viewer

    def require_workspace(self) -> uuid.UUID:
        viewer = self.require_viewer()
        if viewer.tenant_id is None:
            raise NoWorkspace()
        return viewer.tenant_id


Info: TypeAlias = strawberry.Info[Context, None]


def client_ip(connection: HTTPConnection) -> str:
    client = connection.scope.get("client")  # (host, port), as ``connection.client`` reads it
    return str(client[0]) if client else "unknown"


async def context_for(
    connection: HTTPConnection,
    *,
    accept: frozenset[Credential] = ALL_CREDENTIALS,
    bearer_headers: tuple[str, ...] = ("authorization",),
) -> Context:
    runtime: Runtime = connection.app.state.runtime
    headers = headers_of(connection.scope)
    cookies = connection.cookies if "cookie" in headers else {}
    presented = presented_credentials(headers, cookies, bearer_headers=bearer_headers)
    viewer = await authenticate(
        presented,
        accept=accept,
        connect=runtime.db.connect,
        settings=runtime.settings,
        jwks=runtime.jwks,
    )
    if (info := request_log.current()) is not None and viewer.tenant_id is not None:
        info.tenant_id = str(viewer.tenant_id)
    return Context(
        runtime=runtime,
        viewer=viewer,
        client_ip=client_ip(connection),
        request=connection,
        max_page_size=runtime.settings.graphql_max_page_size,
    )
