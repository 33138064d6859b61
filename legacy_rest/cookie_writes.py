"""Cross-site writes with the session cookie (CSRF) on the legacy routes.

A browser attaches the ``vendo_session`` cookie (SameSite=Lax) to a request another page of the
same site sends, and an HTML form can post anywhere with no preflight, as ``text/plain``, a form
encoding or no content type at all. A write that would be authenticated by the cookie is
therefore checked before anything else — before authentication, before its body is parsed:

1. an ``Origin`` that is neither the request's own origin (scheme, host and port of its ``Host``)
   nor one of ``VENDO_GRAPHQL_CORS_ORIGINS`` → 403 (no ``Origin``: curl, servers → allowed);
2. a content type that is missing or CORS-safelisted (the ones a form can send, the set /graphql
   refuses too) → 415.

A request carrying a Bearer token in a header the route reads is exempt: no page can set that
header cross-site without a CORS preflight, which these routes never grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request

from app.errors import DomainError, OriginNotAllowed, UnsupportedMediaType
from app.services.auth import presented_credentials
from resolvers.engine.view import SIMPLE_CONTENT_TYPES

DEFAULT_PORTS = {"http": 80, "https": 443}


def refusal(
    request: Request, *, bearer_headers: tuple[str, ...], allowed_origins: frozenset[str]
) -> DomainError | None:
    """Why a write the session cookie would authenticate is refused, or None."""
    presented = presented_credentials(
        request.headers, request.cookies, bearer_headers=bearer_headers
    )
    if presented.cookie is None or presented.bearers:
        return None
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, request, allowed_origins):
        return OriginNotAllowed()
    if simple_content_type(request.headers.get("content-type", "")):
        return UnsupportedMediaType()
    return None


def simple_content_type(value: str) -> bool:
    """Missing, empty or one a form can send (``text/plain; charset=…`` too, any case)."""
    essence = value.split(";")[0].strip().lower()
    return not essence or essence in SIMPLE_CONTENT_TYPES


def origin_allowed(origin: str, request: Request, allowed: Iterable[str]) -> bool:
    """The request's own origin, or one listed exactly (as /graphql's CORS policy lists them).
    ``null`` (sandboxed frames, some redirects) is nobody's origin."""
    if origin in allowed:
        return True
    scheme = request.scope.get("scheme", "http")
    own = _origin_of(f"{scheme}://{request.headers.get('host', '')}")
    return own is not None and _origin_of(origin) == own


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a serialized origin, the default port made explicit."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    if parts.path or parts.query or parts.fragment:
        return None
    return scheme, parts.hostname, port if port is not None else DEFAULT_PORTS[scheme]
