"""Answers given where no legacy route runs, in the envelope the path calls for: a body too large
(413) or too slow (408) on the way in, an unmatched ``/api/…`` path (404) and a method the path
does not serve (405)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from app.errors import DomainError, MethodNotAllowed, NotFound
from app.web import request_log
from app.web.middleware import Refuse
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import LegacyRoute
from resolvers.engine.view import errors_response

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
Handler = Callable[[Request, Exception], Awaitable[Response]]


def body_refusal(routes: tuple[LegacyRoute, ...]) -> Refuse:
    """413 and 408 in the envelope of the route the request is for: GraphQL's error shape on
    /graphql, flat JSON for any other path."""
    compiled = [
        (Route(path, _unused, methods=[r.method]), r)
        for r in routes
        for path in (r.path, *r.aliases)
    ]

    def render(scope: Scope, error: DomainError) -> Response:
        info = request_log.current()
        if scope["path"].startswith("/graphql"):
            if info is not None:
                info.route = "/graphql"
            return errors_response(error)
        for route, legacy in compiled:
            if route.matches(scope)[0] is Match.FULL:
                if info is not None:
                    info.route = f"{legacy.method} {legacy.path}"
                return legacy.envelope.render(error)
        return Envelope.FLAT.render(error)

    return render


def http_exception_handlers(*, preflight_prefixes: tuple[str, ...]) -> Mapping[Any, Handler]:
    """Starlette's 404 and 405, as flat JSON under ``/api`` (text elsewhere, as Starlette
    writes it); a 405's ``Allow`` lists every method served at the path, whichever route
    serves it — plus OPTIONS where CORS preflights are answered (``preflight_prefixes``),
    unless the request refused is itself an OPTIONS, which the CORS policy did not answer."""

    async def not_found(request: Request, error: Exception) -> Response:
        if _api(request.scope["path"]):
            return Envelope.FLAT.render(NotFound())
        return _as_starlette(error)

    async def method_not_allowed(request: Request, error: Exception) -> Response:
        allow = allowed_methods(request.scope, preflight_prefixes)
        if _api(request.scope["path"]):
            response = Envelope.FLAT.render(MethodNotAllowed())
        else:
            response = _as_starlette(error)
        response.headers["Allow"] = allow
        return response

    return {404: not_found, 405: method_not_allowed}


def allowed_methods(scope: Scope, preflight_prefixes: tuple[str, ...]) -> str:
    """Every method of every route whose path matches (HEAD comes with GET)."""
    methods: set[str] = set()
    for route in scope["app"].router.routes:
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] is not Match.NONE:
            methods |= route.methods
    preflights = any(_under(scope["path"], prefix) for prefix in preflight_prefixes)
    if preflights and scope["method"] != "OPTIONS":  # an OPTIONS here was not a preflight
        methods.add("OPTIONS")
    order = {method: index for index, method in enumerate(METHOD_ORDER)}
    return ", ".join(sorted(methods, key=lambda m: (order.get(m, len(order)), m)))


def _api(path: str) -> bool:
    return _under(path, "/api")


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def _as_starlette(error: Exception) -> Response:
    """What Starlette answers by itself for an HTTPException."""
    assert isinstance(error, HTTPException)
    return PlainTextResponse(error.detail, error.status_code, headers=error.headers)


async def _unused(_: Request) -> Response:  # pragma: no cover - only matched, never called
    raise NotImplementedError
