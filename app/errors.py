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


def is_unavailable(error: BaseException | None) -> bool:
    """A dependency is down or not answering in time (database, cache): HTTP 503, not a bug."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if is_not_migrated(error):
        return True
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, OperationalError) and _sqlite_bug(error):
            return False
        if isinstance(
            error, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError
        ):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if type(error).__module__.startswith("asyncpg") and "Connection" in type(error).__name__:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


UNDEFINED_TABLE = "42P01"  # PostgreSQL's SQLSTATE for a table that does not exist


def is_not_migrated(error: BaseException | None) -> bool:
    """The database answers but lacks a table: ``vendo-gateway migrate`` has not been run on it
    (SQLite "no such table", PostgreSQL undefined_table). Unavailable (503), not a bug."""
    seen = 0
    while error is not None and seen < 8:
        if UNDEFINED_TABLE in (getattr(error, "sqlstate", None), getattr(error, "pgcode", None)):
            return True
        if type(error).__module__ == "sqlite3" and str(error).startswith("no such table"):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _sqlite_bug(error: BaseException) -> bool:
    """SQLite raises OperationalError for mistakes ("no such table") as well as for an
    unavailable database ("database is locked", "unable to open database file")."""
    message = str(getattr(error, "orig", error)).lower()
    unavailable = ("locked", "unable to open", "disk i/o", "busy", "readonly", "read-only")
    return "sqlite" in type(getattr(error, "orig", error)).__module__ and not any(
        word in message for word in unavailable
    )
