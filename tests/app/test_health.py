"""/healthz and /readyz as an operator's probes see them: the exact bodies, 503 naming the failing
check (migrations behind, database gone, Redis gone) within a bounded time, no credentials and no
rate limit needed, and nothing in the log at INFO."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from app.factory import create_app
from app.migrations import head_revision
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import REDIS_URL, needs_redis

PROBES = ("/healthz", "/readyz", "/metrics")
CLOSED_PORT = "127.0.0.1:1"  # nothing listens on port 1: connections are refused at once
# The longest an operator's probe may wait for /readyz when a dependency is down or silent
# (the gateway's own check timeout is 2 s; a kubelet's default probe timeout is 1 s to 10 s).
READY_WITHIN_SECONDS = 4.0
MEMORY = {"cache_url": "memory://", "rate_limit_storage": "memory://"}


# --------------------------------------------------------------------------------------------
# Helpers


def aiosqlite_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def aiosqlite_threads_stopped(started_before: set[threading.Thread]) -> None:
    """aiosqlite stops the worker thread of a connection that failed to open without awaiting
    it; the thread then reports to this test's event loop, which must still be running (else the
    thread fails, and pytest blames whichever test runs next). Waits up to 5 s for the threads
    started since ``started_before`` to end."""
    for _ in range(500):
        if not aiosqlite_threads() - started_before:
            return
        await asyncio.sleep(0.01)


@asynccontextmanager
async def gateway(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Another gateway built by the factory with its lifespan running, on changed settings."""
    threads = aiosqlite_threads()
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 50002))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    await aiosqlite_threads_stopped(threads)


@asynccontextmanager
async def silent_listener() -> AsyncIterator[int]:
    """A port on 127.0.0.1 that accepts connections and never answers (a dead network path)."""
    held: list[asyncio.StreamWriter] = []
    never = asyncio.Event()

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await never.wait()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        never.set()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def timed_get(http: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await http.get(path)
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, failing: dict[str, str]) -> None:
    """503, status "unavailable", and each failing check named with a reason (not "ok")."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "unavailable"
    for check, reason in failing.items():
        assert check in body["checks"], body
        assert body["checks"][check] != "ok", body
        assert reason in body["checks"][check], body
    assert all(value == "ok" for name, value in body["checks"].items() if name not in failing)


async def set_alembic_version(runtime: Runtime, version: str | None) -> None:
    async with runtime.db.write() as session, session.begin():
        await session.execute(text("DELETE FROM alembic_version"))
        if version is not None:
            await session.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version}
            )


@pytest.fixture
async def restore_head(runtime: Runtime) -> AsyncIterator[None]:
    """The PostgreSQL test database is shared by the run: put the head revision back."""
    yield
    await set_alembic_version(runtime, head_revision())


def rejections() -> float:
    return (
        REGISTRY.get_sample_value("vendo_rate_limit_rejections_total", {"limit": "integration"})
        or 0.0
    )


def all_unreachable(tmp_path: Path) -> dict[str, str]:
    """Settings with the database, the cache and the rate-limit storage all out of reach."""
    return {
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/missing/vendo.db",
        "cache_url": f"redis://{CLOSED_PORT}/0",
        "rate_limit_storage": f"redis://{CLOSED_PORT}/0",
    }


# --------------------------------------------------------------------------------------------
# /healthz


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


async def test_healthz_answers_while_the_database_and_redis_are_unreachable(
    settings: Settings, tmp_path: Path
) -> None:
    """Liveness is the process only: a dead dependency must not get the process restarted."""
    async with gateway(settings, **all_unreachable(tmp_path)) as http:
        response, elapsed = await timed_get(http, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert elapsed < 1.0


# --------------------------------------------------------------------------------------------
# /readyz: ready


async def test_readyz_ready_on_a_migrated_database(settings: Settings) -> None:
    async with gateway(settings, **MEMORY) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_ready_on_the_demo_database(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    expected = {"database": "ok"}
    if REDIS_URL:
        expected |= {"cache": "ok", "rate_limits": "ok"}
    assert response.json() == {"status": "ready", "checks": expected}


@needs_redis
async def test_readyz_with_redis_configured_checks_cache_and_rate_limits(
    settings: Settings,
) -> None:
    assert REDIS_URL is not None
    async with gateway(settings, cache_url=REDIS_URL, rate_limit_storage=REDIS_URL) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "rate_limits": "ok"},
    }


@needs_redis
async def test_readyz_with_only_the_cache_on_redis_checks_the_cache_only(
    settings: Settings,
) -> None:
    assert REDIS_URL is not None
    async with gateway(settings, cache_url=REDIS_URL, rate_limit_storage="memory://") as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


# --------------------------------------------------------------------------------------------
# /readyz: migrations not at head


@pytest.mark.parametrize("version", ["0000_older", None], ids=["older", "missing"])
async def test_readyz_migrations_not_at_head_is_503(
    client: httpx.AsyncClient, runtime: Runtime, restore_head: None, version: str | None
) -> None:
    await set_alembic_version(runtime, version)
    response, elapsed = await timed_get(client, "/readyz")
    assert_unavailable(response, {"database": "head"})
    assert elapsed < READY_WITHIN_SECONDS
    # Back at head, ready again without a restart.
    await set_alembic_version(runtime, head_revision())
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


async def test_readyz_unmigrated_database_is_503(settings: Settings, tmp_path: Path) -> None:
    """An empty SQLite file (the schema never created) is not ready, and says what to do."""
    empty = tmp_path / "empty.db"
    empty.touch()
    async with gateway(settings, database_url=f"sqlite+aiosqlite:///{empty}", **MEMORY) as http:
        response, elapsed = await timed_get(http, "/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "not migrated (run vendo-gateway migrate)"},
    }
    assert elapsed < READY_WITHIN_SECONDS


async def test_unmigrated_database_answers_503_unavailable_in_each_envelope(
    settings: Settings, tmp_path: Path
) -> None:
    """Requests on a database that was never migrated: 503 UNAVAILABLE, not 500 INTERNAL."""
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    async with gateway(settings, database_url=empty, **MEMORY) as http:
        flat = await http.get("/api/integrations")
        string = await http.get("/api/tools/hermes")
        graphql = await http.post("/graphql", json={"query": "{ integrations { totalCount } }"})
    assert (flat.status_code, flat.json()) == (503, {"message": "Service unavailable"})
    assert (string.status_code, string.json()) == (503, {"error": "Service unavailable"})
    assert graphql.json() == {
        "data": None,
        "errors": [
            {
                "message": "Service unavailable",
                "locations": [{"line": 1, "column": 3}],
                "path": ["integrations"],
                "extensions": {"code": "UNAVAILABLE"},
            }
        ],
    }


# --------------------------------------------------------------------------------------------
# /readyz: database unreachable


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("sqlite+aiosqlite:///{tmp}/no-such-directory/vendo.db", id="sqlite-no-dir"),
        pytest.param(f"postgresql+asyncpg://postgres@{CLOSED_PORT}/vendo", id="postgres-closed"),
    ],
)
async def test_readyz_database_unreachable_is_503_quickly(
    settings: Settings, tmp_path: Path, database_url: str
) -> None:
    async with gateway(settings, database_url=database_url.format(tmp=tmp_path), **MEMORY) as http:
        response, elapsed = await timed_get(http, "/readyz")
        # A second probe during the same outage answers the same, just as fast.
        again, elapsed_again = await timed_get(http, "/readyz")
    assert_unavailable(response, {"database": "unreachable"})
    assert_unavailable(again, {"database": "unreachable"})
    assert elapsed < READY_WITHIN_SECONDS
    assert elapsed_again < READY_WITHIN_SECONDS


async def test_readyz_database_that_never_answers_is_503_within_the_bound(
    settings: Settings,
) -> None:
    """A PostgreSQL address that accepts connections and never answers (a dead network path)."""
    async with silent_listener() as port:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/vendo"
        async with gateway(settings, database_url=url, **MEMORY) as http:
            response, elapsed = await timed_get(http, "/readyz")
    assert_unavailable(response, {"database": "unreachable"})
    assert elapsed < READY_WITHIN_SECONDS


# --------------------------------------------------------------------------------------------
# /readyz: Redis unreachable


@pytest.mark.parametrize(
    ("overrides", "failing"),
    [
        pytest.param(
            {"cache_url": f"redis://{CLOSED_PORT}/0", "rate_limit_storage": "memory://"},
            {"cache": "unreachable"},
            id="cache",
        ),
        pytest.param(
            {"cache_url": "memory://", "rate_limit_storage": f"redis://{CLOSED_PORT}/0"},
            {"rate_limits": "unreachable"},
            id="rate-limits",
        ),
        pytest.param(
            {
                "cache_url": f"redis://{CLOSED_PORT}/0",
                "rate_limit_storage": f"redis://{CLOSED_PORT}/0",
            },
            {"cache": "unreachable", "rate_limits": "unreachable"},
            id="both",
        ),
    ],
)
async def test_readyz_redis_unreachable_is_503_quickly(
    settings: Settings, overrides: dict[str, str], failing: dict[str, str]
) -> None:
    async with gateway(settings, **overrides) as http:
        response, elapsed = await timed_get(http, "/readyz")
    assert_unavailable(response, failing)
    assert response.json()["checks"]["database"] == "ok"
    assert set(response.json()["checks"]) == {"database", *failing}
    assert elapsed < READY_WITHIN_SECONDS


async def test_readyz_redis_that_never_answers_is_503_within_the_bound(
    settings: Settings,
) -> None:
    async with silent_listener() as port:
        redis_url = f"redis://127.0.0.1:{port}/0"
        async with gateway(settings, cache_url=redis_url, rate_limit_storage=redis_url) as http:
            response, elapsed = await timed_get(http, "/readyz")
    assert_unavailable(response, {"cache": "unreachable", "rate_limits": "unreachable"})
    assert elapsed < READY_WITHIN_SECONDS


async def test_readyz_database_and_redis_unreachable_names_all_three(
    settings: Settings, tmp_path: Path
) -> None:
    async with gateway(settings, **all_unreachable(tmp_path)) as http:
        response, elapsed = await timed_get(http, "/readyz")
    assert_unavailable(
        response, {"database": "unreachable", "cache": "unreachable", "rate_limits": "unreachable"}
    )
    assert elapsed < READY_WITHIN_SECONDS


# --------------------------------------------------------------------------------------------
# No credentials, no rate limit


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="none"),
        pytest.param({"Cookie": "vendo_session=not-a-session"}, id="bad-cookie"),
        pytest.param({"Authorization": "Bearer vendo_sk_not_a_key"}, id="bad-key"),
        pytest.param({"Authorization": "Bearer a.b.c"}, id="bad-jwt"),
    ],
)
async def test_probes_need_no_credentials(settings: Settings, headers: dict[str, str]) -> None:
    async with gateway(settings, env="production") as http:
        for path in PROBES:
            response = await http.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)


async def test_probes_are_not_rate_limited(
    settings: Settings, demo: None, demo_headers: dict[str, str]
) -> None:
    async with gateway(settings, integration_rate_limit="1/minute") as http:
        # The client's budget is spent ...
        first = await http.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert first.status_code == 200, first.text
        refused = await http.post(
            "/api/integrations/sendgrid", json={"enabled": False}, headers=demo_headers
        )
        assert refused.status_code == 429
        before = rejections()
        # ... and a probe polling every second for a minute still gets through, every time.
        for _ in range(60):
            for path in PROBES:
                response = await http.get(path, headers=demo_headers)
                assert response.status_code == 200, (path, response.text)
        assert rejections() == before


# --------------------------------------------------------------------------------------------
# Logged at DEBUG, never at INFO


async def test_probes_log_at_debug_not_info(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vendo.access")
    for path in PROBES:
        response = await client.get(path)
        assert response.status_code == 200
    access = [r for r in caplog.records if r.name == "vendo.access"]
    assert len(access) == len(PROBES)
    assert [r.fields["route"] for r in access] == list(PROBES)  # type: ignore[attr-defined]
    assert all(r.levelno == logging.DEBUG for r in access)
    # A normal request beside them is logged at INFO.
    caplog.clear()
    await client.get("/api/integrations")
    assert [r.levelno for r in caplog.records if r.name == "vendo.access"] == [logging.INFO]


async def test_probes_write_nothing_at_info_level(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(3):
        for path in PROBES:
            assert (await client.get(path)).status_code == 200
    # (httpx's own lines are the test client's: the gateway makes no HTTP call here.)
    gateway_lines = [r for r in caplog.records if r.name != "httpx"]
    assert [r for r in gateway_lines if r.levelno >= logging.INFO] == []


async def test_a_running_worker_keeps_start_up_out_of_the_collectors_sight(
    settings: Settings,
) -> None:
    """The heap start-up built is frozen while the worker serves, and given back at shutdown."""
    frozen = gc.get_freeze_count()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > frozen
    assert gc.get_freeze_count() == 0


async def test_a_running_worker_collects_its_young_generation_less_often(
    settings: Settings,
) -> None:
    """While the worker serves, the collector's thresholds are the gateway's (a fan-out's
    short-lived objects die young instead of setting off full collections); at shutdown they
    are what they were."""
    before = gc.get_threshold()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == (50_000, 20, 20)
    assert gc.get_threshold() == before
