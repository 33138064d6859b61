"""The integrations domain through /graphql: the same data as the legacy routes, Relay pagination,
error codes, the two mutations, and DataLoader batching (statements do not grow with the list)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from strawberry.relay import to_base64

from app.models import MANAGED_POOL, Connection, Integration, Tenant, UsageEvent, User
from app.runtime import Runtime
from app.services.auth import create_session
from tests.conftest import GraphQLClient, Sessions, session_headers
from tests.support.builders import add_rows, usage_event
from tests.support.catalog import ENABLED_PROVIDERS
from tests.support.credentials import sign_up, sign_up_without_workspace
from tests.support.documents import REGENERATE_MUTATION, TOGGLE_MUTATION, codes
from tests.support.sql import counting_statements, failing_inserts

# --------------------------------------------------------------------------------------------
# Documents

LIST_QUERY = """
query List($first: Int, $after: String, $category: String) {
  integrations(first: $first, after: $after, category: $category) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { provider } }
    nodes {
      id databaseId provider name description category type enabled defaultProfile
      supportedProfiles logoUrl iconName docsUrl envBootstrap createdAt updatedAt
      tenantEnabled provisioned usageThisMonth costThisMonth
    }
  }
}
"""

PAGE_QUERY = """
query Page($first: Int, $after: String) {
  integrations(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { provider } }
    nodes { provider }
  }
}
"""

OVERLAY_QUERY = """
query Overlay($first: Int) {
  integrations(first: $first) {
    nodes {
      provider tenantEnabled provisioned usageThisMonth costThisMonth
      usageTrend {
        provider nativeUsage { source } spendDailyUsd spendWeeklyUsd spendMonthlyUsd
        dailyTrend { date events cost }
      }
    }
  }
}
"""

INTEGRATION_QUERY = """
query One($slug: String!) {
  integration(slug: $slug) { id databaseId provider enabled tenantEnabled provisioned }
}
"""

USAGE_QUERY = """
query Usage($provider: String!) {
  usageTrend(provider: $provider) {
    provider
    nativeUsage { source }
    dailyTrend { date events cost }
    spendDailyUsd
    spendWeeklyUsd
    spendMonthlyUsd
  }
}
"""

NESTED_USAGE_QUERY = """
query NestedUsage($slug: String!) {
  integration(slug: $slug) {
    usageTrend {
      provider nativeUsage { source } dailyTrend { date events cost }
      spendDailyUsd spendWeeklyUsd spendMonthlyUsd
    }
  }
}
"""

VIEWER_QUERY = """
query Me { viewer { email isStaff credential workspace { id slug } } workspace { id slug } }
"""

WORKSPACE_QUERY = "query Workspace { workspace { id slug } }"

NODE_QUERY = """
query Node($id: ID!) {
  node(id: $id) { id ... on Integration { databaseId provider enabled tenantEnabled } }
}
"""


# REST row key → GraphQL field (CONTRACT.md §1's names are the aliases of the legacy operation).
REST_TO_GRAPHQL = {
    "id": "databaseId",
    "provider": "provider",
    "name": "name",
    "description": "description",
    "category": "category",
    "type": "type",
    "enabled": "enabled",
    "default_profile": "defaultProfile",
    "supported_profiles": "supportedProfiles",
    "logo_url": "logoUrl",
    "icon_name": "iconName",
    "docs_url": "docsUrl",
    "env_bootstrap": "envBootstrap",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "tenantEnabled": "tenantEnabled",
    "provisioned": "provisioned",
    "usageThisMonth": "usageThisMonth",
    "costThisMonth": "costThisMonth",
}


# --------------------------------------------------------------------------------------------
# Helpers


def rest_usage_as_graphql(body: dict[str, Any], provider: str) -> dict[str, Any]:
    return {
        "provider": provider,
        "nativeUsage": body["provider"],
        "dailyTrend": body["dailyTrend"],
        "spendDailyUsd": body["spend_daily_usd"],
        "spendWeeklyUsd": body["spend_weekly_usd"],
        "spendMonthlyUsd": body["spend_monthly_usd"],
    }


async def workspace_deleted(sessions: Sessions, runtime: Runtime) -> dict[str, str]:
    """A user whose workspace row was deleted."""
    return await sign_up_without_workspace(sessions, runtime, "deleted@example.com")


async def never_had_workspace(sessions: Sessions, runtime: Runtime) -> dict[str, str]:
    """A user created without any workspace."""
    async with runtime.db.write() as session, session.begin():
        user = User(email="loner@example.com")
        session.add(user)
        await session.flush()
        token, _ = await create_session(db=session, settings=runtime.settings, user_id=user.id)
    return session_headers(token)


WITHOUT_WORKSPACE = {"deleted": workspace_deleted, "never-had": never_had_workspace}


async def managed_connections(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> int:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Connection).where(
                Connection.tenant_id == tenant_id,
                Connection.provider == provider,
                Connection.profile == MANAGED_POOL,
            )
        )
        return len(list(rows))


async def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret database detail")


@pytest.fixture
async def failing_connection_inserts(runtime: Runtime, demo: None) -> AsyncIterator[None]:
    async with failing_inserts(runtime, "connections"):
        yield


# --------------------------------------------------------------------------------------------
# The same data as the legacy routes


async def test_list_signed_in_matches_the_rest_rows(
    gql: GraphQLClient, client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    result = await gql(LIST_QUERY, headers=demo_headers)
    assert "errors" not in result
    nodes = result["data"]["integrations"]["nodes"]
    rest_rows = (await client.get("/api/integrations", headers=demo_headers)).json()
    assert [node["provider"] for node in nodes] == ENABLED_PROVIDERS
    assert len(rest_rows) == len(nodes)
    for row, node in zip(rest_rows, nodes, strict=True):
        assert {key: node[field] for key, field in REST_TO_GRAPHQL.items()} == row
        assert node["id"] == to_base64("Integration", row["id"])


async def test_list_anonymous_has_no_overlay(gql: GraphQLClient, demo: None) -> None:
    result = await gql(LIST_QUERY)
    nodes = result["data"]["integrations"]["nodes"]
    assert [node["provider"] for node in nodes] == ENABLED_PROVIDERS
    for node in nodes:
        overlay = [
            node[f] for f in ("tenantEnabled", "provisioned", "usageThisMonth", "costThisMonth")
        ]
        assert overlay == [None, None, None, None]


async def test_list_anonymous_matches_the_canonical_rest_rows(
    gql: GraphQLClient, client: httpx.AsyncClient, demo: None
) -> None:
    nodes = (await gql(LIST_QUERY))["data"]["integrations"]["nodes"]
    rest_rows = (await client.get("/api/integrations")).json()["integrations"]
    for row, node in zip(rest_rows, nodes, strict=True):
        assert {key: node[REST_TO_GRAPHQL[key]] for key in row} == row


async def test_integration_by_slug_matches_rest_detail(
    gql: GraphQLClient, client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    result = await gql(INTEGRATION_QUERY, {"slug": "openrouter"}, headers=demo_headers)
    node = result["data"]["integration"]
    rest = (await client.get("/api/integrations/openrouter", headers=demo_headers)).json()
    assert node["databaseId"] == rest["id"]
    assert (node["tenantEnabled"], node["provisioned"]) == (True, True)


async def test_integration_disabled_is_null_anonymous_and_visible_signed_in(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    assert await gql(INTEGRATION_QUERY, {"slug": "replicate"}) == {"data": {"integration": None}}
    result = await gql(INTEGRATION_QUERY, {"slug": "replicate"}, headers=demo_headers)
    node = result["data"]["integration"]
    assert (node["provider"], node["enabled"], node["tenantEnabled"]) == ("replicate", False, False)


async def test_integration_unknown_slug_is_null(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    assert await gql(INTEGRATION_QUERY, {"slug": "nope"}) == {"data": {"integration": None}}
    result = await gql(INTEGRATION_QUERY, {"slug": "nope"}, headers=demo_headers)
    assert result == {"data": {"integration": None}}


@pytest.mark.parametrize("provider", ["openrouter", "elevenlabs", "assemblyai", "sendgrid"])
async def test_usage_trend_matches_rest_usage(
    gql: GraphQLClient, client: httpx.AsyncClient, demo_headers: dict[str, str], provider: str
) -> None:
    result = await gql(USAGE_QUERY, {"provider": provider}, headers=demo_headers)
    rest = (await client.get(f"/api/integrations/{provider}/usage", headers=demo_headers)).json()
    assert result == {"data": {"usageTrend": rest_usage_as_graphql(rest, provider)}}
    nested = await gql(NESTED_USAGE_QUERY, {"slug": provider}, headers=demo_headers)
    assert nested["data"]["integration"]["usageTrend"] == result["data"]["usageTrend"]


async def test_usage_trend_exact_figures(
    frozen_now: datetime, gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "metered@example.com")
    await add_rows(
        runtime,
        usage_event(
            tenant_id, "elevenlabs", 2_500_000, occurred_at=datetime(2025, 5, 31, 1, tzinfo=UTC)
        ),
        usage_event(
            tenant_id, "elevenlabs", 1_000_000, occurred_at=datetime(2025, 5, 26, tzinfo=UTC)
        ),
        usage_event(
            tenant_id, "elevenlabs", 1_000_000, occurred_at=datetime(2025, 5, 1, tzinfo=UTC)
        ),
    )
    result = await gql(USAGE_QUERY, {"provider": "elevenlabs"}, headers=headers)
    trend = result["data"]["usageTrend"]
    assert trend["provider"] == "elevenlabs"
    assert trend["nativeUsage"] is None
    assert trend["dailyTrend"][0] == {"date": "2025-05-02", "events": 0, "cost": 0}
    assert trend["dailyTrend"][-1] == {"date": "2025-05-31", "events": 1, "cost": 2_500_000}
    assert {"date": "2025-05-26", "events": 1, "cost": 1_000_000} in trend["dailyTrend"]
    assert len(trend["dailyTrend"]) == 30
    assert (trend["spendDailyUsd"], trend["spendWeeklyUsd"], trend["spendMonthlyUsd"]) == (
        2.5,
        3.5,
        4.5,
    )
    overlay = await gql(OVERLAY_QUERY, headers=headers)
    rows = {n["provider"]: n for n in overlay["data"]["integrations"]["nodes"]}
    assert (rows["elevenlabs"]["usageThisMonth"], rows["elevenlabs"]["costThisMonth"]) == (
        3,
        4_500_000,
    )
    assert rows["elevenlabs"]["usageTrend"]["spendMonthlyUsd"] == 4.5


async def test_usage_trend_errors(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo_headers: dict[str, str]
) -> None:
    anonymous = await gql(USAGE_QUERY, {"provider": "openrouter"})
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    assert anonymous["data"] is None
    unknown = await gql(USAGE_QUERY, {"provider": "nope"}, headers=demo_headers)
    assert codes(unknown) == ["NOT_FOUND"]
    headers = await workspace_deleted(sessions, runtime)
    result = await gql(USAGE_QUERY, {"provider": "openrouter"}, headers=headers)
    assert codes(result) == ["NO_WORKSPACE"]


# --------------------------------------------------------------------------------------------
# viewer, workspace, node


async def test_viewer_anonymous_is_null(gql: GraphQLClient, demo: None) -> None:
    assert await gql(VIEWER_QUERY) == {"data": {"viewer": None, "workspace": None}}


async def test_viewer_signed_in(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    workspace = {"id": str(tenant_id), "slug": "demo"}
    assert await gql(VIEWER_QUERY, headers=demo_headers) == {
        "data": {
            "viewer": {
                "email": "demo@vendo.local",
                "isStaff": False,
                "credential": "session",
                "workspace": workspace,
            },
            "workspace": workspace,
        }
    }


async def test_viewer_staff(gql: GraphQLClient, sessions: Sessions, demo: None) -> None:
    headers = session_headers(await sessions.create("admin@vendo.local"))
    result = await gql(VIEWER_QUERY, headers=headers)
    viewer = result["data"]["viewer"]
    assert (viewer["email"], viewer["isStaff"], viewer["workspace"]["slug"]) == (
        "admin@vendo.local",
        True,
        "admin",
    )


@pytest.mark.parametrize("variant", sorted(WITHOUT_WORKSPACE))
async def test_workspace_missing_is_no_workspace(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo: None, variant: str
) -> None:
    headers = await WITHOUT_WORKSPACE[variant](sessions, runtime)
    result = await gql(WORKSPACE_QUERY, headers=headers)
    assert codes(result) == ["NO_WORKSPACE"]
    assert result["errors"][0]["message"] == "No workspace found"
    viewer = await gql("{ viewer { email workspace { slug } } }", headers=headers)
    assert viewer["data"]["viewer"]["workspace"] is None


async def test_node_round_trips_the_global_id(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    nodes = (await gql(LIST_QUERY, headers=demo_headers))["data"]["integrations"]["nodes"]
    for listed in nodes[:3]:
        result = await gql(NODE_QUERY, {"id": listed["id"]}, headers=demo_headers)
        node = result["data"]["node"]
        assert node["id"] == listed["id"]
        assert (node["databaseId"], node["provider"]) == (listed["databaseId"], listed["provider"])
        assert node["tenantEnabled"] == listed["tenantEnabled"]
    anonymous = await gql(NODE_QUERY, {"id": nodes[0]["id"]})
    assert anonymous["data"]["node"]["provider"] == nodes[0]["provider"]


async def test_node_disabled_integration_only_signed_in(
    gql: GraphQLClient, client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    row = (await client.get("/api/integrations/replicate", headers=demo_headers)).json()
    global_id = to_base64("Integration", row["id"])
    assert await gql(NODE_QUERY, {"id": global_id}) == {"data": {"node": None}}
    result = await gql(NODE_QUERY, {"id": global_id}, headers=demo_headers)
    assert result["data"]["node"]["provider"] == "replicate"


@pytest.mark.parametrize(
    "global_id",
    [
        to_base64("Integration", str(uuid.uuid4())),
        to_base64("Integration", "not-a-uuid"),
        to_base64("NoSuchType", str(uuid.uuid4())),
        to_base64("Node", "x"),
        to_base64("Query", "x"),
        to_base64("IntegrationConnection", "x"),
    ],
    ids=["unknown-uuid", "not-a-uuid", "unknown-type", "the-interface", "query", "not-a-node"],
)
async def test_node_unknown_is_null(gql: GraphQLClient, demo: None, global_id: str) -> None:
    assert await gql(NODE_QUERY, {"id": global_id}) == {"data": {"node": None}}


# --------------------------------------------------------------------------------------------
# Pagination


async def test_pagination_walks_every_page(gql: GraphQLClient, demo: None) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        result = await gql(PAGE_QUERY, {"first": 5, "after": after})
        assert "errors" not in result
        page = result["data"]["integrations"]
        assert page["totalCount"] == 13
        providers = [node["provider"] for node in page["nodes"]]
        assert [edge["node"]["provider"] for edge in page["edges"]] == providers
        info = page["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        seen.extend(providers)
        pages += 1
        if not info["hasNextPage"]:
            break
        assert len(providers) == 5
        after = info["endCursor"]
    assert pages == 3
    assert seen == ENABLED_PROVIDERS


async def test_pagination_cursor_of_any_edge_continues_after_it(
    gql: GraphQLClient, demo: None
) -> None:
    first = (await gql(PAGE_QUERY, {"first": 4}))["data"]["integrations"]
    cursor = first["edges"][1]["cursor"]
    rest = (await gql(PAGE_QUERY, {"first": 3, "after": cursor}))["data"]["integrations"]
    assert [node["provider"] for node in rest["nodes"]] == ENABLED_PROVIDERS[2:5]


async def test_pagination_exact_fit_has_no_next_page(gql: GraphQLClient, demo: None) -> None:
    page = (await gql(PAGE_QUERY, {"first": 13}))["data"]["integrations"]
    assert len(page["nodes"]) == 13
    assert page["pageInfo"]["hasNextPage"] is False
    default = (await gql(PAGE_QUERY))["data"]["integrations"]
    assert [n["provider"] for n in default["nodes"]] == ENABLED_PROVIDERS
    assert default["pageInfo"]["hasNextPage"] is False


async def test_pagination_category_filter_counts_matches(gql: GraphQLClient, demo: None) -> None:
    result = await gql(LIST_QUERY, {"category": "llm"})
    page = result["data"]["integrations"]
    # replicate is an llm too, but disabled.
    assert [node["provider"] for node in page["nodes"]] == ["anthropic", "openai", "openrouter"]
    assert page["totalCount"] == 3


async def test_pagination_first_at_the_cap_is_accepted(gql: GraphQLClient, demo: None) -> None:
    result = await gql(PAGE_QUERY, {"first": 100})
    assert "errors" not in result
    assert len(result["data"]["integrations"]["nodes"]) == 13


@pytest.mark.parametrize("first", [101, 1000, -1])
async def test_pagination_first_out_of_range_is_bad_user_input(
    gql: GraphQLClient, demo: None, first: int
) -> None:
    result = await gql(PAGE_QUERY, {"first": first})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["data"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "Zm9v",  # base64 of "foo": no prefix
        base64.b64encode(b"Integration:openrouter").decode(),  # a global id, not a cursor
        base64.b64encode(b"\xff\xfe:\x00").decode(),  # not UTF-8
        "",
    ],
    ids=["garbage", "no-prefix", "wrong-prefix", "not-utf8", "empty"],
)
async def test_pagination_bad_cursor_is_bad_user_input(
    gql: GraphQLClient, demo: None, cursor: str
) -> None:
    result = await gql(PAGE_QUERY, {"first": 5, "after": cursor})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["message"] == "Invalid cursor"


async def test_pagination_page_size_cap_follows_the_setting(gql: GraphQLClient, demo: None) -> None:
    result = await gql(PAGE_QUERY, {"first": 101})
    assert result["errors"][0]["message"] == "`first` must not exceed 100"


# --------------------------------------------------------------------------------------------
# Error codes


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (TOGGLE_MUTATION, {"slug": "sendgrid", "enabled": True}),
        (REGENERATE_MUTATION, {"slug": "openrouter"}),
    ],
    ids=["toggle", "regenerate"],
)
async def test_mutation_without_session_is_unauthenticated(
    gql: GraphQLClient, demo: None, document: str, variables: dict[str, Any]
) -> None:
    result = await gql(document, variables)
    assert result["data"] is None
    assert codes(result) == ["UNAUTHENTICATED"]
    assert result["errors"][0]["message"] == "Unauthorized"
    garbage = await gql(document, variables, headers={"Cookie": "vendo_session=garbage"})
    assert codes(garbage) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (TOGGLE_MUTATION, {"slug": "nope", "enabled": True}),
        (REGENERATE_MUTATION, {"slug": "nope"}),
    ],
    ids=["toggle", "regenerate"],
)
async def test_mutation_unknown_slug_is_not_found(
    gql: GraphQLClient, demo_headers: dict[str, str], document: str, variables: dict[str, Any]
) -> None:
    result = await gql(document, variables, headers=demo_headers)
    assert result["data"] is None
    assert codes(result) == ["NOT_FOUND"]


@pytest.mark.parametrize("variant", sorted(WITHOUT_WORKSPACE))
@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (TOGGLE_MUTATION, {"slug": "sendgrid", "enabled": True}),
        (REGENERATE_MUTATION, {"slug": "openrouter"}),
    ],
    ids=["toggle", "regenerate"],
)
async def test_mutation_without_workspace_is_no_workspace(
    gql: GraphQLClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    document: str,
    variables: dict[str, Any],
    variant: str,
) -> None:
    headers = await WITHOUT_WORKSPACE[variant](sessions, runtime)
    result = await gql(document, variables, headers=headers)
    assert result["data"] is None
    assert codes(result) == ["NO_WORKSPACE"]


async def test_unexpected_error_is_masked_as_internal(
    client: httpx.AsyncClient, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.repositories.integrations.list_integrations", boom)
    response = await client.post("/graphql", json={"query": PAGE_QUERY})
    body = response.json()
    assert codes(body) == ["INTERNAL"]
    assert body["errors"][0]["message"] == "Internal server error"
    assert "secret database detail" not in response.text


async def test_validation_error_is_bad_user_input(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post("/graphql", json={"query": "{ integrations { nope } }"})
    body = response.json()
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "nope" in body["errors"][0]["message"]


async def test_syntax_error_is_bad_user_input(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post("/graphql", json={"query": "{ integrations { "})
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_node_malformed_global_id_is_bad_user_input(gql: GraphQLClient, demo: None) -> None:
    """A malformed id is the client's error, not an internal one."""
    result = await gql(NODE_QUERY, {"id": "garbage"})
    assert codes(result) == ["BAD_USER_INPUT"]


async def test_variable_error_is_bad_user_input(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post(
        "/graphql", json={"query": PAGE_QUERY, "variables": {"first": "ten"}}
    )
    assert codes(response.json()) == ["BAD_USER_INPUT"]


# --------------------------------------------------------------------------------------------
# Mutations


async def test_toggle_mutation_sets_the_tenant_state(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    for enabled in (True, False):
        result = await gql(
            TOGGLE_MUTATION, {"slug": "sendgrid", "enabled": enabled}, headers=demo_headers
        )
        assert result == {
            "data": {"setIntegrationEnabled": {"enabled": enabled, "provisioningError": None}}
        }
        one = await gql(INTEGRATION_QUERY, {"slug": "sendgrid"}, headers=demo_headers)
        assert one["data"]["integration"]["tenantEnabled"] is enabled


async def test_toggle_mutation_provisions_one_managed_connection(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "voice@example.com")
    for _ in range(2):
        result = await gql(
            TOGGLE_MUTATION, {"slug": "elevenlabs", "enabled": True}, headers=headers
        )
        assert result["data"]["setIntegrationEnabled"] == {
            "enabled": True,
            "provisioningError": None,
        }
    assert await managed_connections(runtime, tenant_id, "elevenlabs") == 1
    one = await gql(INTEGRATION_QUERY, {"slug": "elevenlabs"}, headers=headers)
    assert (
        one["data"]["integration"]["tenantEnabled"],
        one["data"]["integration"]["provisioned"],
    ) == (
        True,
        True,
    )


async def test_toggle_mutation_reports_provisioning_failure(
    gql: GraphQLClient,
    runtime: Runtime,
    sessions: Sessions,
    failing_connection_inserts: None,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "unlucky@example.com")
    result = await gql(TOGGLE_MUTATION, {"slug": "assemblyai", "enabled": True}, headers=headers)
    assert result == {
        "data": {
            "setIntegrationEnabled": {
                "enabled": True,
                "provisioningError": "Failed to provision the managed connection",
            }
        }
    }
    assert await managed_connections(runtime, tenant_id, "assemblyai") == 0
    one = await gql(INTEGRATION_QUERY, {"slug": "assemblyai"}, headers=headers)
    assert one["data"]["integration"]["tenantEnabled"] is True


async def test_regenerate_mutation_messages(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo_headers: dict[str, str]
) -> None:
    result = await gql(REGENERATE_MUTATION, {"slug": "openrouter"}, headers=demo_headers)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["message"] == (
        "OpenRouter does not support regeneration; managed by shared upstream credential"
    )
    result = await gql(REGENERATE_MUTATION, {"slug": "elevenlabs"}, headers=demo_headers)
    assert result["errors"][0]["message"] == "This integration does not support key regeneration"
    fresh, _ = await sign_up(sessions, runtime, "fresh@example.com")
    result = await gql(REGENERATE_MUTATION, {"slug": "openrouter"}, headers=fresh)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["message"] == "Integration not provisioned"


# --------------------------------------------------------------------------------------------
# DataLoaders: the statement count does not grow with the list


async def test_overlay_statement_count_does_not_grow_with_the_list(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    with counting_statements(runtime) as small:
        result = await gql(OVERLAY_QUERY, {"first": 3}, headers=demo_headers)
    assert "errors" not in result
    assert len(result["data"]["integrations"]["nodes"]) == 3

    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    extra = [
        Integration(provider=f"zz-extra-{index:02d}", name=f"Extra {index}", category="misc")
        for index in range(12)
    ]
    await add_rows(
        runtime,
        *extra,
        *(
            Connection(tenant_id=tenant_id, provider=row.provider, profile=MANAGED_POOL)
            for row in extra[:6]
        ),
        *(
            UsageEvent(
                tenant_id=tenant_id,
                provider=row.provider,
                cost_micros=1_000,
                occurred_at=datetime.now(UTC) - timedelta(hours=1),
            )
            for row in extra
        ),
    )
    with counting_statements(runtime) as large:
        result = await gql(OVERLAY_QUERY, headers=demo_headers)
    assert "errors" not in result
    nodes = result["data"]["integrations"]["nodes"]
    assert len(nodes) == 25
    assert all(node["usageTrend"] is not None for node in nodes)
    assert sum(1 for node in nodes if node["provisioned"]) == 2 + 6
    assert len(large) == len(small), (small, large)


async def test_overlay_statement_count_is_the_same_for_one_and_many(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    with counting_statements(runtime) as one:
        await gql(OVERLAY_QUERY, {"first": 1}, headers=demo_headers)
    with counting_statements(runtime) as all_of_them:
        await gql(OVERLAY_QUERY, {"first": 13}, headers=demo_headers)
    assert len(one) == len(all_of_them), (one, all_of_them)
