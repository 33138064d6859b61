"""The /graphql view: Strawberry's ASGI view with our context, orjson, the offline GraphiQL page
and Apollo's CSRF rule."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from resolvers.context import Context, context_for

PREFLIGHT_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
CSRF_MESSAGE = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please "
    "either specify a 'content-type' header (with a type that is not one of "
    "application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty "
    "value for one of the following headers: x-apollo-operation-name, apollo-require-preflight"
)


@cache
def graphiql_page() -> str:
    """Our GraphiQL page (app/static/graphiql/index.html), read once.

    Unlike Strawberry's stock page it loads its assets from /graphql/static/ (see
    scripts/vendor-graphiql.sh), so it works without network access.
    """
    return (files("app") / "static" / "graphiql" / "index.html").read_text(encoding="utf-8")


def csrf_blocked(scope: Scope) -> bool:
    """Apollo Server's rule: a request a browser could send cross-site without a preflight — no
    content type, or a form/text one — must carry a custom header, which no such request can.
    The GraphiQL page itself (a GET for HTML without a query) is not an operation."""
    headers = Headers(scope=scope)
    if any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return False
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in SIMPLE_CONTENT_TYPES:
        return False
    wants_page = "text/html" in headers.get("accept", "") and b"query" not in scope["query_string"]
    return not (scope["method"] == "GET" and wants_page)


class GatewayGraphQL(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "OPTIONS" and csrf_blocked(scope):
            error = {"message": CSRF_MESSAGE, "extensions": {"code": "BAD_USER_INPUT"}}
            response = Response(
                orjson.dumps({"errors": [error]}), status_code=400, media_type="application/json"
            )
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return await context_for(request)

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())
