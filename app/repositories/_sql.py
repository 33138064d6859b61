"""Small SQL helpers that differ by dialect."""

from __future__ import annotations

import collections
import functools
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

MAX_KEY_LENGTH = 1000


def searchable(value: str) -> bool:
    """Whether a text key can be looked up at all. PostgreSQL refuses NUL characters in text
    (an error, not a miss), and nothing we store is longer than this: both simply find nothing."""
    return "\x00" not in value and len(value) <= MAX_KEY_LENGTH


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def fetch_rows(session: AsyncSession, query: Executable) -> list[Any]:
    """The rows of a Core ``select`` of columns, run on the session's connection (its transaction)
    without the ORM's execution layer, which only adds per-statement and per-row work when no
    entity is loaded: the catalog lists read this way. Each row comes back as a named tuple of
    the selected columns: reading a field of one costs ~15 ns, of a SQLAlchemy ``Row`` ~400 ns
    (building one object for the API reads 16 of them, for every row of every list)."""
    connection = await session.connection()
    result = await connection.execute(query)
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


@functools.lru_cache(maxsize=64)
def _record(fields: tuple[str, ...]) -> type[tuple[Any, ...]]:
    return collections.namedtuple("Record", fields)  # type: ignore[return-value]


def upsert(session: AsyncSession, table: Any) -> Any:
    """``INSERT … ON CONFLICT`` for the session's dialect (both dialects share the API)."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
