"""The execution timeout: a slow upstream and a locked database answer in bounded time
(README "Security"; docs/decisions/0034)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.runtime import Runtime
from tests.resolvers.protections.helpers import (
    BUSY_TIMEOUT_MS,
    LOCKED_TIMED_OUT,
    LOCKED_TIMEOUT,
    PRICING_MODELS,
    TIMED_OUT,
    TIMEOUT,
    post,
)
from tests.support.documents import ENABLE_SLACK
from tests.support.http import assert_json
from tests.support.sql import WriteLock
from tests.upstream import Upstream


class TestTimeoutSlowUpstream:
    @pytest.fixture
    def settings_overrides(self, slow_upstream: Upstream) -> dict[str, Any]:
        return {
            "graphql_timeout_seconds": TIMEOUT,
            "openrouter_models_url": slow_upstream.url,
            "openrouter_timeout_seconds": 10.0,
        }

    async def test_timeout_slow_upstream_answers_unavailable_in_bounded_time(
        self, client: httpx.AsyncClient, slow_upstream: Upstream
    ) -> None:
        started = time.perf_counter()
        response = await post(client, PRICING_MODELS)
        elapsed = time.perf_counter() - started
        assert_json(response, 200, TIMED_OUT)
        assert slow_upstream.hits == 1
        assert elapsed < TIMEOUT + 1.0, f"answered after {elapsed:.2f} s"

    async def test_timeout_slow_upstream_legacy_route_answers_503(
        self, client: httpx.AsyncClient
    ) -> None:
        started = time.perf_counter()
        response = await client.get("/api/pricing/models")
        elapsed = time.perf_counter() - started
        assert_json(response, 503, {"message": f"Operation timed out after {TIMEOUT:g} s"})
        assert elapsed < TIMEOUT + 1.0, f"answered after {elapsed:.2f} s"


class TestTimeoutLockedDatabase:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_timeout_seconds": LOCKED_TIMEOUT, "db_busy_timeout_ms": BUSY_TIMEOUT_MS}

    @pytest.fixture
    async def lock(self, runtime: Runtime) -> AsyncIterator[WriteLock]:
        lock = WriteLock(runtime.settings.database_url)
        yield lock
        await lock.release()

    async def test_timeout_blocked_mutation_answers_unavailable_in_bounded_time(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        demo_headers: dict[str, str],
        lock: WriteLock,
    ) -> None:
        await lock.acquire()
        started = time.perf_counter()
        response = await client.post("/graphql", json={"query": ENABLE_SLACK}, headers=demo_headers)
        elapsed = time.perf_counter() - started
        await lock.release()
        assert_json(response, 200, LOCKED_TIMED_OUT)
        assert LOCKED_TIMEOUT <= elapsed < BUSY_TIMEOUT_MS / 3000, f"answered after {elapsed:.2f} s"
        # The gateway is not left stuck: the next toggle goes through.
        again = await client.post("/graphql", json={"query": ENABLE_SLACK}, headers=demo_headers)
        assert_json(again, 200, {"data": {"setIntegrationEnabled": {"enabled": True}}})

    async def test_timeout_blocked_toggle_route_answers_503_in_bounded_time(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str], lock: WriteLock
    ) -> None:
        await lock.acquire()
        started = time.perf_counter()
        response = await client.post(
            "/api/integrations/slack", json={"enabled": True}, headers=demo_headers
        )
        elapsed = time.perf_counter() - started
        await lock.release()
        assert_json(response, 503, {"message": f"Operation timed out after {LOCKED_TIMEOUT:g} s"})
        assert LOCKED_TIMEOUT <= elapsed < BUSY_TIMEOUT_MS / 3000, f"answered after {elapsed:.2f} s"
