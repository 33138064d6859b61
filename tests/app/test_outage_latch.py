"""Which outage a failure is logged as (app/outage_latch.py): each names its own backend. An
OpenRouter that refuses connections is the pricing client's failure, never "database
unreachable"; a Redis that never answered is not "reachable again" when the gateway stops; a
database that was never migrated says so, once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import outage_latch
from app.factory import create_app
from app.settings import Settings

CLOSED = "127.0.0.1:1"  # nothing listens on port 1: connections are refused at once


def fault_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "vendo.faults"]


@pytest.fixture(autouse=True)
def fresh_latches() -> Iterator[None]:
    """The database latch is the process's: each test starts with it up."""
    outage_latch.DATABASE.down = outage_latch.DATABASE.schema.down = False
    yield
    outage_latch.DATABASE.down = outage_latch.DATABASE.schema.down = False


@asynccontextmanager
async def gateway(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 50003))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_openrouter_refusing_connections_is_not_a_database_outage(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with gateway(settings, openrouter_models_url=f"http://{CLOSED}/models") as http:
        rest = await http.get("/api/pricing/models")
        graphql = await http.post("/graphql", json={"query": "{ pricingModels { cached } }"})
    assert rest.status_code == 502
    assert rest.json() == {"message": "Failed to fetch models from OpenRouter"}
    assert graphql.json()["errors"][0]["extensions"] == {"code": "UPSTREAM_FAILED"}
    assert fault_lines(caplog) == []
    assert not outage_latch.DATABASE.down
    pricing = [r.getMessage() for r in caplog.records if r.name == "vendo.pricing"]
    assert len(pricing) == 2
    assert all(line.startswith("OpenRouter models fetch failed") for line in pricing)


async def test_redis_that_never_answered_is_not_reachable_again_at_shutdown(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    redis = f"redis://{CLOSED}/0"
    async with gateway(settings, cache_url=redis, rate_limit_storage=redis) as http:
        assert (await http.get("/api/integrations")).status_code == 200
    lines = fault_lines(caplog)
    assert "cache backend unreachable (ConnectionError): serving without the cache" in lines
    assert not [line for line in lines if "reachable again" in line], lines
    assert not [line for line in lines if line.startswith("database")], lines


async def test_database_never_migrated_is_logged_once_as_not_migrated(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    async with gateway(settings, database_url=empty) as http:
        for _ in range(3):
            assert (await http.get("/api/integrations")).status_code == 503
            query = {"query": "{ integrations(first: 1) { totalCount } }"}
            assert (await http.post("/graphql", json=query)).status_code == 200
    assert fault_lines(caplog) == [
        "database not migrated (run vendo-gateway migrate) (OperationalError): "
        "answering 503 until it is migrated"
    ]
    assert not [r for r in caplog.records if r.exc_info], "a database to migrate is not a bug"
