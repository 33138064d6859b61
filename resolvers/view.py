"""The /graphql view: Strawberry's ASGI view with our context and orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from resolvers.context import Context, context_for


class GatewayGraphQL(GraphQL[Context, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await context_for(request)

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)
