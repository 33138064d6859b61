"""Engine and sessionmaker factories. Nothing is created at import time.

SQLite runs in WAL mode with a busy timeout, and write transactions start with ``BEGIN IMMEDIATE``
so that two writers queue on the busy timeout instead of failing with "database is locked" when a
deferred transaction tries to upgrade its read lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import event, exc, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

from app import outage_latch
from app.settings import Settings
from app.sqlite_speedups import one_hop_module
from app.web import metrics

_BEGIN_OPTION = "vendo_sqlite_begin"
_FRESH = "vendo_fresh"  # in a pool record's info: its connection was just made, not yet pinged
_RETURNED = "vendo_returned"  # in a pool record's info: when its connection came back (monotonic)
# A pooled connection back for less than this is handed out without a ping (``_ping_on_checkout``).
PING_AFTER_IDLE_SECONDS = 0.5
# JSON columns through orjson: several times faster than the json module on every catalog row.
JSON_CODEC: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
}


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    read: async_sessionmaker[AsyncSession]
    write: async_sessionmaker[AsyncSession]
    # What ``connect`` opens: ``engine`` in autocommit (PostgreSQL), or an engine of its own
    # whose connections are all in autocommit (a SQLite file).
    reader: AsyncEngine

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine with its own pool: what to listen to for every statement sent."""
        if self.reader.sync_engine.pool is self.engine.sync_engine.pool:
            return (self.engine,)
        return (self.engine, self.reader)

    def connect(self) -> AsyncConnection:
        """A connection for Core reads (``async with db.connect() as connection``), in
        autocommit: each statement is its own snapshot, as under READ COMMITTED inside a
        transaction, so a read-only transaction would only add its BEGIN and ROLLBACK — two
        round trips per connection on PostgreSQL, and on SQLite four of the driver's thread hops
        of a one-statement read's eight (docs/decisions/0135). Lighter than a ``read`` session:
        hot listings use it."""
        return self.reader.connect()

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()


def create_engine(settings: Settings, *, autocommit: bool = False) -> AsyncEngine:
    """The engine of ``settings``; ``autocommit`` (SQLite): every connection in autocommit,
    no BEGIN ever sent and no rollback when it goes back to the pool — for reads only."""
    if settings.is_sqlite:
        options: dict[str, Any] = (
            {"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
            if autocommit
            else {}
        )
        if not sqlite_in_memory(settings):  # in memory: one connection, SQLAlchemy's StaticPool
            options.update(_kept_pool(settings))
        if settings.speedups:
            options["module"] = one_hop_module()  # one thread hop per statement (0165)
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.db_busy_timeout_ms / 1000},
            **JSON_CODEC,
            **options,
        )
        _configure_sqlite(engine, settings.db_busy_timeout_ms, begin=not autocommit)
        return engine
    timeout = settings.db_connect_timeout_seconds
    engine = create_async_engine(
        settings.database_url,
        **JSON_CODEC,
        **_kept_pool(settings),
        pool_timeout=timeout,
        connect_args={
            "timeout": timeout,
            "command_timeout": settings.db_statement_timeout_seconds,
            "server_settings": {"timezone": "UTC"},
        },
    )
    _ping_on_checkout(engine)
    return engine


def _kept_pool(settings: Settings) -> dict[str, Any]:
    """Up to ``VENDO_DB_POOL_SIZE`` connections, each opened when first needed and then kept; a
    request finding them all busy waits for one. No overflow: SQLAlchemy's overflow connections
    are closed as they come back, so a worker busier than its pool opened and closed a connection
    per request — on SQLite a thread, the file and its pragmas; on PostgreSQL a login
    (docs/decisions/0164)."""
    return {"pool_size": settings.pool_size, "max_overflow": 0}


def create_database(settings: Settings) -> Database:
    """Core reads in autocommit (``Database.connect`` says why): on PostgreSQL an option of the
    connection; on a SQLite file a pool of its own, since SQLite's ``do_rollback`` cannot tell
    those connections from the others (we take BEGIN from the driver on all of them). An
    in-memory SQLite database is one per engine: there reads share the engine and its
    transactions."""
    engine = create_engine(settings)
    if not settings.is_sqlite:
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    elif sqlite_in_memory(settings):
        reader = engine
    else:
        reader = create_engine(settings, autocommit=True)
    _track_pool(engine, reader)
    writer = engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
    return Database(
        engine=engine,
        read=async_sessionmaker(engine, expire_on_commit=False),
        write=async_sessionmaker(writer, expire_on_commit=False),
        reader=reader,
    )


def _ping_on_checkout(engine: AsyncEngine) -> None:
    """What ``pool_pre_ping`` does, for less: a connection that died while the database was away
    is found when the pool hands it out, and every connection older than it is replaced.

    - A connection the database closed (a restart, ``pg_terminate_backend``, an idle timeout)
      is known closed to asyncpg as soon as the event loop has read the end of its socket: it is
      replaced without a round trip.
    - A connection back in the pool for less than ``PING_AFTER_IDLE_SECONDS`` is handed out as
      it is, as HikariCP (``aliveBypassWindowMs``, 500 ms) and pgx (idle over 1 s) do: it
      answered a moment ago, and under load every checkout is such a one. What is given up:
      a connection the database closed a moment after its last use, before the event loop read
      the end of its socket, fails its next statement instead of its ping, and that failure
      replaces the pool's connections, as a failed ping would; in a network partition (no end
      of socket ever comes), a connection used in the half second before it began waits for
      the statement timeout instead of the ping's, the same 5 s, and asyncpg then closes it.
    - Any other is pinged: one ``;``, where SQLAlchemy's asyncpg ping wraps it in BEGIN and
      ROLLBACK (for PgBouncer's transaction mode, sqlalchemy#10226), three round trips.
    - A connection just made is left alone, as the pre-ping leaves it: the pool's second try
      after a failed ping is a new connection, whose own failure would be an error no longer
      recognised as the database being away.

    A pool ``checkout`` listener that raises ``DisconnectionError`` is SQLAlchemy's documented
    way to have a connection replaced on checkout; it runs before the pool gauge's listener."""
    dialect = engine.sync_engine.dialect

    def made(_dbapi_connection: Any, record: Any) -> None:
        record.info[_FRESH] = True  # the record's info is cleared when its connection goes

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop(_FRESH, False):
            return
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the database closed this connection")
        if time.monotonic() - record.info.get(_RETURNED, 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.ping()
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error
            raise
        finally:
            dbapi_connection.autocommit = False

    event.listen(engine.sync_engine, "connect", made)
    event.listen(engine.sync_engine, "checkin", returned)
    event.listen(engine.sync_engine, "checkout", ping)


def sqlite_in_memory(settings: Settings) -> bool:
    database = make_url(settings.database_url).database
    return not database or database == ":memory:" or "mode=memory" in database


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int, *, begin: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor, busy_timeout_ms)
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if not begin:
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        begin = connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN")
        if begin == "BEGIN":
            connection.exec_driver_sql(begin)
        else:
            _wait_for_write_lock(connection, begin, busy_timeout_ms)


def _switch_to_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """``PRAGMA journal_mode=WAL``, retried while the file is busy. A file not in WAL yet (new, or
    never migrated) is switched under an exclusive lock; two connections switching it at the same
    moment deadlock, and SQLite answers one of them "database is locked" at once rather than
    calling its busy handler. Once the file is in WAL (it stays so), this is one statement."""
    _while_busy(lambda: cursor.execute("PRAGMA journal_mode=WAL"), busy_timeout_ms)


def _wait_for_write_lock(connection: Connection, begin: str, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE``, with the wait for the write lock in asyncio rather than in SQLite.

    SQLite's busy handler sleeps inside the driver's thread, where neither a cancelled task nor
    ``sqlite3_interrupt`` can end it, so an operation past its execution timeout would still hold
    its request for the whole busy timeout. Here each attempt fails at once (busy_timeout=0).
    """
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        _while_busy(lambda: connection.exec_driver_sql(begin), busy_timeout_ms)
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def _while_busy(attempt: Callable[[], object], busy_timeout_ms: int) -> None:
    """Run ``attempt`` until SQLite stops answering SQLITE_BUSY or the busy timeout is spent.
    The retries sleep on the event loop (we run in SQLAlchemy's greenlet, hence
    ``await_only``), backing off like SQLite's own handler."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.001
    while True:
        try:
            attempt()
            return
        except (sqlite3.OperationalError, OperationalError) as error:
            code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
            remaining = deadline - time.monotonic()
            if code != sqlite3.SQLITE_BUSY or remaining <= 0:
                raise
            await_only(asyncio.sleep(min(delay, remaining)))
            delay = min(delay * 2, 0.05)


def _track_pool(*engines: AsyncEngine) -> None:
    """Keep the pool gauge current over the engines' pools (each worker writes its own;
    /metrics sums them). Counted
    from the events rather than read from the pool: "checkin" fires before the connection is
    back in the pool, so the pool's own counts lag by one there. The records checked out are
    remembered, because a checkout whose connection fails its ping or is found closed (the
    database went away) is checked in without this "checkout" listener ever having run."""
    checked_out = metrics.DB_POOL.labels("checked_out")
    idle = metrics.DB_POOL.labels("idle")
    held: set[int] = set()
    pools = list({id(e.sync_engine.pool): e.sync_engine.pool for e in engines}.values())

    def on_checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        outage_latch.DATABASE.recovered()
        held.add(id(record))
        checked_out.set(len(held))
        idle.set(sum(max(pool.checkedin(), 0) for pool in pools))  # type: ignore[attr-defined]

    def on_checkin(_dbapi: Any, record: Any) -> None:
        if id(record) in held:
            held.discard(id(record))
            checked_out.set(len(held))
        idle.inc()

    for pool in pools:
        event.listen(pool, "checkout", on_checkout)
        event.listen(pool, "checkin", on_checkin)
