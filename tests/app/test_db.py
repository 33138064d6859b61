"""What the database layer sends to PostgreSQL: SQLAlchemy's statements (``before_cursor_execute``)
and asyncpg's own queries (its query logger: BEGIN, ROLLBACK, the ping), each list in order. A
Core read is its own statements — no BEGIN, no ROLLBACK —, after a one-statement ping when its
connection was idle in the pool for a while or its last statement failed; a write on the same
connection afterwards is still one transaction; and a connection that died in the pool is
replaced before anything runs on it, unless it died a moment after its last use and asyncpg has
not yet read the end of its socket."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

import app.db
from app.db import Database, create_database
from app.errors import is_unavailable
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


@contextlib.asynccontextmanager
async def logged(settings: Settings) -> AsyncIterator[tuple[Sent, Database]]:
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


@pytest.fixture
async def sent_and_db(settings: Settings) -> AsyncIterator[tuple[Sent, Database]]:
    async with logged(settings) as sent_and_db:
        yield sent_and_db


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the ping's bypass window: long, so that a slow host still checks out within it;
    short, so that a test need not wait half a second to be past it."""

    def set_window(seconds: float) -> None:
        monkeypatch.setattr(app.db, "PING_AFTER_IDLE_SECONDS", seconds)

    return set_window


async def test_postgres_core_read_pings_only_a_connection_idle_for_a_while(
    sent_and_db: tuple[Sent, Database], window: Callable[[float], None]
) -> None:
    """A connection just made is not pinged, as with ``pool_pre_ping``: it has just answered.
    (The pool's retry after a failed ping is a new connection; a ping failing there would
    escape as an error that does not say the database is away.) Nor is one back in the pool
    within the bypass window. One idle for longer gets one ``;``; and a read sends its
    statements only: no BEGIN, no ROLLBACK."""
    sent, db = sent_and_db
    window(60.0)
    async with db.connect() as connection:
        await connection.execute(text("SELECT 1"))
    statements, driver = await sent.take()
    assert statements == ["SELECT 1"]
    assert ";" not in driver  # (SQLAlchemy's set-up queries of a new connection may be there)
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT 2 AS two"))).scalar() == 2
    assert await sent.take() == (["SELECT 2 AS two"], [])
    window(0.05)
    await asyncio.sleep(0.1)
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT 3 AS three"))).scalar() == 3
        assert (await connection.execute(text("SELECT 4 AS four"))).scalar() == 4
    assert await sent.take() == (["SELECT 3 AS three", "SELECT 4 AS four"], [";"])


async def test_postgres_statement_timed_out_replaces_its_connection(
    settings: Settings, window: Callable[[float], None]
) -> None:
    """A statement that timed out (as in a network partition, where no end of socket ever comes
    to say the connection is dead) is answered 503, and its connection is not handed out again,
    even within the window: asyncpg closed it."""
    window(60.0)
    async with logged(settings.model_copy(update={"db_statement_timeout_seconds": 0.2})) as (
        _,
        db,
    ):
        async with db.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
        async with db.connect() as connection:
            with pytest.raises(TimeoutError) as timed_out:
                await connection.execute(text("SELECT pg_sleep(2)"))
        assert is_unavailable(timed_out.value)
        async with db.connect() as connection:
            assert (await connection.execute(text("SELECT pg_backend_pid()"))).scalar() != pid


async def test_postgres_write_after_an_autocommit_read_is_one_transaction(
    sent_and_db: tuple[Sent, Database], window: Callable[[float], None]
) -> None:
    """The pool's only connection serves an autocommit read, then writes: they get a real
    transaction again (a rolled-back insert is gone), on the same backend."""
    sent, db = sent_and_db
    window(60.0)
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
    assert len(driver) == 2  # (no ping: the connection is back from the read a moment ago)
    assert driver[0].startswith("BEGIN")  # (the isolation level reset names READ COMMITTED)
    assert driver[1] == "ROLLBACK;"
    async with db.connect() as connection:  # the temporary table: still that backend
        assert (await connection.execute(text("SELECT sum(n) FROM scratch"))).scalar() == 1


async def _two_pooled_backends(db: Database) -> set[int]:
    """The backends of two connections checked out at once (both back in the pool after)."""
    async with db.connect() as first, db.connect() as second:
        pids = {
            (await first.execute(text("SELECT pg_backend_pid()"))).scalar(),
            (await second.execute(text("SELECT pg_backend_pid()"))).scalar(),
        }
    assert len(pids) == 2
    return pids


async def _terminate(url: str, pids: set[int]) -> None:
    for pid in pids:  # (waiting up to 5 s for each backend to be gone)
        await _admin(url, f"SELECT pg_terminate_backend({pid}, 5000)")


def _terminate_unnoticed(url: str, pids: set[int]) -> None:
    """Terminate the backends while this event loop is blocked: asyncpg has not yet read the
    end of their sockets."""
    thread = threading.Thread(target=asyncio.run, args=(_terminate(url, pids),))
    thread.start()
    thread.join()


async def test_postgres_connection_closed_by_the_database_is_replaced_without_a_ping(
    settings: Settings, sent_and_db: tuple[Sent, Database], window: Callable[[float], None]
) -> None:
    """Backends terminated a moment after their last use (within the ping's bypass window):
    asyncpg already knows their sockets are closed, and the pool replaces them unasked."""
    sent, db = sent_and_db
    window(60.0)
    pids = await _two_pooled_backends(db)
    await _terminate(settings.database_url, pids)
    await sent.take()
    assert not await _two_pooled_backends(db) & pids
    assert ";" not in (await sent.take())[1]
    async with db.write() as session:  # and writes find live connections too
        assert (await session.execute(text("SELECT 1"))).scalar() == 1


async def test_postgres_connection_dead_unnoticed_and_idle_is_pinged_and_replaced(
    settings: Settings, sent_and_db: tuple[Sent, Database], window: Callable[[float], None]
) -> None:
    _, db = sent_and_db
    window(0.05)
    pids = await _two_pooled_backends(db)
    await asyncio.sleep(0.1)
    _terminate_unnoticed(settings.database_url, pids)
    assert not await _two_pooled_backends(db) & pids


async def test_postgres_connection_dead_unnoticed_a_moment_after_use_fails_one_read(
    settings: Settings, sent_and_db: tuple[Sent, Database], window: Callable[[float], None]
) -> None:
    """The price of the bypass window (docs/decisions/0052): a connection the database closed a
    moment after its last use, before the event loop read the end of its socket, is handed out
    unpinged, and its read fails as a lost connection (what the gateway answers 503). That
    failure replaces every connection of the pool: the next read, on the other connection —
    alive, and within the window — is answered by a new backend."""
    _, db = sent_and_db
    window(60.0)
    async with db.connect() as older:
        older_pid = (await older.execute(text("SELECT pg_backend_pid()"))).scalar()
        async with db.connect() as newer:
            newer_pid = (await newer.execute(text("SELECT pg_backend_pid()"))).scalar()
    # The pool hands its connections out in the order they came back: ``newer`` first.
    _terminate_unnoticed(settings.database_url, {newer_pid})
    with pytest.raises(DBAPIError) as failed:
        async with db.connect() as connection:
            await connection.execute(text("SELECT pg_backend_pid()"))
    assert failed.value.connection_invalidated
    assert is_unavailable(failed.value)
    async with db.connect() as connection:
        now = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
    assert now not in (older_pid, newer_pid)
