"""The one error catalogue.

GraphQL renders ``code`` as ``extensions.code``; the legacy routes turn the same code into their
documented status and envelope (``legacy_rest/envelopes.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """An error the client may see. Anything that is not a DomainError is masked."""

    code: ClassVar[str] = "INTERNAL"
    default_message: ClassVar[str] = "Internal server error"

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        self.message = message or self.default_message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}
        super().__init__(self.message)


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    default_message = "Unauthorized"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "Forbidden"


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Not found"


class IntegrationNotFound(NotFound):
    default_message = "Integration not found"


class NoWorkspace(DomainError):
    code = "NO_WORKSPACE"
    default_message = "No workspace found"


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"
    default_message = "Invalid input"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "Rate limit exceeded"


class UpstreamFailed(DomainError):
    code = "UPSTREAM_FAILED"
    default_message = "Upstream request failed"


class Unavailable(DomainError):
    code = "UNAVAILABLE"
    default_message = "Service unavailable"


HTTP_STATUS: dict[str, int] = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "NO_WORKSPACE": 404,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "UPSTREAM_FAILED": 502,
    "UNAVAILABLE": 503,
}
