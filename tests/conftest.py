"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL when
``VENDO_TEST_POSTGRES_URL`` is set), a Redis key prefix per test when ``VENDO_TEST_REDIS_URL`` is
set, the app built by its factory with its lifespan running, and an HTTP client over ASGI."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel
from starlette.applications import Starlette

import app.models
from app.db import create_database
from app.factory import create_app
from app.migrations import upgrade
from app.repositories import accounts
from app.runtime import Runtime
from app.seed import seed_demo
from app.services.auth import create_session
from app.settings import Settings
from tests.support.clock import FROZEN_NOW, freeze_utcnow
from tests.upstream import Upstream

POSTGRES_URL = os.environ.get("VENDO_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("VENDO_TEST_REDIS_URL")
JWT_SECRET = "test-secret-that-is-long-enough-for-hs256!"

needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="VENDO_TEST_POSTGRES_URL is not set (PostgreSQL tests run in .ci/run)"
)
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="VENDO_TEST_REDIS_URL is not set (Redis tests run in .ci/run)"
)


def _asyncpg_url(url: str, database: str) -> str:
    base = url.replace("postgresql+asyncpg://", "postgresql://")
    return base.rsplit("/", 1)[0] + f"/{database}"


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_url(url, url.rsplit("/", 1)[1] or "postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per run: a template file on SQLite, a unique database on
    PostgreSQL (dropped at the end)."""
    if POSTGRES_URL:
        name = f"vendo_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
        url = _asyncpg_url(POSTGRES_URL, name).replace("postgresql://", "postgresql+asyncpg://")
        upgrade(url)
        yield url
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))
        return
    template = tmp_path_factory.mktemp("template") / "vendo.db"
    upgrade(f"sqlite+aiosqlite:///{template}")
    yield str(template)


Snapshot = dict[str, tuple[list[str], list[Any]]]
TABLES = [table.name for table in SQLModel.metadata.sorted_tables]


async def _pg(url: str) -> Any:
    import asyncpg

    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))


async def _pg_snapshot(url: str) -> Snapshot:
    """Every row of every table, to restore the demo data without seeding it again."""
    connection = await _pg(url)
    try:
        snapshot: Snapshot = {}
        for table in TABLES:
            records = await connection.fetch(f'SELECT * FROM "{table}"')
            snapshot[table] = (list(records[0].keys()) if records else [], records)
        return snapshot
    finally:
        await connection.close()


async def _pg_reset(url: str, snapshot: Snapshot | None) -> None:
    """Empty every table, then (for the demo data) copy the snapshot back in."""
    connection = await _pg(url)
    try:
        names = ", ".join(f'"{t}"' for t in TABLES)
        await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        if snapshot:
            await _pg_fill(connection, snapshot)
    finally:
        await connection.close()


async def _pg_fill(connection: Any, snapshot: Snapshot) -> None:
    """Copy the snapshot's rows into empty tables."""
    # The rollup is restored with the events it sums: its triggers must not add them again.
    await connection.execute("SET session_replication_role = replica")
    for table, (columns, records) in snapshot.items():
        if records:
            await connection.copy_records_to_table(table, records=records, columns=columns)
    await connection.execute("SET session_replication_role = DEFAULT")
    for table in ("usage_events", "change_events"):  # the tables with serial ids
        if snapshot[table][1]:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )


async def _seed(url: str) -> None:
    database = create_database(Settings(database_url=url))
    async with database.write() as session, session.begin():
        await seed_demo(session)
    await database.dispose()


@pytest.fixture(scope="session")
def demo_template(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite only: the migrated template with the demo data, seeded once per run (copying a
    file is much cheaper than seeding every test)."""
    target = tmp_path_factory.mktemp("demo") / "vendo.db"
    shutil.copyfile(migrated_database, target)
    # Requested from inside a running event loop: seed on a thread with a loop of its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed(f"sqlite+aiosqlite:///{target}")).result()
    return str(target)


@pytest.fixture(scope="session")
def pg_demo_snapshot(migrated_database: str) -> Snapshot:
    """PostgreSQL only: the demo data, seeded once per run and kept as rows."""

    async def build() -> Snapshot:
        await _pg_reset(migrated_database, None)
        await _seed(migrated_database)
        return await _pg_snapshot(migrated_database)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, build()).result()


@pytest.fixture
async def database_url(migrated_database: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database of the test's own (``demo`` fills it)."""
    if POSTGRES_URL:
        await _pg_reset(migrated_database, None)
        yield migrated_database
        return
    target = tmp_path / "vendo.db"
    shutil.copyfile(migrated_database, target)
    yield f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"vendo-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    if REDIS_URL:
        import redis.asyncio as redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or with ``pytest.mark.parametrize`` indirect) to tune settings."""
    return {}


@pytest.fixture
def settings(database_url: str, redis_prefix: str, settings_overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_prefix": redis_prefix,
        "jwt_secret": JWT_SECRET,
    }
    if REDIS_URL:
        values["cache_url"] = REDIS_URL
        values["rate_limit_storage"] = REDIS_URL
    return Settings(**{**values, **settings_overrides})


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: Starlette) -> Runtime:
    return app.state.runtime  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
def demo_data(migrated_database: str, request: pytest.FixtureRequest) -> str | Snapshot:
    """The demo data, made once per run: a seeded SQLite file, or PostgreSQL rows."""
    if POSTGRES_URL:
        return request.getfixturevalue("pg_demo_snapshot")  # type: ignore[no-any-return]
    return request.getfixturevalue("demo_template")  # type: ignore[no-any-return]


@pytest.fixture
async def demo(database_url: str, demo_data: str | Snapshot) -> None:
    """The demo catalog, workspace, connections and usage history, copied into the test's empty
    database (SQLite's backup of the seeded file; PostgreSQL's rows). Ask for it before any
    fixture that writes to the database: what they wrote would be lost, so that is refused."""
    if isinstance(demo_data, str):
        await asyncio.to_thread(_sqlite_fill, database_url.split("///", 1)[1], demo_data)
        return
    connection = await _pg(database_url)
    try:
        counts = " UNION ALL ".join(f'SELECT count(*) FROM "{t}"' for t in TABLES)
        assert await connection.fetchval(f"SELECT sum(count) FROM ({counts}) AS c") == 0, UNTOUCHED
        await _pg_fill(connection, demo_data)
    finally:
        await connection.close()


UNTOUCHED = "request `demo` before any fixture that writes to the database"


def _sqlite_fill(target: str, source: str) -> None:
    with closing(sqlite3.connect(target)) as into, closing(sqlite3.connect(source)) as seeded:
        for table in TABLES:
            assert into.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,), UNTOUCHED
        seeded.backup(into)


@dataclass
class Sessions:
    runtime: Runtime

    async def create(self, email: str, *, staff: bool = False) -> str:
        async with self.runtime.db.write() as session, session.begin():
            user = await accounts.ensure_user(session=session, email=email, staff=staff)
            token, _ = await create_session(
                db=session, settings=self.runtime.settings, user_id=user.id
            )
        return token


@pytest.fixture
def sessions(runtime: Runtime) -> Sessions:
    return Sessions(runtime)


def session_headers(token: str) -> dict[str, str]:
    return {"Cookie": f"vendo_session={token}"}


@pytest.fixture
async def demo_headers(demo: None, sessions: Sessions) -> dict[str, str]:
    """Request headers carrying a session of the demo user."""
    return session_headers(await sessions.create("demo@vendo.local"))


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
async def slow_upstream() -> AsyncIterator[Upstream]:
    """OpenRouter's models API answering a good (empty) catalog 5 s late: a slow upstream for
    real, on 127.0.0.1."""
    server = Upstream({"data": []})
    server.answer(delay=5.0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every ``utcnow()`` of the gateway answers FROZEN_NOW (Saturday 31 May 2025, 10:00 UTC)."""
    return freeze_utcnow(monkeypatch, FROZEN_NOW)
