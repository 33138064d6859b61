"""What several layers read from a request's ASGI scope, read once per request.

Starlette's ``Headers(scope=scope)`` copies the raw list and scans it, decoding, on each lookup,
and a missing header costs a ``KeyError`` inside ``get``; a small GraphQL request asked it nine
times, in five places (the body limit, CORS, the CSRF rule, the small lane, the credentials).
``headers_of`` builds a dict once and keeps it in the scope, which every layer shares."""

from __future__ import annotations

from starlette.types import Scope

HEADERS_KEY = "vendo.headers"


def headers_of(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name; of a repeated header, the first (as
    ``Headers.get``). Nothing in the gateway changes a request's headers after they arrive."""
    headers: dict[str, str] | None = scope.get(HEADERS_KEY)
    if headers is None:
        headers = scope[HEADERS_KEY] = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in reversed(scope["headers"])
        }
    return headers
