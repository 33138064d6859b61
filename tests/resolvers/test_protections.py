"""The GraphQL protections over HTTP, each at its default and configured lower or
higher: depth (and the `__schema` bypasses), aliases, tokens, directives, cost, the page-size cap,
batching, the execution timeout, the body limit on both surfaces, production mode, and the legacy
routes' exemption (README "Security", docs/decisions/0034-graphql-limits.md)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models import Integration, TenantIntegration
from app.runtime import Runtime
from tests.hardening import (
    GRAPHQL_TOO_LARGE,
    WriteLock,
    assert_json,
    assert_text,
    gql_error,
    run_sql,
)
from tests.upstream import Upstream

# --------------------------------------------------------------------------------------------
# Documents

# Depth 8, as the README counts it (the root field is depth 0, `date` depth 8).
DEPTH_8 = (
    "{ tools(first: 1) { edges { node { integrations { required { integration { usageTrend "
    "{ dailyTrend { date } } } } } } } } }"
)
DEPTH_9_SELECTION = (
    "deployableTools(first: 1) { edges { node { tool { integrations { required { integration "
    "{ usageTrend { dailyTrend { date } } } } } } } } }"
)
# The deepest legitimate selection of the schema: depth 9.
DEPTH_9 = "{ " + DEPTH_9_SELECTION + " }"
DEPTH_9_DATA = {
    "deployableTools": {
        "edges": [
            {
                "node": {
                    "tool": {"integrations": {"required": [{"integration": {"usageTrend": None}}]}}
                }
            }
        ]
    }
}
# Depth 11: no legitimate selection is that deep, so the document goes past the leaves.
DEPTH_11 = (
    "{ deployableTools(first: 1) { edges { node { tool { integrations { required { integration "
    "{ usageTrend { dailyTrend { date { a { b } } } } } } } } } } } }"
)
OPERATION_NAMED_SCHEMA = "query __schema { " + DEPTH_9_SELECTION + " }"
ALIAS_NAMED_SCHEMA = "{ __schema: " + DEPTH_9_SELECTION + " }"
FRAGMENT_NAMED_SCHEMA = (
    "{ deployableTools(first: 1) { ...__schema } } "
    "fragment __schema on DeployableToolConnection { edges { node { tool { integrations "
    "{ required { integration { usageTrend { dailyTrend { date } } } } } } } } }"
)
INLINE_FRAGMENT_DEPTH_9 = "{ ... on Query { " + DEPTH_9_SELECTION + " } }"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def aliases_data(count: int) -> dict[str, Any]:
    return {"data": {f"a{i}": "Query" for i in range(count)}}


# Four aliases in a fragment: every spread counts them again.
ALIAS_FRAGMENT = (
    "fragment F on Query { f1: __typename f2: __typename f3: __typename f4: __typename }"
)
FRAGMENT_ALIASES_16 = "{ ...F ...F ...F ...F } " + ALIAS_FRAGMENT
FRAGMENT_ALIASES_15 = "{ x1: __typename x2: __typename x3: __typename ...F ...F ...F } " + (
    ALIAS_FRAGMENT
)
# Hidden two levels down: G spreads F inside an inline fragment; G is spread four times.
NESTED_FRAGMENT_ALIASES_16 = (
    "{ ...G ...G ...G ...G } fragment G on Query { ... on Query { ...F } } " + ALIAS_FRAGMENT
)
NESTED_FRAGMENT_ALIASES_8 = (
    "{ ...G ...G } fragment G on Query { ... on Query { ...F } } " + ALIAS_FRAGMENT
)

TOOL_LEAVES = [
    "id",
    "databaseId",
    "slug",
    "name",
    "description",
    "category",
    "enabled",
    "internal",
    "surfaceAllConnections",
    "marketing",
    "createdAt",
    "updatedAt",
]


def tokens_document(leaves: int) -> str:
    """``13 + leaves`` tokens: ``{ tools ( first : 1 ) { nodes {`` … ``} } }``."""
    selection = " ".join((TOOL_LEAVES * 100)[:leaves])
    return "{ tools(first: 1) { nodes { " + selection + " } } }"


TOKENS_1000 = tokens_document(987)
TOKENS_1001 = tokens_document(988)


def directives(count: int) -> str:
    return "{ " + "__typename @include(if: true) " * count + "}"


INTEGRATION_LEAVES = [
    "id",
    "databaseId",
    "provider",
    "name",
    "description",
    "category",
    "type",
    "enabled",
    "defaultProfile",
    "supportedProfiles",
    "logoUrl",
    "iconName",
    "docsUrl",
    "envBootstrap",
    "createdAt",
    "updatedAt",
    "tenantEnabled",
    "provisioned",
    "usageThisMonth",
    "costThisMonth",
]
LEAVES_24 = " ".join((INTEGRATION_LEAVES * 2)[:24])
LEAVES_48 = " ".join((INTEGRATION_LEAVES * 3)[:48])
# integrations: 1 + 100 × (nodes 1 + 48 leaves) = 4,901; tools: 1 + first × totalCount.
# Total: 4,902 + first — 5,000 at first 98 (passes), 5,001 at 99 (refused).
COST_LITERAL = (
    "{ integrations(first: 100) { nodes { " + LEAVES_48 + " } } tools(first: %d) { totalCount } }"
)
COST_VARIABLE = (
    "query Cost($first: Int) { integrations(first: 100) { nodes { " + LEAVES_48 + " } } "
    "tools(first: $first) { totalCount } }"
)
# Without `first`, the default page (100) multiplies: 4,902 + 100 = 5,002.
COST_DEFAULT_PAGE = (
    "{ integrations(first: 100) { nodes { " + LEAVES_48 + " } } tools { totalCount } }"
)
# The same 48 leaves as two spreads of one 24-leaf fragment: each spread costs.
COST_FRAGMENTS = (
    "query Cost($first: Int) { integrations(first: 100) { nodes { ...Leaves ...Leaves } } "
    "tools(first: $first) { totalCount } } fragment Leaves on Integration { " + LEAVES_24 + " }"
)
# A list that is not a connection multiplies by 10: 1 + 10 × 1 = 11, 1 + 10 × 2 = 21.
LIST_COST_11 = "{ pricingIntegrations { slug } }"
LIST_COST_21 = "{ pricingIntegrations { slug name } }"

PAGE_LITERAL = "{ integrations(first: %d) { totalCount } }"
PAGE_VARIABLE = "query Page($first: Int) { integrations(first: $first) { totalCount } }"

PRICING_MODELS = "query Models { pricingModels { cached } }"
TOGGLE = 'mutation { setIntegrationEnabled(slug: "slack", enabled: true) { enabled } }'
INTROSPECTION = "{ __schema { types { name } } }"
MISSPELT_FIELD = "{ integratons { nodes { provider } } }"
MISSPELT_ARGUMENT = "{ integrations(frist: 1) { totalCount } }"
MISSPELT_TYPE = "{ integrations { nodes { ...F } } } fragment F on Integratio { provider }"
MISSPELT_VARIABLE_TYPE = "query($slug: Strin!) { integration(slug: $slug) { provider } }"
PRICING_INTEGRATIONS = "{ pricingIntegrations { slug } }"

DEFAULT_BODY_LIMIT = 1_048_576
HTML = {"Accept": "text/html"}


def depth_error(limit: int, column: int, operation: str = "anonymous") -> dict[str, Any]:
    return {
        "data": None,
        "errors": [
            {
                "message": f"'{operation}' exceeds maximum operation depth of {limit}",
                "locations": [{"line": 1, "column": column}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables})


def column_of_last(document: str, word: str) -> int:
    return document.rindex(word) + 1


# --------------------------------------------------------------------------------------------
# Depth


async def test_depth_deepest_legitimate_selection_passes_at_default(
    client: httpx.AsyncClient, demo: None
) -> None:
    assert_json(await post(client, DEPTH_9), 200, {"data": DEPTH_9_DATA})


async def test_depth_readme_example_at_depth_8_passes_at_default(
    client: httpx.AsyncClient, demo: None
) -> None:
    required = [{"integration": {"usageTrend": None}}]
    data = {"tools": {"edges": [{"node": {"integrations": {"required": required}}}]}}
    assert_json(await post(client, DEPTH_8), 200, {"data": data})


async def test_depth_deepest_selection_signed_in_runs_to_the_leaves(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post("/graphql", json={"query": DEPTH_9}, headers=demo_headers)
    assert response.status_code == 200
    assert "errors" not in response.json()
    edge = response.json()["data"]["deployableTools"]["edges"][0]
    trend = edge["node"]["tool"]["integrations"]["required"][0]["integration"]["usageTrend"]
    assert len(trend["dailyTrend"]) == 30


async def test_depth_11_fails_at_default(client: httpx.AsyncClient) -> None:
    body = {
        "data": None,
        "errors": [
            {
                "message": "'anonymous' exceeds maximum operation depth of 10",
                "locations": [{"line": 1, "column": column_of_last(DEPTH_11, "b }")}],
                "extensions": {"code": "BAD_USER_INPUT"},
            },
            {
                "message": "Field 'date' must not have a selection since type 'Date!' has no "
                "subfields.",
                "locations": [{"line": 1, "column": column_of_last(DEPTH_11, "{ a {")}],
                "extensions": {"code": "BAD_USER_INPUT"},
            },
        ],
    }
    assert_json(await post(client, DEPTH_11), 200, body)


class TestDepthLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_depth": 8}

    async def test_depth_at_the_configured_limit_passes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await post(client, DEPTH_8)
        assert response.status_code == 200
        assert "errors" not in response.json()

    async def test_depth_past_the_configured_limit_fails(self, client: httpx.AsyncClient) -> None:
        assert_json(
            await post(client, DEPTH_9),
            200,
            depth_error(8, column_of_last(DEPTH_9, "date")),
        )

    async def test_depth_operation_named_schema_is_still_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        column = column_of_last(OPERATION_NAMED_SCHEMA, "date")
        assert_json(
            await post(client, OPERATION_NAMED_SCHEMA), 200, depth_error(8, column, "__schema")
        )

    async def test_depth_alias_named_schema_is_still_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        column = column_of_last(ALIAS_NAMED_SCHEMA, "date")
        assert_json(await post(client, ALIAS_NAMED_SCHEMA), 200, depth_error(8, column))

    async def test_depth_fragment_named_schema_is_still_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        column = column_of_last(FRAGMENT_NAMED_SCHEMA, "date")
        assert_json(await post(client, FRAGMENT_NAMED_SCHEMA), 200, depth_error(8, column))

    async def test_depth_inline_fragment_is_still_counted(self, client: httpx.AsyncClient) -> None:
        column = column_of_last(INLINE_FRAGMENT_DEPTH_9, "date")
        assert_json(await post(client, INLINE_FRAGMENT_DEPTH_9), 200, depth_error(8, column))


class TestDepthRaised:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_depth": 11}

    async def test_depth_11_is_not_refused_for_depth_when_raised(
        self, client: httpx.AsyncClient
    ) -> None:
        messages = [e["message"] for e in (await post(client, DEPTH_11)).json()["errors"]]
        assert not [m for m in messages if "depth" in m]
        assert messages == [
            "Field 'date' must not have a selection since type 'Date!' has no subfields."
        ]


# --------------------------------------------------------------------------------------------
# Aliases


async def test_aliases_15_pass_at_default(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, aliases(15)), 200, aliases_data(15))


async def test_aliases_16_fail_at_default(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, aliases(16)), 200, gql_error("16 aliases found. Allowed: 15"))


async def test_aliases_in_a_fragment_count_at_every_spread(client: httpx.AsyncClient) -> None:
    assert_json(
        await post(client, FRAGMENT_ALIASES_16), 200, gql_error("16 aliases found. Allowed: 15")
    )


async def test_aliases_in_nested_fragment_spreads_count_at_every_spread(
    client: httpx.AsyncClient,
) -> None:
    assert_json(
        await post(client, NESTED_FRAGMENT_ALIASES_16),
        200,
        gql_error("16 aliases found. Allowed: 15"),
    )


async def test_aliases_15_through_fragment_spreads_pass(client: httpx.AsyncClient) -> None:
    data = {"x1": "Query", "x2": "Query", "x3": "Query"}
    data |= {f"f{i}": "Query" for i in range(1, 5)}
    assert_json(await post(client, FRAGMENT_ALIASES_15), 200, {"data": data})


class TestAliasesLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_aliases": 3}

    async def test_aliases_at_the_configured_limit_pass(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, aliases(3)), 200, aliases_data(3))

    async def test_aliases_past_the_configured_limit_fail(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, aliases(4)), 200, gql_error("4 aliases found. Allowed: 3"))

    async def test_aliases_of_two_fragment_spreads_fail(self, client: httpx.AsyncClient) -> None:
        assert_json(
            await post(client, NESTED_FRAGMENT_ALIASES_8),
            200,
            gql_error("8 aliases found. Allowed: 3"),
        )


class TestAliasesRaised:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_aliases": 16}

    async def test_aliases_16_pass_when_raised(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, aliases(16)), 200, aliases_data(16))


# --------------------------------------------------------------------------------------------
# Tokens


async def test_tokens_1000_pass_at_default(client: httpx.AsyncClient, demo: None) -> None:
    response = await post(client, TOKENS_1000)
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.json()["data"]["tools"]["nodes"][0]["slug"] == "herald"


async def test_tokens_1001_fail_at_default(client: httpx.AsyncClient) -> None:
    body = {
        "data": None,
        "errors": [
            {
                "message": "Syntax Error: Document contains more than 1000 tokens. "
                "Parsing aborted.",
                "locations": [{"line": 1, "column": len(TOKENS_1001)}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
    assert_json(await post(client, TOKENS_1001), 200, body)


class TestTokensLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_tokens": 100}

    async def test_tokens_past_the_configured_limit_fail(self, client: httpx.AsyncClient) -> None:
        response = await post(client, tokens_document(88))
        assert response.json()["errors"][0]["message"] == (
            "Syntax Error: Document contains more than 100 tokens. Parsing aborted."
        )

    async def test_tokens_at_the_configured_limit_pass(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await post(client, tokens_document(87))
        assert "errors" not in response.json()


# --------------------------------------------------------------------------------------------
# Directives


async def test_directives_50_pass_at_default(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, directives(50)), 200, {"data": {"__typename": "Query"}})


async def test_directives_51_fail_at_default(client: httpx.AsyncClient) -> None:
    assert_json(
        await post(client, directives(51)), 200, gql_error("More than 50 directives. Allowed: 50")
    )


class TestDirectivesLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_directives": 2}

    async def test_directives_past_the_configured_limit_fail(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_json(
            await post(client, directives(3)), 200, gql_error("More than 2 directives. Allowed: 2")
        )

    async def test_directives_at_the_configured_limit_pass(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, directives(2)), 200, {"data": {"__typename": "Query"}})


# --------------------------------------------------------------------------------------------
# Cost


def cost_error(cost: int, limit: int = 5000) -> dict[str, Any]:
    return gql_error(f"Query cost {cost} exceeds the maximum of {limit}")


async def test_cost_5000_with_literal_first_passes(client: httpx.AsyncClient, demo: None) -> None:
    response = await post(client, COST_LITERAL % 98)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert len(body["data"]["integrations"]["nodes"]) == 13
    assert body["data"]["tools"] == {"totalCount": 6}


async def test_cost_5001_with_literal_first_fails(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, COST_LITERAL % 99), 200, cost_error(5001))


async def test_cost_5000_with_variable_first_passes(client: httpx.AsyncClient, demo: None) -> None:
    response = await post(client, COST_VARIABLE, first=98)
    assert "errors" not in response.json()


async def test_cost_5001_with_variable_first_fails(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, COST_VARIABLE, first=99), 200, cost_error(5001))


async def test_cost_absent_first_counts_the_default_page(client: httpx.AsyncClient) -> None:
    assert_json(await post(client, COST_DEFAULT_PAGE), 200, cost_error(5002))


async def test_cost_fragment_counts_at_each_spread(client: httpx.AsyncClient, demo: None) -> None:
    assert "errors" not in (await post(client, COST_FRAGMENTS, first=98)).json()
    assert_json(await post(client, COST_FRAGMENTS, first=99), 200, cost_error(5001))


class TestCostLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_cost": 11}

    async def test_cost_of_a_plain_list_at_the_limit_passes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await post(client, LIST_COST_11)
        assert "errors" not in response.json()

    async def test_cost_of_a_plain_list_multiplies_by_ten(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, LIST_COST_21), 200, cost_error(21, 11))


class TestCostRaised:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_cost": 6000}

    async def test_cost_5001_passes_when_raised(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert "errors" not in (await post(client, COST_LITERAL % 99)).json()


# --------------------------------------------------------------------------------------------
# Page size


def page_error(message: str) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [
            {
                "message": message,
                "locations": [{"line": 1, "column": 3}],
                "path": ["integrations"],
                "extensions": {"code": "BAD_USER_INPUT", "field": "first"},
            }
        ],
    }


async def test_page_size_100_passes(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(
        await post(client, PAGE_LITERAL % 100), 200, {"data": {"integrations": {"totalCount": 13}}}
    )


async def test_page_size_101_is_bad_user_input(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(
        await post(client, PAGE_LITERAL % 101), 200, page_error("`first` must not exceed 100")
    )


async def test_page_size_101_by_variable_is_bad_user_input(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await post(client, PAGE_VARIABLE, first=101)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "`first` must not exceed 100"
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


class TestPageSizeLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_page_size": 5}

    async def test_page_size_past_the_configured_cap_fails(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert_json(
            await post(client, PAGE_LITERAL % 6), 200, page_error("`first` must not exceed 5")
        )

    async def test_page_size_at_the_configured_cap_passes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert_json(
            await post(client, PAGE_LITERAL % 5),
            200,
            {"data": {"integrations": {"totalCount": 13}}},
        )


# --------------------------------------------------------------------------------------------
# Batching


BATCHING_OFF = "Batching is not enabled"


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

TIMEOUT = 0.05
TIMED_OUT = gql_error(f"Operation timed out after {TIMEOUT:g} s", "UNAVAILABLE")


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
        # The busy timeout well above the execution timeout: the latter must end the wait.
        return {"graphql_timeout_seconds": TIMEOUT, "db_busy_timeout_ms": 3000}

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
        response = await client.post("/graphql", json={"query": TOGGLE}, headers=demo_headers)
        elapsed = time.perf_counter() - started
        await lock.release()
        assert_json(response, 200, TIMED_OUT)
        assert elapsed < TIMEOUT + 1.0, f"answered after {elapsed:.2f} s"
        # The gateway is not left stuck: the next toggle goes through.
        again = await client.post("/graphql", json={"query": TOGGLE}, headers=demo_headers)
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
        assert_json(response, 503, {"message": f"Operation timed out after {TIMEOUT:g} s"})
        assert elapsed < TIMEOUT + 1.0, f"answered after {elapsed:.2f} s"


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


# --------------------------------------------------------------------------------------------
# Production and development modes


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"env": "production"}

    @pytest.fixture
    async def meters_gone(self, runtime: Runtime, demo: None) -> AsyncIterator[None]:
        """A real internal error: a column the pricing resolvers read is gone (renamed, and put
        back afterwards so that the next test's reset finds it). A whole table missing would be
        a database not migrated: 503."""
        await run_sql(runtime, "ALTER TABLE meters RENAME COLUMN public TO public_gone")
        yield
        await run_sql(runtime, "ALTER TABLE meters RENAME COLUMN public_gone TO public")

    async def test_production_refuses_introspection(self, client: httpx.AsyncClient) -> None:
        prefix = "GraphQL introspection has been disabled, but the requested query contained "
        body = {
            "data": None,
            "errors": [
                {
                    "message": prefix + "the field '__schema'.",
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
                {
                    "message": prefix + "the field 'types'.",
                    "locations": [{"line": 1, "column": 14}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
            ],
        }
        assert_json(await post(client, INTROSPECTION), 200, body)

    async def test_production_has_no_field_suggestion(self, client: httpx.AsyncClient) -> None:
        body = {
            "data": None,
            "errors": [
                {
                    "message": "Cannot query field 'integratons' on type 'Query'.",
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ],
        }
        assert_json(await post(client, MISSPELT_FIELD), 200, body)

    @pytest.mark.parametrize("document", [MISSPELT_ARGUMENT, MISSPELT_TYPE, MISSPELT_VARIABLE_TYPE])
    async def test_production_has_no_suggestion_in_any_message(
        self, client: httpx.AsyncClient, document: str
    ) -> None:
        response = await post(client, document)
        assert response.status_code == 200
        messages = [e["message"] for e in response.json()["errors"]]
        assert messages
        assert not [m for m in messages if "Did you mean" in m], messages

    async def test_production_graphiql_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 404

    async def test_production_masks_internal_error_with_request_id(
        self,
        client: httpx.AsyncClient,
        meters_gone: None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        response = await post(client, PRICING_INTEGRATIONS)
        request_id = response.headers["x-request-id"]
        assert len(request_id) == 32
        body = {
            "data": None,
            "errors": [
                {
                    "message": "Internal server error",
                    "locations": [{"line": 1, "column": 3}],
                    "path": ["pricingIntegrations"],
                    "extensions": {"code": "INTERNAL", "requestId": request_id},
                }
            ],
        }
        assert_json(response, 200, body)
        assert "meters" not in response.text
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1
        assert request_id in errors[0].getMessage()
        assert errors[0].exc_info is not None  # the traceback goes to the log, not the client

    async def test_production_masked_error_keeps_the_callers_request_id(
        self,
        client: httpx.AsyncClient,
        meters_gone: None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        response = await client.post(
            "/graphql",
            json={"query": PRICING_INTEGRATIONS},
            headers={"X-Request-ID": "trace-42:abc.DEF_9"},
        )
        assert response.headers["x-request-id"] == "trace-42:abc.DEF_9"
        assert response.json()["errors"][0]["extensions"] == {
            "code": "INTERNAL",
            "requestId": "trace-42:abc.DEF_9",
        }
        assert any(
            "trace-42:abc.DEF_9" in r.getMessage()
            for r in caplog.records
            if r.levelno == logging.ERROR
        )

    async def test_production_masked_error_replaces_an_unsafe_request_id(
        self, client: httpx.AsyncClient, meters_gone: None
    ) -> None:
        response = await client.post(
            "/graphql",
            json={"query": PRICING_INTEGRATIONS},
            headers={"X-Request-ID": "bad id\twith spaces"},
        )
        request_id = response.headers["x-request-id"]
        assert request_id != "bad id\twith spaces"
        assert len(request_id) == 32
        assert response.json()["errors"][0]["extensions"]["requestId"] == request_id


class TestDevelopment:
    async def test_development_keeps_field_suggestions(self, client: httpx.AsyncClient) -> None:
        message = (
            "Cannot query field 'integratons' on type 'Query'. "
            "Did you mean 'integrations', 'integration', or 'toolIntegrations'?"
        )
        body = {
            "data": None,
            "errors": [
                {
                    "message": message,
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ],
        }
        assert_json(await post(client, MISSPELT_FIELD), 200, body)

    async def test_development_keeps_introspection(self, client: httpx.AsyncClient) -> None:
        response = await post(client, "{ __schema { queryType { name } } }")
        assert_json(response, 200, {"data": {"__schema": {"queryType": {"name": "Query"}}}})

    async def test_development_serves_graphiql(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"


# --------------------------------------------------------------------------------------------
# The legacy routes are exempt


class TestLegacyRoutesExempt:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "graphql_max_aliases": 1,
            "graphql_max_depth": 2,
            "graphql_max_tokens": 100,
            "graphql_max_directives": 1,
            "graphql_max_cost": 1,
            "graphql_max_page_size": 1,
        }

    async def test_legacy_list_runs_under_the_lowest_limits(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await client.get("/api/integrations")
        assert response.status_code == 200
        assert len(response.json()["integrations"]) == 13

    async def test_legacy_signed_in_list_runs_under_the_lowest_limits(
        self, client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        response = await client.get("/api/integrations", headers=demo_headers)
        assert response.status_code == 200
        assert len(response.json()) == 13
        toggle = await client.post(
            "/api/integrations/slack", json={"enabled": True}, headers=demo_headers
        )
        assert_json(toggle, 200, {"enabled": True})
        async with runtime.db.read() as session:
            flag = await session.scalar(
                select(TenantIntegration.enabled)
                .join(Integration, Integration.id == TenantIntegration.integration_id)
                .where(Integration.provider == "slack")
            )
        assert flag is True

    async def test_legacy_tool_routes_run_under_the_lowest_limits(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        for path in (
            "/api/tools/catalog",
            "/api/tools/deployable",
            "/api/tools/hermes",
            "/api/tools/hermes/integrations",
            "/api/pricing/integrations",
            "/api/pricing/public/openrouter",
        ):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.content != b'{"tools":[]}', path  # not the graceful-degrade body

    async def test_graphql_clients_still_get_the_lowest_limits(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_json(await post(client, aliases(2)), 200, gql_error("2 aliases found. Allowed: 1"))
