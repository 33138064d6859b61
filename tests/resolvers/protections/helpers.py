"""Documents and expected answers the GraphQL protection tests share."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.documents import gql_error

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


def cost_error(cost: int, limit: int = 5000) -> dict[str, Any]:
    return gql_error(f"Query cost {cost} exceeds the maximum of {limit}")


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


BATCHING_OFF = "Batching is not enabled"


TIMEOUT = 0.05


TIMED_OUT = gql_error(f"Operation timed out after {TIMEOUT:g} s", "UNAVAILABLE")


# The lock is held until the test releases it, so any execution timeout ends the blocked wait;
# one of a second leaves an unblocked toggle room on a slow host. The busy timeout is far longer:
# an answer well before it, and timed out, was ended by the execution timeout.
LOCKED_TIMEOUT = 1.0


LOCKED_TIMED_OUT = gql_error(f"Operation timed out after {LOCKED_TIMEOUT:g} s", "UNAVAILABLE")


BUSY_TIMEOUT_MS = 30_000
