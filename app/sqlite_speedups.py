"""One thread hop per SQLite statement (a speed-up of app/db.py reaching into library internals).

aiosqlite runs each connection's calls on a thread of its own, one call at a time; SQLAlchemy's
aiosqlite adapter makes four of them per statement — open a cursor, execute, fetch the rows,
close the cursor — each a hand-over to the connection's thread and back to the event loop. Under
load on one core most of a one-row read's server time went to those hand-overs (py-spy:
half of the samples holding the GIL were in aiosqlite's queue ``put``). ``OneHopCursor`` runs
the four together on the connection's thread, in one call: the same statements, the same rows,
description, row count and last row id, and the same errors (raised by sqlite3 in the thread,
mapped by the adapter as before).

Installed per engine, through ``create_async_engine``'s documented ``module`` argument (the
DB-API module the dialect uses), so that only the gateway's own engines use it, and only with
the speed-ups on (``VENDO_SPEEDUPS=false``: SQLAlchemy's adapter as it comes). The private
symbols relied on are named, with the pinned versions, in tests/test_library_internals.py.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

# What a statement leaves behind: (description, rowcount, lastrowid, rows or None).
_Outcome = tuple[Any, int, int | None, list[Any] | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the statement on a cursor of its own, its rows read, the
    cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, whose statement is one call on the connection's thread.
    The rows are read up front, as the adapter reads them (a buffered cursor); what
    ``description``, ``rowcount`` and ``lastrowid`` say is kept from that call."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no aiosqlite cursor: no hop
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # every row is read at once

    async def _async_soft_close(self) -> None:
        pass  # closed on the connection's thread already

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._call(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._call(operation, seq_of_parameters, many=True)

    async def _call(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome = await driver._execute(_run, driver._conn, operation, parameters, many)  # type: ignore[no-untyped-call]
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DB-API module SQLAlchemy builds, whose connections make one-hop cursors."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # SQLAlchemy's own connect (the creator, the daemon thread), then its driver connection
        # wrapped in our class; the first wrapper, a lock and two references, is dropped.
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_module() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
