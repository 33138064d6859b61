"""Small SQL helpers that differ by dialect."""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Dialect, Executable, TypeDecorator, Uuid, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util.typing import TupleAny
from sqlmodel.sql.sqltypes import UTCDateTime

from app.cache.memo import remembered
from app.repositories import Reader

MAX_KEY_LENGTH = 1000
MAX_UUIDS = 50_000  # parsed UUIDs remembered per dialect by listings (ids of the catalog)


def searchable(value: str) -> bool:
    """Whether a text key can be looked up at all. PostgreSQL refuses NUL characters in text
    (an error, not a miss), and nothing we store is longer than this: both simply find nothing."""
    return "\x00" not in value and len(value) <= MAX_KEY_LENGTH


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def execute(
    session: Reader, query: Executable, parameters: Mapping[str, Any] | None = None
) -> CursorResult[*TupleAny]:
    """A Core ``select`` of columns run on the session's connection (its transaction), or on a
    plain connection (``Database.connect``), without the ORM's execution layer, which only adds
    per-statement and per-row work when no entity is loaded. Hot statements are built once, with
    ``bindparam`` for their values (``parameters``): building a select's expressions costs more
    than running it on a small table."""
    connection = await session.connection() if isinstance(session, AsyncSession) else session
    return await connection.execute(query, parameters)


async def fetch_rows(
    session: Reader, query: Executable, parameters: Mapping[str, Any] | None = None
) -> list[Any]:
    """The rows of ``execute``, each as a named tuple of the selected columns: a field of one is
    much cheaper to read than a SQLAlchemy ``Row``'s (docs/PERFORMANCE.md), and building one
    object for the API reads 16 of them, for every row of every list. The catalog lists read
    this way."""
    result = await execute(session, query, parameters)
    record = _record(tuple(result.keys()))
    return list(map(record._make, result.all()))


async def fetch_row_groups(
    session: AsyncSession, query: Executable, *groups: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """``fetch_rows`` for a select of several tables' columns: each row is split, in select
    order, into one named tuple per group of field names (say, a tool and its release)."""
    connection = await session.connection()
    result = await connection.execute(query)
    records, bounds, start = [], [], 0
    for names in groups:
        records.append(_record(names)._make)
        bounds.append((start, start + len(names)))
        start += len(names)
    parts = list(zip(records, bounds, strict=True))
    return [tuple(make(row[a:b]) for make, (a, b) in parts) for row in result.all()]


class ListedDateTime(UTCDateTime):
    """``UTCDateTime`` read with one ``datetime.fromisoformat`` on SQLite, where SQLAlchemy parses
    the stored text with a regular expression and SQLModel's decorator then adds the time zone
    (a listing's two datetime columns are read whether or not they are asked for; what that
    costs: docs/PERFORMANCE.md). Only the text SQLAlchemy itself writes
    (``YYYY-MM-DD HH:MM:SS[.ffffff]``, UTC) takes the short way; anything else, and every other
    database, is read as before."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        standard = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or standard is None:
            return standard
        parse = datetime.fromisoformat

        def process(value: Any) -> Any:
            if (
                type(value) is str
                and value[10:11] == " "
                and (len(value) == 19 or (len(value) == 26 and value[19] == "."))
            ):
                try:  # parsed aware: ``.replace(tzinfo=UTC)`` alone costs several parses
                    return parse(value + "+00:00")
                except ValueError:
                    pass  # the standard parser's own error
            return standard(value)

        return process


class ListedUuid(TypeDecorator[Any]):
    """``Uuid`` whose values are parsed once per worker (up to ``MAX_UUIDS``): a listing reads
    the same catalog ids request after request, and building a ``uuid.UUID`` from its text costs
    more than the rest of the column."""

    impl = Uuid
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        standard = super().result_processor(dialect, coltype)
        return remembered(standard, MAX_UUIDS) if standard is not None else None


LISTED_DATETIME = ListedDateTime()
LISTED_UUID = ListedUuid()


def listed(columns: Iterable[Any]) -> tuple[ColumnElement[Any], ...]:
    """A table's columns for a listing's select: the same names and values, with datetime and
    UUID columns read by the cheaper types above."""

    def cheap(column: Any) -> ColumnElement[Any]:
        if isinstance(column.type, UTCDateTime):
            return type_coerce(column, LISTED_DATETIME)
        if isinstance(column.type, Uuid):
            return type_coerce(column, LISTED_UUID)
        return column  # type: ignore[no-any-return]

    return tuple(cheap(column) for column in columns)


@functools.lru_cache(maxsize=64)
def _record(fields: tuple[str, ...]) -> Any:
    """A named tuple class of ``fields``, built at run time (so its fields are unknown to mypy)."""
    return collections.namedtuple("Record", fields)


def upsert(session: AsyncSession, table: Any) -> Any:
    """``INSERT … ON CONFLICT`` for the session's dialect (both dialects share the API)."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
