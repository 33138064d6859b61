"""Batched GraphQL requests: off by default, bounded when on (README "Security";
docs/decisions/0034)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.resolvers.protections.helpers import (
    BATCHING_OFF,
    COST_LITERAL,
    DEPTH_11,
    PAGE_LITERAL,
    TOKENS_1001,
    aliases,
    directives,
    page_error,
)
from tests.support.http import assert_json, assert_text


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
