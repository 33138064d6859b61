"""Single-object queries on the same footing as the lists: each one's SQL statements per warm
request counted, and no ORM session opened where a Core read on a plain connection serves
(docs/decisions/0130)."""

from __future__ import annotations

from typing import Any

import pytest

from app.runtime import Runtime
from tests.conftest import GraphQLClient
from tests.support.documents import codes
from tests.support.sql import Counted, counting

INTEGRATION = """{ integration(slug: "openrouter") {
  id databaseId provider name description category type enabled defaultProfile
  supportedProfiles logoUrl iconName docsUrl envBootstrap createdAt updatedAt } }"""
TOOL = '{ tool(slug: "hermes") { id slug name category enabled internal marketing } }'
FRAMING = """{ usageFraming(slug: "hermes") {
  amounts { __typename } averageDailySpendMicros coldStart } }"""
PRICING = '{ publicPricing(slug: "openrouter") { slug name rates { key priceMicros } } }'
VIEWER = "{ viewer { email workspace { slug } } }"
WORKSPACE = "{ workspace { id slug } }"
ACCOUNT = '{ account(id: "demo") { id slug } }'
NODE = '{{ node(id: "{}") {{ id __typename }} }}'

# (query, signed in, statements of a warm request). Signed in, the first is the credential's.
FIGURES = {
    "integration, anonymous": (INTEGRATION, False, 1),
    "integration, signed in": (INTEGRATION, True, 2),
    "tool": (TOOL, False, 1),
    "usage framing (the tool, its spend, the fallbacks)": (FRAMING, False, 3),
    "public pricing (the integration, its meters)": (PRICING, False, 2),
    "viewer": (VIEWER, True, 1),
    "workspace": (WORKSPACE, True, 1),
    "account: the caller's own workspace": (ACCOUNT, True, 1),
    "__typename": ("{ __typename }", False, 0),
}


async def counted(
    gql: GraphQLClient, runtime: Runtime, query: str, headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], Counted]:
    """One warm-up request, then the counted one (which answers the same)."""
    first = await gql(query, headers=headers)
    assert "errors" not in first, first
    with counting(runtime) as found:
        again = await gql(query, headers=headers)
    assert again == first
    return again, found


@pytest.mark.parametrize("name", FIGURES)
async def test_statements_per_request(
    name: str, gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    query, signed_in, statements = FIGURES[name]
    _, found = await counted(gql, runtime, query, demo_headers if signed_in else None)
    assert (len(found.statements), found.sessions) == (statements, 0), found.statements


@pytest.mark.parametrize(("type_name", "query"), [("Integration", INTEGRATION), ("Tool", TOOL)])
async def test_node_is_one_core_read(
    type_name: str, query: str, gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    found = await gql(query)
    node_id = next(iter(found["data"].values()))["id"]
    answer, counted_ = await counted(gql, runtime, NODE.format(node_id))
    assert answer == {"data": {"node": {"id": node_id, "__typename": type_name}}}
    assert (len(counted_.statements), counted_.sessions) == (1, 0)


async def test_account_by_id_is_the_credentials_read(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    by_slug = await gql(ACCOUNT, headers=demo_headers)
    workspace_id = by_slug["data"]["account"]["id"]
    answer, found = await counted(
        gql, runtime, f'{{ account(id: "{workspace_id}") {{ id slug }} }}', demo_headers
    )
    assert answer == by_slug
    assert (len(found.statements), found.sessions) == (1, 0)


@pytest.mark.parametrize("ref", ["acme-other", "00000000-0000-0000-0000-000000000001"])
async def test_another_account_is_one_more_core_read(
    ref: str, gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    query = f'{{ account(id: "{ref}") {{ id }} }}'
    assert codes(await gql(query, headers=demo_headers)) == ["NOT_FOUND"]
    with counting(runtime) as found:
        assert codes(await gql(query, headers=demo_headers)) == ["NOT_FOUND"]
    assert (len(found.statements), found.sessions) == (2, 0)


async def test_unknown_unsearchable_and_disabled_integrations(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    for slug in ("nope", "x" * 2000, "a\\u0000b"):
        query = f'{{ integration(slug: "{slug}") {{ provider }} }}'
        assert await gql(query) == {"data": {"integration": None}}
        query = f'{{ publicPricing(slug: "{slug}") {{ slug }} }}'
        assert await gql(query) == {"data": {"publicPricing": None}}
    query = '{ integration(slug: "replicate") { provider enabled } }'
    assert await gql(query) == {"data": {"integration": None}}
    assert await gql(query, headers=demo_headers) == {
        "data": {"integration": {"provider": "replicate", "enabled": False}}
    }
    query = '{ publicPricing(slug: "replicate") { slug } }'
    assert await gql(query) == {"data": {"publicPricing": None}}
