"""The limits on a GraphQL request: batching, the execution timeout (a slow upstream, a locked
database), and the body size on both surfaces (README "Security"; docs/decisions/0034)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.runtime import Runtime
from tests.resolvers.protections.helpers import (
    BATCHING_OFF,
    BUSY_TIMEOUT_MS,
    COST_LITERAL,
    DEFAULT_BODY_LIMIT,
    DEPTH_11,
    LOCKED_TIMED_OUT,
    LOCKED_TIMEOUT,
    PAGE_LITERAL,
    PRICING_MODELS,
    TIMED_OUT,
    TIMEOUT,
    TOKENS_1001,
    aliases,
    directives,
    page_error,
    post,
)
from tests.support.documents import ENABLE_SLACK, GRAPHQL_TOO_LARGE
from tests.support.http import assert_json, assert_text
from tests.support.sql import WriteLock
from tests.upstream import Upstream

# --------------------------------------------------------------------------------------------
# Batching


@pytest.mark.parametrize("size", [1, 2, 10])
async def test_batch_is_refused_by_default(client: httpx.AsyncClient, size: int) -> None:
    """VENDO_GRAPHQL_MAX_BATCH defaults to 1: batching is opt-in, as in Apollo Server 4."""
    response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * size)
    assert_text(response, 400, BATCHING_OFF)


async def test_batch_refused_by_default_runs_nothing(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    toggle = 'mutation { setIntegrationEnabled(slug: "slack", enabled: true) { enabled } }'
    response = await client.post("/graphql", json=[{"query": toggle}], headers=demo_headers)
    assert_text(response, 400, BATCHING_OFF)
    detail = await client.get("/api/integrations/slack", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False


async def test_single_operation_still_runs_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert_json(response, 200, {"data": {"__typename": "Query"}})


class TestBatchingOn:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_batch": 10}

    async def test_batch_of_10_operations_passes(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 10)
        assert_json(response, 200, [{"data": {"__typename": "Query"}}] * 10)

    async def test_batch_of_11_operations_is_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 11)
        assert_text(response, 400, "Too many operations")

    async def test_batch_checks_each_operation_against_every_limit(
        self, client: httpx.AsyncClient
    ) -> None:
        batch = [
            {"query": aliases(16)},
            {"query": TOKENS_1001},
            {"query": directives(51)},
            {"query": COST_LITERAL % 99},
            {"query": DEPTH_11},
            {"query": "{ __typename }"},
        ]
        response = await client.post("/graphql", json=batch)
        assert response.status_code == 200
        results = response.json()
        assert [r["errors"][0]["message"] for r in results[:5]] == [
            "16 aliases found. Allowed: 15",
            "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.",
            "More than 50 directives. Allowed: 50",
            "Query cost 5001 exceeds the maximum of 5000",
            "'anonymous' exceeds maximum operation depth of 10",
        ]
        assert all(r["data"] is None for r in results[:5])
        assert results[5] == {"data": {"__typename": "Query"}}

    async def test_batch_page_size_cap_applies_per_operation(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        batch = [{"query": PAGE_LITERAL % 101}, {"query": PAGE_LITERAL % 100}]
        response = await client.post("/graphql", json=batch)
        assert_json(
            response,
            200,
            [
                page_error("`first` must not exceed 100"),
                {"data": {"integrations": {"totalCount": 13}}},
            ],
        )


class TestBatchLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_batch": 2}

    async def test_batch_past_the_configured_bound_is_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 3)
        assert_text(response, 400, "Too many operations")

    async def test_batch_at_the_configured_bound_passes(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
        assert_json(response, 200, [{"data": {"__typename": "Query"}}] * 2)


# --------------------------------------------------------------------------------------------
# Execution timeout


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


# --------------------------------------------------------------------------------------------
# Request body size


async def test_body_at_the_limit_passes_on_graphql(client: httpx.AsyncClient) -> None:
    document = b'{"query":"{ __typename }"}'
    body = b" " * (DEFAULT_BODY_LIMIT - len(document)) + document
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert_json(response, 200, {"data": {"__typename": "Query"}})


async def test_body_over_the_limit_is_413_on_graphql(client: httpx.AsyncClient) -> None:
    body = {"query": "{ __typename }", "variables": {"s": "x" * DEFAULT_BODY_LIMIT}}
    assert_json(await client.post("/graphql", json=body), 413, GRAPHQL_TOO_LARGE)


async def test_body_streamed_without_length_is_413_on_graphql(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(11):
            yield b" " * 100_000

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_json(response, 413, GRAPHQL_TOO_LARGE)


async def test_body_over_the_limit_is_413_on_legacy_routes(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    for path, text_envelope in (
        ("/api/integrations/slack", False),
        ("/api/integrations", False),
        ("/api/integrations/", False),
        ("/api/integrations/slack/regenerate", False),
        ("/api/v1/integrations/slack/install", True),
        ("/api/v1/integrations/slack/uninstall", True),
    ):
        response = await client.post(
            path,
            content=b"[" + b" " * DEFAULT_BODY_LIMIT + b"]",
            headers={**demo_headers, "content-type": "application/json"},
        )
        if text_envelope:
            assert_text(response, 413, "Request body too large")
        else:
            assert_json(response, 413, {"message": "Request body too large"})


class TestBodyLimitLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"max_body_bytes": 2048}

    async def test_body_at_the_configured_limit_passes(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        document = b'{"enabled":true}'
        body = document + b" " * (2048 - len(document))
        response = await client.post(
            "/api/integrations/slack",
            content=body,
            headers={**demo_headers, "content-type": "application/json"},
        )
        assert_json(response, 200, {"enabled": True})

    async def test_body_past_the_configured_limit_is_413(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        document = b'{"enabled":true}'
        body = document + b" " * (2049 - len(document))
        response = await client.post(
            "/api/integrations/slack",
            content=body,
            headers={**demo_headers, "content-type": "application/json"},
        )
        assert_json(response, 413, {"message": "Request body too large"})
        graphql = await client.post(
            "/graphql",
            content=b'{"query":"{ __typename }"}' + b" " * 2049,
            headers={"content-type": "application/json"},
        )
        assert_json(graphql, 413, GRAPHQL_TOO_LARGE)
