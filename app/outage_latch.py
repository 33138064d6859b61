"""Logging a dependency's outage once, not once per request."""

from __future__ import annotations

import logging

from app import errors  # a module: app.errors imports this one

log = logging.getLogger("vendo.faults")
NOT_MIGRATED = "not migrated (run vendo-gateway migrate)"

# Exceptions of these packages come from another dependency, whose own code logs its outages
# (the cache's and the rate limits' latches, the pricing and JWKS clients): never the database's.
_OTHER_BACKENDS = ("httpx", "httpcore", "redis", "aiocache", "limits")
_DATABASE_DRIVERS = ("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite")


class Latch:
    """Remembers whether a dependency is down: the first failure and the recovery are logged,
    the failures in between are not."""

    def __init__(self, name: str, consequence: str, problem: str = "unreachable") -> None:
        self.name = name
        self.consequence = consequence
        self.problem = problem
        self.down = False

    def failed(self, error: BaseException) -> None:
        if not self.down:
            self.down = True
            log.warning(
                "%s %s (%s): %s", self.name, self.problem, type(error).__name__, self.consequence
            )

    def recovered(self) -> None:
        if self.down:
            self.down = False
            log.warning("%s reachable again", self.name)


def is_database_error(error: BaseException | None) -> bool:
    """Whether an unavailable error is the database's. The chain is followed from the outside
    in, and the first link that says whose it is decides: a DomainError already says what
    happened (an OpenRouter failure is UPSTREAM_FAILED, caused by an OSError deep down), an
    HTTP client's or Redis' exception belongs to that dependency, a driver's to the database. A
    bare OSError or TimeoutError with nothing above it comes from opening a database connection
    (asyncpg raises them as they are)."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, errors.DomainError):
            return False
        module = type(error).__module__
        if module.startswith(_OTHER_BACKENDS):
            return False
        if module.startswith(_DATABASE_DRIVERS):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return True


class DatabaseLatch(Latch):
    """The database's latch ignores the errors of other dependencies, and tells a database with
    no schema (logged once; it is not reachable "again" when it answers) from one that is gone."""

    def __init__(self) -> None:
        super().__init__("database", "answering 503 until it is back")
        self.schema = Latch("database", "answering 503 until it is migrated", NOT_MIGRATED)

    def failed(self, error: BaseException) -> None:
        if not is_database_error(error):
            return
        if errors.is_not_migrated(error):
            self.schema.failed(error)
        else:
            super().failed(error)


# The database, as every request sees it: an outage fails every request, and is logged once.
# Marked failed where an unavailable error is answered with a 503, recovered when the pool next
# hands out a connection (on PostgreSQL: a new one, one that answered its ping, or one back from a
# request a moment ago and not closed by the database; app/db.py ``_ping_on_checkout``).
DATABASE = DatabaseLatch()
