"""The database behind the gateway's back: raw statements, a snapshot of every row, a write lock
held from another connection; and the statements the gateway sends, counted."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from app.runtime import Runtime


async def run_sql(runtime: Runtime, *statements: str) -> None:
    """The statements, in one transaction."""
    async with runtime.db.write() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


@dataclass
class Counted:
    """What a piece of code sent: its SQL statements (``BEGIN`` and ``PRAGMA`` left out, as the
    bench counts them) and how many ORM sessions began a transaction."""

    statements: list[str] = field(default_factory=list)
    sessions: int = 0


@contextmanager
def counting(runtime: Runtime) -> Iterator[Counted]:
    """Count the statements of the runtime's engine and the ORM sessions opened meanwhile."""
    counted = Counted()
    engines = [engine.sync_engine for engine in runtime.db.engines]

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            counted.statements.append(statement)

    def on_session(*_: Any) -> None:
        counted.sessions += 1

    for engine in engines:
        event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(Session, "after_begin", on_session)
    try:
        yield counted
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(Session, "after_begin", on_session)


# A column every read of the table selects.
READ_COLUMN = {"tools": "slug", "releases": "version", "meters": "public"}


@asynccontextmanager
async def table_gone(runtime: Runtime, table: str) -> AsyncIterator[None]:
    """A real internal database failure: a column the reads select is renamed away, and put
    back afterwards. (A whole table missing is a database not migrated: 503, see
    tests/app/test_health.py.)"""
    column = READ_COLUMN[table]
    await run_sql(runtime, f'ALTER TABLE "{table}" RENAME COLUMN "{column}" TO "{column}_gone"')
    try:
        yield
    finally:
        await run_sql(runtime, f'ALTER TABLE "{table}" RENAME COLUMN "{column}_gone" TO "{column}"')


@asynccontextmanager
async def failing_inserts(runtime: Runtime, table: str) -> AsyncIterator[None]:
    """A real database failure: a trigger that aborts every insert into ``table``."""
    if runtime.settings.is_sqlite:
        create = [
            f"CREATE TRIGGER vendo_test_boom BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS vendo_test_boom"]
    else:
        create = [
            "CREATE OR REPLACE FUNCTION vendo_test_boom() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$",
            f"CREATE TRIGGER vendo_test_boom BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION vendo_test_boom()",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS vendo_test_boom ON {table}",
            "DROP FUNCTION IF EXISTS vendo_test_boom()",
        ]
    await run_sql(runtime, *create)
    try:
        yield
    finally:
        await run_sql(runtime, *drop)


async def snapshot(runtime: Runtime) -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    tables: dict[str, list[str]] = {}
    async with runtime.db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await session.execute(table.select())).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables


class WriteLock:
    """A lock on tenant_integrations held from another connection: SQLite's database write lock
    (``BEGIN EXCLUSIVE`` on a sqlite3 connection of its own), PostgreSQL's table lock."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._pg_tx: Any = None

    async def acquire(self) -> None:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[1]
            self._sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._sqlite.execute("BEGIN EXCLUSIVE")
            return
        import asyncpg

        self._pg = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
        self._pg_tx = self._pg.transaction()
        await self._pg_tx.start()
        await self._pg.execute("LOCK TABLE tenant_integrations IN ACCESS EXCLUSIVE MODE")

    async def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            await self._pg_tx.rollback()
            await self._pg.close()
            self._pg = None


@contextmanager
def counting_statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement the gateway's engine sends while the block runs (BEGIN and COMMIT are not
    statements SQLAlchemy sends through its cursor)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engines = [engine.sync_engine for engine in runtime.db.engines]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def queries(statements: list[str]) -> list[str]:
    """The statements but transaction control, which SQLite's driver sends through its cursor and
    PostgreSQL's does not."""
    return [s for s in statements if not s.lstrip().upper().startswith(TRANSACTION_CONTROL)]
