"""What the database layer sends to PostgreSQL: SQLAlchemy's statements (``before_cursor_execute``)
and asyncpg's own queries (its query logger: BEGIN, ROLLBACK, the ping), each list in order. A
Core read is its own statements after a one-statement ping — no BEGIN, no ROLLBACK —; a write
on the same connection afterwards is still one transaction; and a connection that died while
idle in the pool is replaced before anything runs on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text

from app.db import Database, create_database
from app.settings import Settings
from tests.conftest import _admin, needs_postgres

pytestmark = needs_postgres


class Sent:
    """What was sent on the pool's connections: SQLAlchemy's statements, and asyncpg's own
    queries apart (its query logger reports them a loop turn after they ran, so the two lists are
    each in order, but not interleaved)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.driver: list[str] = []

    def __call__(self, record: Any) -> None:  # asyncpg's query logger
        self.driver.append(record.query)

    async def take(self) -> tuple[list[str], list[str]]:
        await asyncio.sleep(0)  # the logger's last reports
        taken = self.statements, self.driver
        self.statements, self.driver = [], []
        return taken


@pytest.fixture
async def sent_and_db(settings: Settings) -> AsyncIterator[tuple[Sent, Database]]:
    sent = Sent()
    db = create_database(settings)

    @event.listens_for(db.engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(sent)

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def log_statement(*args: Any) -> None:
        sent.statements.append(args[2])  # (connection, cursor, statement, …)

    try:
        yield sent, db
    finally:
        await db.dispose()


async def test_postgres_core_read_sends_a_ping_and_its_statements_only(
    sent_and_db: tuple[Sent, Database],
) -> None:
    """A connection just made is not pinged, as with ``pool_pre_ping``: it has just answered.
    (The pool's retry after a failed ping is a new connection; a ping failing there would
    escape as an error that does not say the database is away.) Afterwards each checkout sends
    one ``;``, and the read its statements: no BEGIN, no ROLLBACK."""
    sent, db = sent_and_db
    async with db.connect() as connection:
        await connection.execute(text("SELECT 1"))
    statements, driver = await sent.take()
    assert statements == ["SELECT 1"]
    assert ";" not in driver  # (SQLAlchemy's set-up queries of a new connection may be there)
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT 2 AS two"))).scalar() == 2
        assert (await connection.execute(text("SELECT 3 AS three"))).scalar() == 3
    assert await sent.take() == (["SELECT 2 AS two", "SELECT 3 AS three"], [";"])


async def test_postgres_write_after_an_autocommit_read_is_one_transaction(
    sent_and_db: tuple[Sent, Database],
) -> None:
    """The pool's only connection serves an autocommit read, then writes: they get a real
    transaction again (a rolled-back insert is gone), on the same backend."""
    sent, db = sent_and_db
    async with db.connect() as connection:
        pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
    async with db.write() as session:
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar() == pid
        await session.execute(text("CREATE TEMPORARY TABLE scratch (n int)"))
        await session.execute(text("INSERT INTO scratch VALUES (1)"))
        await session.commit()
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT pg_backend_pid()"))).scalar() == pid
    await sent.take()
    async with db.write() as session:
        await session.execute(text("INSERT INTO scratch VALUES (2)"))
        await session.rollback()
    statements, driver = await sent.take()
    assert statements == ["INSERT INTO scratch VALUES (2)"]
    assert len(driver) == 3
    assert driver[0] == ";"
    assert driver[1].startswith("BEGIN")  # (the isolation level reset names READ COMMITTED)
    assert driver[2] == "ROLLBACK;"
    async with db.connect() as connection:  # the temporary table: still that backend
        assert (await connection.execute(text("SELECT sum(n) FROM scratch"))).scalar() == 1


async def test_postgres_connection_killed_in_the_pool_is_replaced_on_checkout(
    settings: Settings, sent_and_db: tuple[Sent, Database]
) -> None:
    _, db = sent_and_db
    async with db.connect() as first, db.connect() as second:  # two connections in the pool
        pids = {
            (await first.execute(text("SELECT pg_backend_pid()"))).scalar(),
            (await second.execute(text("SELECT pg_backend_pid()"))).scalar(),
        }
    assert len(pids) == 2
    for pid in pids:  # (waiting up to 5 s for each backend to be gone)
        await _admin(settings.database_url, f"SELECT pg_terminate_backend({pid}, 5000)")
    async with db.connect() as first, db.connect() as second:
        now = {
            (await first.execute(text("SELECT pg_backend_pid()"))).scalar(),
            (await second.execute(text("SELECT pg_backend_pid()"))).scalar(),
        }
    assert len(now) == 2
    assert not now & pids
    async with db.write() as session:  # and writes find live connections too
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
