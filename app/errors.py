"""The one error catalogue.

Every error a client may see is a class here with its ``code``, its HTTP ``status`` and its
``default_message``, as Starlette's ``HTTPException`` carries its status. GraphQL renders
``code`` as ``extensions.code``; the legacy routes turn the same class into their documented
status and envelope (``legacy_rest/envelopes.py``), and the OpenAPI document lists each route's
classes (``legacy_rest/openapi.py``). ``status`` is what a legacy route answers, and what
``/graphql`` answers for a refusal made before any operation runs (a body too large, a CSRF
check); an error met while running an operation is answered 200 with ``errors``, as GraphQL over
HTTP's ``application/json`` wants.

:func:`classify` turns any exception into one of these: itself when it is one, ``Unavailable``
when a dependency is down (noted on the outage latch, so that an outage is logged once),
anything else ``Internal`` — which is how the masking of GraphQL, the ``/graphql`` view and the
legacy endpoint all decide.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """An error the client may see. Anything that is not a DomainError is masked as Internal."""

    code: ClassVar[str] = "INTERNAL"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal server error"

    def __init__(self, message: str | None = None, /, **extensions: Any) -> None:
        self.message = message or self.default_message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}
        super().__init__(self.message)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:  # a class naming a code of its own; subclasses refine it
            if cls.code in _BY_CODE:
                raise TypeError(f"{cls.__name__}: code {cls.code} is {_BY_CODE[cls.code]}'s")
            _BY_CODE[cls.code] = cls


_BY_CODE: dict[str, type[DomainError]] = {}


class Internal(DomainError):
    code = "INTERNAL"


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"
    status = 400
    default_message = "Invalid input"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    status = 401
    default_message = "Unauthorized"


class MissingBearerToken(Unauthenticated):
    """No Bearer token at all where the route requires one and says so (the balance routes,
    docs/CONTRACT.md §3.10); a token that fails is plain Unauthenticated."""

    default_message = "Missing Bearer token"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403
    default_message = "Forbidden"


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    default_message = "Not found"


class IntegrationNotFound(NotFound):
    default_message = "Integration not found"


class AccountNotFound(NotFound):
    """An account (workspace) the credential may not act for, existing or not."""

    default_message = "Account not found"


class ConnectionNotFound(NotFound):
    """A connection of another workspace is answered as one that does not exist."""

    default_message = "Connection not found"


class KeyNotFound(NotFound):
    """A key of another workspace is answered as one that does not exist."""

    default_message = "Key not found"


class NoWorkspace(DomainError):
    code = "NO_WORKSPACE"
    status = 404
    default_message = "No workspace found"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429
    default_message = "Rate limit exceeded"


class TooManyStreams(RateLimited):
    """The events channel's cap of concurrent streams per app (docs/CONTRACT.md §3.9)."""

    code = "RATE_LIMIT_SSE_STREAMS"
    default_message = "Too many concurrent SSE streams."


class UpstreamFailed(DomainError):
    code = "UPSTREAM_FAILED"
    status = 502
    default_message = "Upstream request failed"


class Unavailable(DomainError):
    code = "UNAVAILABLE"
    status = 503
    default_message = "Service unavailable"


class PersistedQueryNotFound(DomainError):
    """Apollo's automatic persisted queries: the hash is unknown, the client retries with the
    text. Apollo clients match the message and the code exactly."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 404
    default_message = "PersistedQueryNotFound"


# Refusals made before any operation or route runs (app/web/middleware.py, the /graphql view,
# legacy_rest/cookie_writes.py and legacy_rest/refusals.py).


class RequestTooLarge(BadUserInput):
    status = 413
    default_message = "Request body too large"


class BodyReadTimeout(BadUserInput):
    status = 408
    default_message = "Request body not received in time"


class CrossSiteRequestRefused(BadUserInput):
    """Apollo Server's CSRF prevention, word for word."""

    default_message = (
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please "
        "either specify a 'content-type' header (with a type that is not one of "
        "application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a "
        "non-empty value for one of the following headers: x-apollo-operation-name, "
        "apollo-require-preflight"
    )


class UnparsableJson(BadUserInput):
    default_message = "Unable to parse request body as JSON"


class MalformedRequest(BadUserInput):
    default_message = "A GraphQL request must be a JSON object, or a list of objects for a batch"


class OriginNotAllowed(Forbidden):
    default_message = "Origin not allowed"


class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    default_message = "Content-Type must be application/json"


class MethodNotAllowed(DomainError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    default_message = "Method not allowed"


def catalogued(code: object) -> type[DomainError] | None:
    """The class that names ``code`` (a GraphQL answer's ``extensions.code``), or None."""
    return _BY_CODE.get(code) if isinstance(code, str) else None


def every_error() -> list[type[DomainError]]:
    """Every class of the catalogue, base classes first."""

    def below(cls: type[DomainError]) -> list[type[DomainError]]:
        return [found for sub in cls.__subclasses__() for found in (sub, *below(sub))]

    return below(DomainError)


def classify(error: BaseException | None) -> DomainError:
    """What a client is answered for ``error``: a catalogue error is itself; a dependency that is
    down (:func:`note_outage`) is ``Unavailable``; anything else is ``Internal``."""
    if isinstance(error, DomainError):
        return error
    if note_outage(error):
        return Unavailable()
    return Internal()


def note_outage(error: BaseException | None) -> bool:
    """Whether ``error`` says a dependency is down; if so the outage latch notes it, which logs
    the first failure of an outage only (the recovery is noted by app/db.py)."""
    if not is_unavailable(error):
        return False
    assert error is not None
    from app import outage_latch  # imports this module: the cycle closes at call time

    outage_latch.DATABASE.failed(error)
    return True


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
