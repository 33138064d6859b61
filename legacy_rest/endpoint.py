"""One generic handler for every legacy route: credentials → variables → schema.execute → shape.

No legacy route touches the database: everything it answers comes from the GraphQL operation.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from app import faults, observability
from app.auth import ANONYMOUS, SESSION_COOKIE, Credential
from app.errors import HTTP_STATUS, BadUserInput, DomainError, Unauthenticated, is_unavailable
from app.middleware import TOO_LARGE
from legacy_rest.envelopes import Envelope, dumps
from legacy_rest.operations import load_operation, operation_name
from legacy_rest.table import LegacyRoute, RestInput
from resolvers.context import context_for

log = logging.getLogger("vendo.legacy_rest")
INTERNAL_MESSAGE = "Internal server error"
UNAVAILABLE_MESSAGE = "Service unavailable"
DETAIL_KEYS = ("errors",)  # error extensions a REST body carries beside its message


class LegacyEndpoint:
    def __init__(self, route: LegacyRoute, schema: strawberry.Schema) -> None:
        self.route = route
        self.schema = schema
        self.document = load_operation(route.operation)
        self.operation_name = operation_name(self.document)
        self.name = f"{route.method} {route.path}"

    async def handle(self, request: Request) -> Response:
        try:
            response = await self._handle(request)
        except DomainError as error:
            response = self.error(error.code, error.message, error.extensions)
        except Exception as error:
            if is_unavailable(error):
                faults.DATABASE.failed(error)
                response = self.error("UNAVAILABLE", UNAVAILABLE_MESSAGE)
            else:
                log.exception("legacy route %s %s failed", self.route.method, self.route.path)
                response = self.error("INTERNAL", INTERNAL_MESSAGE)
        if response.status_code >= 400 and self.route.fallback is not None:
            return Response(dumps(self.route.fallback), media_type="application/json")
        return response

    async def _handle(self, request: Request) -> Response:
        route = self.route
        if (info := observability.current()) is not None:
            info.route = self.name
            info.operation = self.operation_name
        early = self._anonymous_hit(request)
        if early is not None:
            return early
        auth = route.auth
        context = await context_for(request, accept=auth.accept, bearer_headers=auth.bearer_headers)
        context.max_page_size = None  # the gateway's own operation: whole lists
        context.trusted = True
        if auth.required and not context.viewer.is_authenticated:
            raise Unauthenticated()
        cache = context.runtime.cache
        rule = route.cache
        key = self._cache_key(request) if rule and rule.applies_to(context.viewer) else None
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
        result = await self.schema.execute(
            self.document,
            variable_values=variables,
            context_value=context,
            operation_name=self.operation_name,
        )
        if result.errors:
            return self.error_from(result.errors)
        payload = dumps(route.shape(result.data or {}))
        if key is not None and rule is not None:
            await cache.set(rule.tag, key, payload, ttl=rule.ttl)
        return self.ok(payload)

    def _anonymous_hit(self, request: Request) -> Response | None:
        """The hot path: a request with no credential this route reads is anonymous without
        asking the database, so a current local copy of the answer goes out at once."""
        rule = self.route.cache
        if rule is None or not rule.applies_to(ANONYMOUS) or self._has_credentials(request):
            return None
        hit = request.app.state.runtime.cache.peek(rule.tag, self._cache_key(request))
        return self.ok(hit) if hit is not None else None

    def _has_credentials(self, request: Request) -> bool:
        auth = self.route.auth
        if not auth.accept:
            return False
        headers = request.headers
        cookie = Credential.SESSION in auth.accept and SESSION_COOKIE in headers.get("cookie", "")
        return cookie or any(headers.get(name) for name in auth.bearer_headers)

    def _cache_key(self, request: Request) -> str:
        """Method, path and query string as sent."""
        query = request.scope["query_string"].decode("latin-1")
        raw = f"{self.route.method} {request.scope['path']}?{query}"
        # Hashed: the backend's own debug log prints keys, and a query string may carry anything.
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()

    def ok(self, payload: bytes) -> Response:
        return Response(
            payload, media_type="application/json", headers=dict(self.route.headers) or None
        )

    def error_from(self, errors: list[GraphQLError]) -> Response:
        error = errors[0]
        extensions = error.extensions or {}
        code = str(extensions.get("code") or "INTERNAL")
        if code == "INTERNAL" or code not in HTTP_STATUS:
            return self.error("INTERNAL", INTERNAL_MESSAGE)
        return self.error(code, error.message, extensions)

    def error(
        self, code: str, message: str, extensions: Mapping[str, Any] | None = None
    ) -> Response:
        status = HTTP_STATUS.get(code, 500)
        message = self.route.messages.get(code, message)
        extra = {key: extensions[key] for key in DETAIL_KEYS if extensions and key in extensions}
        return self.route.envelope.render(status, message, code.lower(), extra)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadUserInput("Invalid JSON body") from error


def build_routes(routes: tuple[LegacyRoute, ...], schema: strawberry.Schema) -> list[Route]:
    built = []
    for route in routes:
        handle = LegacyEndpoint(route, schema).handle
        for path in (route.path, *route.aliases):
            built.append(Route(path, handle, methods=[route.method], name=f"{route.method} {path}"))
    return built


def registered_operations(routes: tuple[LegacyRoute, ...]) -> dict[str, str]:
    """sha256 → text of every legacy operation, for persisted queries and the allowlist."""
    texts = {load_operation(route.operation) for route in routes}
    return {hashlib.sha256(text.encode()).hexdigest(): text for text in texts}


def too_large_response(routes: tuple[LegacyRoute, ...]) -> Callable[[Scope], Response]:
    """413 in the envelope of the route the path belongs to (flat JSON for other /api paths)."""
    compiled = [
        (Route(path, _unused, methods=[r.method]), r)
        for r in routes
        for path in (r.path, *r.aliases)
    ]

    def render(scope: Scope) -> Response:
        info = observability.current()
        if scope["path"].startswith("/graphql"):
            if info is not None:
                info.route = "/graphql"
            error = {"message": TOO_LARGE, "extensions": {"code": "BAD_USER_INPUT"}}
            return Response(dumps({"errors": [error]}), 413, media_type="application/json")
        for route, legacy in compiled:
            if route.matches(scope)[0] is Match.FULL:
                if info is not None:
                    info.route = f"{legacy.method} {legacy.path}"
                return legacy.envelope.render(413, TOO_LARGE)
        return Envelope.FLAT.render(413, TOO_LARGE)

    return render


async def _unused(_: Request) -> Response:  # pragma: no cover - only matched, never called
    raise NotImplementedError
