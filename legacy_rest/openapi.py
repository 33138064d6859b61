"""The OpenAPI 3.1 document of the legacy routes, generated from the route table.

Every status a route can answer is derived from the table: 200 with its ``responds`` schema (the
only one for routes that degrade gracefully), 401 when a credential is required, 400 when it
reads a body or its declared errors say so, 413 and 408 on every POST (the body limit and the
body-read timeout read whatever body comes), 403 and 415 on writes a session cookie may
authorise (a cross-site ``Origin``, a body not declared JSON: what a cross-site page could
send), 429 when it spends a limit, the statuses of its declared error codes, and 500 and 503,
each in the route's own error envelope. Parameters and bodies say what the route accepts
(``json_schemas.PARAMETERS``, the route's ``body``); a body whose schema admits ``null`` is optional
(an empty body reads as null).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from app.errors import HTTP_STATUS
from app.services.auth import Credential
from legacy_rest import json_schemas
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import LegacyRoute

_PARAMETER = re.compile(r"{(\w+)}")
_DESCRIPTIONS = {
    200: "OK",
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden (also: a cross-site Origin with a session cookie)",
    404: "Not found",
    408: "Request body not received in time",
    413: "Request body too large",
    415: "With the session cookie: not declared application/json",
    429: "Rate limit exceeded",
    500: "Internal error",
    502: "Upstream failed",
    503: "Service unavailable",
}


# legacy_rest/cookie_writes.py (docs/decisions/0055-cross-site-cookie-writes.md)
COOKIE_WRITE = (
    "With the session cookie (and no Bearer token), the request declares "
    "`Content-Type: application/json`, body or not (else 415), and an `Origin`, when it has "
    "one, is its own or a configured one (else 403)."
)


def _error_content(envelope: Envelope) -> dict[str, Any]:
    if envelope is Envelope.TEXT:
        return {"text/plain": {"schema": json_schemas.STRING}}
    schema = json_schemas.STRING_ERROR if envelope is Envelope.STRING else json_schemas.FLAT_ERROR
    return {"application/json": {"schema": schema}}


def error_statuses(route: LegacyRoute) -> list[int]:
    if route.fallback is not None:
        return []
    codes = {"INTERNAL", "UNAVAILABLE", *route.errors}
    if route.auth.required:
        codes.add("UNAUTHENTICATED")
    if route.reads_body:
        codes.add("BAD_USER_INPUT")
    if route.limit:
        codes.add("RATE_LIMITED")
    statuses = {HTTP_STATUS[code] for code in codes}
    if route.method == "POST":
        statuses |= {408, 413}
    if route.cookie_write:
        statuses |= {403, 415}
    return sorted(statuses)


def _parameter(route: LegacyRoute, name: str, where: str) -> dict[str, Any]:
    given = json_schemas.PARAMETERS.get((where, name), {})
    parameter = {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": json_schemas.STRING,
        **given,
    }
    example = route.example.get({"header": "headers"}.get(where, where), {}).get(name)
    return {**parameter, "example": example} if example is not None else parameter


def _parameters(route: LegacyRoute) -> list[dict[str, Any]]:
    return [
        *(_parameter(route, name, "path") for name in _PARAMETER.findall(route.path)),
        *(_parameter(route, name, "query") for name in route.query),
        *(_parameter(route, name, "header") for name in route.request_headers),
    ]


def _admits_null(schema: json_schemas.Schema) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind)


def _security(route: LegacyRoute) -> list[dict[str, list[str]]]:
    """Each way the route takes a credential; ``{}`` (none) too when it is optional."""
    names = ["session"] if Credential.SESSION in route.auth.accept else []
    if "authorization" in route.auth.bearer_headers:
        names.append("bearer")
    if "x-authorization" in route.auth.bearer_headers:
        names.append("xAuthorization")
    schemes: list[dict[str, list[str]]] = [{name: []} for name in names]
    return schemes if route.auth.required else [*schemes, {}]


def operation_id(route: LegacyRoute) -> str:
    """Unique per route (the two /api/v1 stubs share one GraphQL operation)."""
    return re.sub(r"[^a-z0-9]+", "_", f"{route.method} {route.path}".lower()).strip("_")


def operation(route: LegacyRoute) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": _DESCRIPTIONS[200],
            "content": {"application/json": {"schema": route.responds}},
            **({"headers": _headers(route)} if route.headers else {}),
        }
    }
    for status in error_statuses(route):
        responses[str(status)] = {
            "description": _DESCRIPTIONS[status],
            "content": _error_content(route.envelope),
        }
    found: dict[str, Any] = {
        "operationId": operation_id(route),
        "summary": route.summary,
        "parameters": _parameters(route),
        "responses": responses,
        "x-graphql-operation": route.operation,
    }
    if route.auth.accept:
        found["security"] = _security(route)
    if route.cookie_write:
        found["description"] = COOKIE_WRITE
    if route.body is not None:
        content: dict[str, Any] = {"schema": route.body}
        if "body" in route.example:
            content["example"] = route.example["body"]
        required = not _admits_null(route.body)
        found["requestBody"] = {"required": required, "content": {"application/json": content}}
    return found


def _headers(route: LegacyRoute) -> dict[str, Any]:
    return {
        name: {"schema": {"type": "string", "const": value}}
        for name, value in route.headers.items()
    }


def build_openapi(routes: tuple[LegacyRoute, ...]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vendo-gateway legacy REST routes",
            "version": "1",
            "description": "Each route runs one GraphQL operation in-process "
            "(`x-graphql-operation`); the same data is at /graphql.",
        },
        "paths": paths,
        "components": {
            "schemas": json_schemas.COMPONENTS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "vendo_session"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "xAuthorization": {"type": "apiKey", "in": "header", "name": "X-Authorization"},
            },
        },
    }


@cache
def openapi_bytes() -> bytes:
    from legacy_rest.envelopes import dumps
    from legacy_rest.routes import ROUTES

    return dumps(build_openapi(ROUTES))
