"""Logging a dependency's outage once, not once per request."""

from __future__ import annotations

import logging

log = logging.getLogger("vendo.faults")


class Latch:
    """Remembers whether a dependency is down: the first failure and the recovery are logged,
    the failures in between are not."""

    def __init__(self, name: str, consequence: str) -> None:
        self.name = name
        self.consequence = consequence
        self.down = False

    def failed(self, error: BaseException) -> None:
        if not self.down:
            self.down = True
            log.warning(
                "%s unreachable (%s): %s", self.name, type(error).__name__, self.consequence
            )

    def recovered(self) -> None:
        if self.down:
            self.down = False
            log.warning("%s reachable again", self.name)


# The database, as every request sees it: an outage fails every request, and is logged once.
# Marked failed where an unavailable error is answered with a 503, recovered when the pool next
# hands out a connection (on PostgreSQL: a new one, one that answered its ping, or one back from a
# request a moment ago and not closed by the database; app/db.py ``_ping_on_checkout``).
DATABASE = Latch("database", "answering 503 until it is back")
