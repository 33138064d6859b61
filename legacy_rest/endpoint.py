"""One generic handler for every legacy route: credentials → variables → schema.execute → shape.

No legacy route touches the database: everything it answers comes from the GraphQL operation.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import orjson
import strawberry
from graphql import ExecutionResult, GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.cache.memo import remembered
from app.errors import (
    BadUserInput,
    DomainError,
    Internal,
    RateLimited,
    catalogued,
    classify,
)
from app.services.auth import ANONYMOUS, SESSION_COOKIE, Credential
from app.web import request_log
from legacy_rest import cookie_writes
from legacy_rest.documents import load_operation, operation_name
from legacy_rest.envelopes import dumps
from legacy_rest.legacy_route import LegacyRoute, RestInput
from resolvers.context import Context, client_ip, context_for
from resolvers.engine.speedups.lane import Request as LaneRequest
from resolvers.schema import GatewaySchema

Result = ExecutionResult | strawberry.types.ExecutionResult

log = logging.getLogger("vendo.legacy_rest")
DETAIL_KEYS = ("errors",)  # error extensions a REST body carries beside its message
SESSION_COOKIE_BYTES = SESSION_COOKIE.encode("latin-1")
MEMO_KEYS = 1024  # cache keys remembered per route (distinct paths and query strings)


class LegacyEndpoint:
    def __init__(
        self,
        route: LegacyRoute,
        schema: strawberry.Schema,
        *,
        allowed_origins: frozenset[str] = frozenset(),
    ) -> None:
        self.route = route
        self.schema = schema
        self.allowed_origins = allowed_origins  # besides the request's own, for cookie writes
        self.document = load_operation(route.operation)
        self.operation_name = operation_name(self.document)
        self.name = f"{route.method} {route.path}"
        # What the cached-answer path reads on every hit, worked out once.
        rule = route.cache
        self._anonymous_tag = rule.tag if rule is not None and rule.applies_to(ANONYMOUS) else None
        self._reads_cookie = Credential.SESSION in route.auth.accept
        self._cookie_write = route.cookie_write
        self._bearer_names = (
            frozenset(name.lower().encode("latin-1") for name in route.auth.bearer_headers)
            if route.auth.accept
            else frozenset()
        )  # a route that reads no credential reads none
        self._cache_key_of = remembered(self._hash_key, MEMO_KEYS)
        self._ok_headers: tuple[bytes | None, list[tuple[bytes, bytes]]] = (None, [])

    async def handle(self, request: Request) -> Response:
        try:
            response = await self._handle(request)
        except Exception as error:
            answer = classify(error)
            if isinstance(answer, Internal) and answer is not error:
                log.exception("legacy route %s %s failed", self.route.method, self.route.path)
            response = self.error(answer)
        if response.status_code >= 400 and self.route.fallback is not None:
            return Response(dumps(self.route.fallback), media_type="application/json")
        return response

    async def _handle(self, request: Request) -> Response:
        route = self.route
        self._name_request()
        early = self.anonymous_hit(request.scope)
        if early is not None:
            return early
        if route.ip_limit is not None:
            await self._spend_ip_limit(request)
        auth = route.auth
        if self._cookie_write:
            refused = cookie_writes.refusal(
                request, bearer_headers=auth.bearer_headers, allowed_origins=self.allowed_origins
            )
            if refused is not None:
                return route.envelope.render(refused)
        auth.check_prefix(request.headers)
        context = await context_for(request, accept=auth.accept, bearer_headers=auth.bearer_headers)
        context.max_page_size = None  # the gateway's own operation: whole lists
        context.trusted = True
        if auth.required and not context.viewer.is_authenticated:
            raise auth.refusal(request.headers)
        try:
            return await self._answer(request, context)
        finally:
            context.close()

    async def _spend_ip_limit(self, request: Request) -> None:
        assert self.route.ip_limit is not None
        limits = request.app.state.runtime.limits
        if not await limits.hit(self.route.ip_limit, client_ip(request)):
            raise RateLimited()

    async def _answer(self, request: Request, context: Context) -> Response:
        route = self.route
        cache = context.runtime.cache
        rule = route.cache
        key = self._cache_key(request.scope) if rule and rule.applies_to(context.viewer) else None
        if key is not None and rule is not None:
            hit = await cache.get(rule.tag, key)
            if hit is not None:
                return self.ok(hit)
        body = await read_json(request) if route.reads_body else None
        variables = route.variables(
            RestInput(
                path=request.path_params,
                query=request.query_params,
                headers=request.headers,
                body=body,
                viewer=context.viewer,
            )
        )
        result = await self._execute(variables, context)
        if result.errors:
            return self.error_from(result.errors)
        shaped = route.shape(result.data or {})
        payload = dumps(shaped)
        if key is not None and rule is not None:
            await cache.set(rule.tag, key, payload, ttl=rule.ttl)
        if route.headers_for is not None:
            return self.ok(payload, route.headers_for(shaped, context.runtime.settings))
        return self.ok(payload)

    async def _execute(self, variables: dict[str, Any], context: Context) -> Result:
        """The route's operation: on the small lane when it is on (the operation parsed and
        validated once, then executed as the lane executes, without the per-request extension
        machinery: a legacy route then costs what its GraphQL twin costs); else, or when the
        lane is off (``VENDO_SPEEDUPS=false``, tracing, the allowlist), ``Schema.execute``."""
        lane = self.schema.lane if isinstance(self.schema, GatewaySchema) else None
        document = lane.trusted(self.document) if lane is not None else None
        if lane is not None and document is not None:
            return await lane.execute(
                LaneRequest(document, self.operation_name, variables), context
            )
        return await self.schema.execute(
            self.document,
            variable_values=variables,
            context_value=context,
            operation_name=self.operation_name,
        )

    def _name_request(self) -> None:
        if (info := request_log.current()) is not None:
            info.route = self.name
            info.operation = self.operation_name

    @property
    def anonymous_cache(self) -> bool:
        """Whether anonymous answers of this route are kept in the response cache."""
        return self._anonymous_tag is not None

    def anonymous_payload(self, scope: Scope) -> bytes | None:
        """The hot path: a request with no credential this route reads is anonymous without
        asking the database, so a current local copy of the answer can go out at once."""
        tag = self._anonymous_tag
        if tag is None or self._has_credentials(scope):
            return None
        payload: bytes | None = scope["app"].state.runtime.cache.peek(tag, self._cache_key(scope))
        return payload

    def anonymous_hit(self, scope: Scope) -> Response | None:
        payload = self.anonymous_payload(scope)
        return self.ok(payload) if payload is not None else None

    def _has_credentials(self, scope: Scope) -> bool:
        """Whether the request carries a credential this route reads (the session cookie, a
        non-empty bearer header): one pass over the raw headers. A credential that turns out
        to be unusable still skips the fast path; the endpoint then decides as always."""
        bearer, cookie = self._bearer_names, self._reads_cookie
        for name, value in scope["headers"]:
            if name in bearer:
                if value:
                    return True
            elif cookie and name == b"cookie" and SESSION_COOKIE_BYTES in value:
                return True
        return False

    def _cache_key(self, scope: Scope) -> str:
        """Method, path and query string as sent, hashed (the backend's own debug log prints
        keys, and a query string may carry anything); remembered per path and query string,
        up to ``MEMO_KEYS`` of them."""
        return self._cache_key_of((scope["path"], scope["query_string"]))

    def _hash_key(self, sent: tuple[str, bytes]) -> str:
        path, query = sent
        raw = f"{self.route.method} {path}?{query.decode('latin-1')}"
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()

    def ok(self, payload: bytes, more: Mapping[str, str] | None = None) -> Response:
        headers = {**self.route.headers, **(more or {})}
        return Response(
            payload,
            status_code=self.route.status,
            media_type="application/json",
            headers=headers or None,
        )

    def ok_headers(self, payload: bytes) -> list[tuple[bytes, bytes]]:
        """The raw headers ``ok(payload)`` sends, remembered for the last payload: a cached
        answer is the same bytes object hit after hit. A fresh list each time (a middleware
        may add to the list it is given)."""
        last, headers = self._ok_headers
        if last is not payload:
            headers = self.ok(payload).raw_headers
            self._ok_headers = (payload, headers)
        return list(headers)

    def error_from(self, errors: list[GraphQLError]) -> Response:
        """The first error of a GraphQL answer, by its code; one the catalogue does not name,
        or INTERNAL, is answered with Internal's own message."""
        error = errors[0]
        extensions = error.extensions or {}
        kind = catalogued(extensions.get("code"))
        if kind is None or kind is Internal:
            return self.error(Internal())
        return self.error(kind(error.message, **extensions))

    def error(self, error: DomainError) -> Response:
        """The error in the route's envelope, with the route's documented message for its code
        and the details (``DETAIL_KEYS``) a REST body carries."""
        message = self.route.messages_by_code.get(error.code, error.message)
        extra = {key: error.extensions[key] for key in DETAIL_KEYS if key in error.extensions}
        return self.route.envelope.render(error, message=message, extra=extra)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadUserInput("Invalid JSON body") from error


class CachedAnswers:
    """Pure ASGI, just inside the request log: an anonymous GET that a legacy route would answer
    from this worker's copy of its cached response is answered here, without the middleware, the
    router and the endpoint in between (on that path they cost as much as writing the answer).

    The route is the one Starlette's router would pick, as the app's router remembers it per
    path (app/web/routing.py ``RememberingRouter.remembered_route``). Anything else — a miss, a
    credential, another method, an unmatched path — goes down the stack, where the endpoint
    answers it exactly as before; the answer, its headers and the log line are the same either
    way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            endpoint = _cached_endpoint(scope)
            if endpoint is not None:
                payload = endpoint.anonymous_payload(scope)
                if payload is not None:
                    endpoint._name_request()
                    # What ``endpoint.ok(payload)`` would send, without building the Response.
                    headers = endpoint.ok_headers(payload)
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": payload})
                    return
        await self.app(scope, receive, send)


def _cached_endpoint(scope: Scope) -> LegacyEndpoint | None:
    """The legacy endpoint of the route that answers this request, when that route keeps its
    anonymous answers in the response cache."""
    route = scope["app"].router.remembered_route(scope)
    owner = getattr(getattr(route, "endpoint", None), "__self__", None)
    return owner if isinstance(owner, LegacyEndpoint) and owner.anonymous_cache else None


def build_routes(
    routes: tuple[LegacyRoute, ...],
    schema: strawberry.Schema,
    *,
    allowed_origins: frozenset[str] = frozenset(),
) -> list[Route]:
    """One Starlette route per path and alias; ``allowed_origins`` may send cookie writes
    besides the request's own origin (legacy_rest/cookie_writes.py)."""
    built = []
    for route in routes:
        handle = LegacyEndpoint(route, schema, allowed_origins=allowed_origins).handle
        for path in (route.path, *route.aliases):
            built.append(Route(path, handle, methods=[route.method], name=f"{route.method} {path}"))
    return built


def registered_operations(routes: tuple[LegacyRoute, ...]) -> dict[str, str]:
    """sha256 → text of every legacy operation, for persisted queries and the allowlist."""
    texts = {load_operation(route.operation) for route in routes}
    return {hashlib.sha256(text.encode()).hexdigest(): text for text in texts}
