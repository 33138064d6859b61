"""The OpenAPI 3.1 document of the legacy routes, generated from the route table.

Every status a route can answer is derived from the table and the error catalogue
(app/errors.py): 200 with its ``responds`` schema (the only one for routes that degrade
gracefully), then the status of each error class the route can answer — Unauthenticated (and
the route's refusal of a missing token) when a credential is required, BadUserInput when it
reads a body, RateLimited when it spends a limit,
its declared ``errors``, RequestTooLarge and BodyReadTimeout when its method carries a body,
OriginNotAllowed and UnsupportedMediaType when the session cookie may authenticate a write,
Internal and Unavailable — each in the route's own error envelope, described by the messages it
answers. Parameters and bodies say what the route accepts
(``json_schemas.PARAMETERS``, the route's ``body``); a body whose schema admits ``null`` is
optional (an empty body reads as null).
"""

from __future__ import annotations

import re
from functools import cache
from http import HTTPStatus
from typing import Any

from app.errors import (
    BadUserInput,
    BodyReadTimeout,
    DomainError,
    Internal,
    OriginNotAllowed,
    RateLimited,
    RequestTooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    catalogued,
)
from app.services.auth import Credential
from app.web.middleware import BODYLESS_METHODS
from legacy_rest import json_schemas
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import LegacyRoute

_PARAMETER = re.compile(r"{(\w+)}")


# legacy_rest/cookie_writes.py (docs/decisions/0055-cross-site-cookie-writes.md)
COOKIE_WRITE = (
    "With the session cookie (and no Bearer token), the request declares "
    "`Content-Type: application/json`, body or not (else 415), and an `Origin`, when it has "
    "one, is its own or a configured one (else 403)."
)


def _error_content(envelope: Envelope) -> dict[str, Any]:
    if envelope is Envelope.TEXT:
        return {"text/plain": {"schema": json_schemas.STRING}}
    schema = {
        Envelope.STRING: json_schemas.STRING_ERROR,
        Envelope.NESTED: json_schemas.NESTED_ERROR,
    }.get(envelope, json_schemas.FLAT_ERROR)
    return {"application/json": {"schema": schema}}


def error_classes(route: LegacyRoute) -> list[type[DomainError]]:
    """Every error class the route can answer (none when it degrades to a 200)."""
    if route.fallback is not None:
        return []
    found: list[type[DomainError]] = []
    if route.auth.required:
        found += [route.auth.missing, Unauthenticated]
    if route.reads_body:
        found.append(BadUserInput)
    if route.limit or route.ip_limit:
        found.append(RateLimited)
    found += route.errors
    if route.method not in BODYLESS_METHODS:
        found += [RequestTooLarge, BodyReadTimeout]
    if route.cookie_write:
        found += [OriginNotAllowed, UnsupportedMediaType]
    return list(dict.fromkeys([*found, Internal, Unavailable]))


def answered_message(route: LegacyRoute, error: type[DomainError]) -> str:
    """What the route answers for ``error``: its documented wording of the code, unless the
    class is a refinement answered in its own words (a refusal before the route runs)."""
    if catalogued(error.code) is not error:
        return error.default_message
    return route.messages_by_code.get(error.code, error.default_message)


def error_responses(route: LegacyRoute) -> dict[int, str]:
    """Status → description: the messages the route answers with that status."""
    messages: dict[int, list[str]] = {}
    for error in error_classes(route):
        messages.setdefault(error.status, []).append(answered_message(route, error))
    return {status: "; ".join(dict.fromkeys(messages[status])) for status in sorted(messages)}


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
        str(route.status): {
            "description": HTTPStatus(route.status).phrase,
            "content": {"application/json": {"schema": route.responds}},
            **({"headers": _headers(route)} if route.headers else {}),
        }
    }
    for status, description in error_responses(route).items():
        responses[str(status)] = {
            "description": description,
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
