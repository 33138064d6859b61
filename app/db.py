"""Engine and sessionmaker factories. Nothing is created at import time.

SQLite runs in WAL mode with a busy timeout, and write transactions start with ``BEGIN IMMEDIATE``
so that two writers queue on the busy timeout instead of failing with "database is locked" when a
deferred transaction tries to upgrade its read lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app import metrics
from app.settings import Settings

_BEGIN_OPTION = "vendo_sqlite_begin"
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

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.db_busy_timeout_ms / 1000},
            **JSON_CODEC,
        )
        _configure_sqlite(engine, settings.db_busy_timeout_ms)
        return engine
    timeout = settings.db_connect_timeout_seconds
    return create_async_engine(
        settings.database_url,
        **JSON_CODEC,
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,  # a connection that died while the database was away is replaced
        pool_timeout=timeout,
        connect_args={
            "timeout": timeout,
            "command_timeout": 15,
            "server_settings": {"timezone": "UTC"},
        },
    )


def create_database(settings: Settings) -> Database:
    engine = create_engine(settings)
    _track_pool(engine)
    writer = engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
    return Database(
        engine=engine,
        read=async_sessionmaker(engine, expire_on_commit=False),
        write=async_sessionmaker(writer, expire_on_commit=False),
    )


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


def _track_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauge current (each worker writes its own; /metrics sums them). Counted
    from the events rather than read from the pool: "checkin" fires before the connection is
    back in the pool, so the pool's own counts lag by one there."""
    checked_out = metrics.DB_POOL.labels("checked_out")
    idle = metrics.DB_POOL.labels("idle")

    def on_checkout(*_: Any) -> None:
        checked_out.inc()
        idle.set(max(engine.sync_engine.pool.checkedin(), 0))  # type: ignore[attr-defined]

    def on_checkin(*_: Any) -> None:
        checked_out.dec()
        idle.inc()

    event.listen(engine.sync_engine, "checkout", on_checkout)
    event.listen(engine.sync_engine, "checkin", on_checkin)
