"""The /graphql view: Strawberry's ASGI view with our context, orjson, the offline GraphiQL page
and Apollo's CSRF rule."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any, cast
from urllib.parse import parse_qs

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types.unset import UNSET, UnsetType

from app.errors import (
    CrossSiteRequestRefused,
    DomainError,
    MalformedRequest,
    Unavailable,
    UnparsableJson,
    classify,
)
from app.web import request_log
from app.web.middleware import BodyLimit, CorsPolicy, replay_body, with_headers
from app.web.scope import headers_of
from resolvers.context import Context, context_for
from resolvers.engine.speedups.lane import SmallLane
from resolvers.engine.subscriptions import SocketContext, authenticate_socket

PREFLIGHT_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
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
    headers = headers_of(scope)
    if any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return False
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in SIMPLE_CONTENT_TYPES:
        return False
    has_query = "query" in parse_qs(scope["query_string"].decode("latin-1"))
    wants_page = "text/html" in headers.get("accept", "") and not has_query
    return not (scope["method"] == "GET" and wants_page)


def errors_response(error: DomainError) -> Response:
    """A GraphQL-shaped error answered before any operation ran, with the error's status."""
    body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
    return Response(orjson.dumps(body), status_code=error.status, media_type="application/json")


async def answer_unavailable(error: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    """An error raised around an operation, e.g. the database down while authenticating: 503 in
    GraphQL's error shape when it says the gateway is unavailable; anything else is raised on."""
    answer = classify(error)
    if not isinstance(answer, Unavailable):
        raise error
    await errors_response(answer)(scope, receive, send)


CONTEXT_KEY = "vendo.context"
CLOSER_KEY = "vendo.closer"
# RFC 6455 1001 (going away): the worker is stopping; clients reconnect (docs/decisions/0159).
GOING_AWAY = 1001
GOING_AWAY_REASON = "Server shutting down"


async def close_when_draining(socket: WebSocket, draining: asyncio.Event) -> None:
    """Close ``socket`` with 1001 once the worker starts to stop; Strawberry then ends its
    operations as for any close."""
    await draining.wait()
    if socket.application_state is not WebSocketState.DISCONNECTED:
        with contextlib.suppress(Exception):  # the client went away meanwhile
            await socket.close(code=GOING_AWAY, reason=GOING_AWAY_REASON)


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go in text frames: Strawberry sends bytes as binary frames
    when ``encode_json`` returns bytes (ours does, for HTTP), which browsers' clients refuse."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class GatewayGraphQL(GraphQL[Context, None]):
    websocket_adapter_class = TextFrames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (info := request_log.current()) is not None:
            info.route = "/graphql"
        if scope["type"] == "http" and scope["method"] != "OPTIONS" and csrf_blocked(scope):
            await errors_response(CrossSiteRequestRefused())(scope, receive, send)
            return
        try:
            if scope["type"] == "websocket":
                with scope["app"].state.runtime.draining.stream():
                    await super().__call__(scope, receive, send)
                return
            await super().__call__(scope, receive, send)
        except Exception as error:
            await answer_unavailable(error, scope, receive, send)
        finally:
            if (context := scope.pop(CONTEXT_KEY, None)) is not None:
                context.close()
            if (closer := scope.pop(CLOSER_KEY, None)) is not None:
                closer.cancel()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = await context_for(request)
        if isinstance(request, WebSocket):
            context = SocketContext.of(context)
            closer = close_when_draining(request, context.runtime.draining.started)
            request.scope[CLOSER_KEY] = asyncio.create_task(closer)
        request.scope[CONTEXT_KEY] = context  # closed once the response is sent
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """``connection_init``: its ``Authorization`` (if any) must name a valid credential."""
        if isinstance(context, SocketContext) and not await authenticate_socket(context):
            raise ConnectionRejectionError()
        return cast(UnsetType, UNSET)  # strawberry types UNSET as Any

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """orjson, which also refuses bytes that are not UTF-8; and the request shape checked
        before Strawberry reads it: an object, or a list of objects for a batch. (Variables and
        extensions in a GET pass here too; Strawberry then requires them to be objects.)"""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(UnparsableJson.status, UnparsableJson.default_message) from error
        if isinstance(value, dict):
            return value
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return value
        raise HTTPException(MalformedRequest.status, MalformedRequest.default_message)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Only for a browser asking for a page: Strawberry's rule also answers ``*/*``, which
        would hand GraphiQL to a client sending a persisted query's hash in a GET."""
        params = request.query_params
        return (
            request.method == "GET"
            and params.get("query") is None
            and params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())


class LaneDoor:
    """Pure ASGI, just inside the request log (beside ``CachedAnswers``): a POST to /graphql
    that the small lane answers (resolvers/engine/speedups/lane.py) is answered here, without
    the body limit's replay, the three CORS policies, the router and the view in between — on
    ``{ __typename }`` they cost as much as executing it (docs/PERFORMANCE.md).

    The body is read under the same limits, by the same code (``BodyLimit.read``: 413 and 408
    answered as the stack answers them), and the response carries the headers /graphql's CORS
    policy gives the request's ``Origin``. Anything the lane does not take — a document not
    seen yet, a GET, a batch, another content type — goes on down the stack with its body
    replayed, and is answered there as before (tests/resolvers/test_small_lane.py compares
    both answers, headers included)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        lane: SmallLane,
        path: str,
        body: dict[str, Any],
        cors: CorsPolicy,
    ) -> None:
        self.app = app
        self.lane = lane
        self.path = path
        self.limit = BodyLimit(app, **body)
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or not self.lane.eligible(scope):
            await self.app(scope, receive, send)
            return
        if (info := request_log.current()) is not None:
            info.route = self.path
        body = await self.limit.read(scope, receive, send)
        if body is None:
            return  # refused (413, 408), or the client went away
        request = self.lane.take(body)
        if request is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        # No CSRF check: the lane takes application/json alone, which a browser sends cross-site
        # only after a preflight.
        if (origin := headers_of(scope).get("origin")) is not None:
            send = with_headers(send, self.cors.allow(origin))
        context = None
        try:
            context = await context_for(Request(scope, receive))
            answer = await self.lane.answer(request, context)
        except Exception as error:
            await answer_unavailable(error, scope, receive, send)
            return
        finally:
            if context is not None:
                context.close()
        await Response(answer, media_type="application/json")(scope, receive, send)
