"""The /graphql view: Strawberry's ASGI view with our context and orjson."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from resolvers.context import Context, context_for


@cache
def graphiql_page() -> str:
    """Our GraphiQL page (app/static/graphiql/index.html), read once.

    Unlike Strawberry's stock page it loads its assets from /graphql/static/ (see
    scripts/vendor-graphiql.sh), so it works without network access.
    """
    return (files("app") / "static" / "graphiql" / "index.html").read_text(encoding="utf-8")


class GatewayGraphQL(GraphQL[Context, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await context_for(request)

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())
