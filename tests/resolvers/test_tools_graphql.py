"""The tools and pricing domain through /graphql: the data of the CONTRACT.md §2 routes, staff
versus everyone else, Relay pagination, `node(id:)`, `Tool.integrations(appId:)`, and DataLoader
batching (a catalog of 500 tools costs the same SQL statements as the demo's handful)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay import to_base64

from app.models import App, Integration, Release, Tool
from app.runtime import Runtime
from tests.conftest import GraphQLClient, Sessions, session_headers
from tests.support.catalog import ENABLED_PROVIDERS
from tests.support.documents import codes
from tests.support.sql import counting_statements

# --------------------------------------------------------------------------------------------
# Documents

TOOLS_QUERY = """
query Tools($first: Int, $after: String) {
  tools(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug } }
    nodes { id databaseId slug name category enabled internal surfaceAllConnections marketing }
  }
}
"""

TOOL_QUERY = """
query OneTool($slug: String!) {
  tool(slug: $slug) {
    id databaseId slug name description category enabled internal surfaceAllConnections marketing
    activeRelease {
      version deployReady requires { required optional } wizardInputs authMode sourceRepo iconUrl
      wizardLayout {
        version
        subSteps {
          id title
          sections {
            __typename
            ... on IntegrationSection { type providers }
            ... on InputsSection { type keys }
            ... on NoticeSection { type body }
          }
        }
      }
    }
  }
}
"""

DEPLOYABLE_QUERY = """
query Deployable($first: Int, $after: String) {
  deployableTools(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      toolSlug toolName description iconUrl authMode sourceRepo version wizardInputs
      wizardLayout { version subSteps { id } }
      tool { slug enabled internal }
    }
  }
}
"""

TOOL_INTEGRATIONS_QUERY = """
query ToolIntegrations($slug: String!, $appId: String) {
  toolIntegrations(slug: $slug, appId: $appId) {
    required { integration { provider databaseId } alreadyEnabled }
    optional { integration { provider databaseId } alreadyEnabled }
  }
}
"""

TOOL_FIELD_INTEGRATIONS_QUERY = """
query ToolFieldIntegrations($slug: String!, $appId: String) {
  tool(slug: $slug) {
    integrations(appId: $appId) {
      required { integration { provider } alreadyEnabled }
      optional { integration { provider } alreadyEnabled }
    }
  }
}
"""

USAGE_FRAMING_QUERY = """
query Framing($slug: String!) {
  usageFraming(slug: $slug) {
    coldStart averageDailySpendMicros
    amounts { usd days label coldStart }
  }
}
"""

TOOL_FRAMING_QUERY = """
query ToolFraming($slug: String!) {
  tool(slug: $slug) { usageFraming { coldStart averageDailySpendMicros amounts { days } } }
}
"""

PRICING_INTEGRATIONS_QUERY = """
query PricingIntegrations { pricingIntegrations { slug name category } }
"""

PUBLIC_PRICING_QUERY = """
query PublicPricing($slug: String!) {
  publicPricing(slug: $slug) {
    slug name category description
    rates { key label unit priceMicros priceUsd }
  }
}
"""

NODE_QUERY = """
query Node($id: ID!) {
  node(id: $id) { __typename id ... on Tool { slug activeRelease { version } } }
}
"""

COUNTED_QUERY = """
query Counted($first: Int) {
  tools(first: $first) {
    nodes {
      slug
      activeRelease { version wizardLayout { version } }
      integrations {
        required { integration { provider tenantEnabled } alreadyEnabled }
        optional { alreadyEnabled }
      }
      usageFraming { amounts { label } }
    }
  }
}
"""

LISTED = ["herald", "hermes", "postmaster", "scribe", "sketchpad", "switchboard"]
UNLISTED = ["archivist", "ops-console", "vendo-test-smoke"]
EVERY_TOOL = sorted([*LISTED, *UNLISTED])
DEPLOYABLE_LISTED = ["herald", "hermes", "postmaster", "scribe", "switchboard"]
DEPLOYABLE_STAFF = [slug for slug in EVERY_TOOL if slug != "sketchpad"]  # no deployment
HERMES_LAYOUT = {
    "version": 1,
    "subSteps": [
        {
            "id": "connect",
            "title": "Connect integrations",
            "sections": [
                {
                    "__typename": "IntegrationSection",
                    "type": "integration",
                    "providers": ["openrouter", "telegram"],
                }
            ],
        },
        {
            "id": "configure",
            "title": "Configure",
            "sections": [
                {"__typename": "InputsSection", "type": "inputs", "keys": ["TIMEZONE"]},
                {
                    "__typename": "NoticeSection",
                    "type": "notice",
                    "body": "You can change these later.",
                },
            ],
        },
    ],
}
TIMEZONE_INPUT = {"key": "TIMEZONE", "label": "Timezone", "type": "string", "required": False}


# --------------------------------------------------------------------------------------------
# Helpers


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result
    return result["data"]  # type: ignore[no-any-return]


def enabled_map(bucket: list[dict[str, Any]]) -> dict[str, bool]:
    return {entry["integration"]["provider"]: entry["alreadyEnabled"] for entry in bucket}


async def tool_id(runtime: Runtime, slug: str) -> uuid.UUID:
    async with runtime.db.read() as session:
        found = await session.scalar(select(Tool.id).where(Tool.slug == slug))
    assert found is not None
    return found


async def app_id(runtime: Runtime, name: str) -> str:
    async with runtime.db.read() as session:
        found = await session.scalar(select(App.id).where(App.name == name))
    assert found is not None
    return str(found)


@pytest.fixture
async def staff_headers(demo: None, sessions: Sessions) -> dict[str, str]:
    return session_headers(await sessions.create("admin@vendo.local", staff=True))


# --------------------------------------------------------------------------------------------
# tools


async def tools_page(
    gql: GraphQLClient, headers: dict[str, str], slugs: list[str]
) -> dict[str, Any]:
    """The first page of ``tools`` for these credentials: exactly ``slugs``, all counted."""
    page = ok(await gql(TOOLS_QUERY, headers=headers))["tools"]
    assert [node["slug"] for node in page["nodes"]] == slugs
    assert page["totalCount"] == len(slugs)
    return page


async def test_tools_anonymous_lists_listed_tools(gql: GraphQLClient, demo: None) -> None:
    page = await tools_page(gql, {}, LISTED)
    assert page["pageInfo"]["hasNextPage"] is False
    assert all(node["internal"] is False and node["enabled"] for node in page["nodes"])


async def test_tools_signed_in_lists_listed_tools(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    await tools_page(gql, demo_headers, LISTED)


async def test_tools_staff_lists_every_tool(
    gql: GraphQLClient, staff_headers: dict[str, str]
) -> None:
    page = await tools_page(gql, staff_headers, EVERY_TOOL)
    nodes = {node["slug"]: node for node in page["nodes"]}
    assert nodes["ops-console"]["internal"] is True
    assert nodes["ops-console"]["marketing"] == {"internal": True}
    assert nodes["archivist"]["enabled"] is False
    assert nodes["hermes"]["surfaceAllConnections"] is True
    assert nodes["hermes"]["marketing"] == {"featured": True}


async def test_tools_node_ids_are_global_ids_of_tools(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    nodes = ok(await gql(TOOLS_QUERY))["tools"]["nodes"]
    hermes = next(node for node in nodes if node["slug"] == "hermes")
    database_id = await tool_id(runtime, "hermes")
    assert hermes["databaseId"] == str(database_id)
    assert hermes["id"] == to_base64("Tool", str(database_id))


async def test_tools_pages_follow_slug_order(gql: GraphQLClient, demo: None) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = ok(await gql(TOOLS_QUERY, {"first": 4, "after": after}))["tools"]
        seen += [node["slug"] for node in page["nodes"]]
        assert [edge["node"]["slug"] for edge in page["edges"]] == [
            node["slug"] for node in page["nodes"]
        ]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["totalCount"] == len(LISTED)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == LISTED
    assert pages == 2


@pytest.mark.parametrize("first", [101, -1])
async def test_tools_first_out_of_range_is_bad_user_input(
    gql: GraphQLClient, demo: None, first: int
) -> None:
    result = await gql(TOOLS_QUERY, {"first": first})
    assert codes(result) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor!", base64.b64encode(b"Tool:hermes").decode(), "x" * 10_000],
    ids=["garbage", "global-id", "long"],
)
async def test_tools_bad_cursor_is_bad_user_input(
    gql: GraphQLClient, demo: None, cursor: str
) -> None:
    result = await gql(TOOLS_QUERY, {"after": cursor})
    assert codes(result) == ["BAD_USER_INPUT"]


# --------------------------------------------------------------------------------------------
# tool


async def test_tool_hermes_with_active_release(gql: GraphQLClient, demo: None) -> None:
    tool = ok(await gql(TOOL_QUERY, {"slug": "hermes"}))["tool"]
    assert tool["slug"] == "hermes"
    assert tool["activeRelease"] == {
        "version": "1.4.2",
        "deployReady": True,
        "requires": {"required": ["openrouter", "telegram"], "optional": []},
        "wizardInputs": [TIMEZONE_INPUT],
        "authMode": "supabase",
        "sourceRepo": "https://github.com/runvendo/hermes-vendo",
        "iconUrl": "https://vendo.run/logos/hermes.svg",
        "wizardLayout": HERMES_LAYOUT,
    }


async def test_tool_invalid_layout_is_null(gql: GraphQLClient, demo: None) -> None:
    release = ok(await gql(TOOL_QUERY, {"slug": "switchboard"}))["tool"]["activeRelease"]
    assert release["wizardLayout"] is None
    assert release["wizardInputs"] == []
    assert release["requires"] == {"required": ["twilio", "elevenlabs"], "optional": ["deepgram"]}


async def test_tool_unreleased_has_null_active_release(gql: GraphQLClient, demo: None) -> None:
    assert ok(await gql(TOOL_QUERY, {"slug": "sketchpad"}))["tool"]["activeRelease"] is None


@pytest.mark.parametrize("slug", [*UNLISTED, "nope", "x" * 10_000, "h\u00e9rald"])
async def test_tool_unlisted_or_unknown_is_null_for_non_staff(
    gql: GraphQLClient, demo_headers: dict[str, str], slug: str
) -> None:
    assert ok(await gql(TOOL_QUERY, {"slug": slug}))["tool"] is None
    assert ok(await gql(TOOL_QUERY, {"slug": slug}, headers=demo_headers))["tool"] is None


@pytest.mark.parametrize("slug", UNLISTED)
async def test_tool_unlisted_is_visible_to_staff(
    gql: GraphQLClient, staff_headers: dict[str, str], slug: str
) -> None:
    tool = ok(await gql(TOOL_QUERY, {"slug": slug}, headers=staff_headers))["tool"]
    assert tool["slug"] == slug


# --------------------------------------------------------------------------------------------
# deployableTools


async def test_deployable_tools_non_staff(gql: GraphQLClient, demo_headers: dict[str, str]) -> None:
    for headers in (None, demo_headers):
        nodes = ok(await gql(DEPLOYABLE_QUERY, headers=headers))["deployableTools"]["nodes"]
        assert [node["toolSlug"] for node in nodes] == DEPLOYABLE_LISTED
    by_slug = {node["toolSlug"]: node for node in nodes}
    assert by_slug["hermes"] == {
        "toolSlug": "hermes",
        "toolName": "Hermes",
        "description": "A personal agent on Telegram that can use every connection you have.",
        "iconUrl": "https://vendo.run/logos/hermes.svg",
        "authMode": "supabase",
        "sourceRepo": "https://github.com/runvendo/hermes-vendo",
        "version": "1.4.2",
        "wizardInputs": [TIMEZONE_INPUT],
        "wizardLayout": {"version": 1, "subSteps": [{"id": "connect"}, {"id": "configure"}]},
        "tool": {"slug": "hermes", "enabled": True, "internal": False},
    }
    assert by_slug["switchboard"]["wizardLayout"] is None
    assert by_slug["postmaster"]["wizardInputs"] == []


async def test_deployable_tools_staff(gql: GraphQLClient, staff_headers: dict[str, str]) -> None:
    nodes = ok(await gql(DEPLOYABLE_QUERY, headers=staff_headers))["deployableTools"]["nodes"]
    assert [node["toolSlug"] for node in nodes] == DEPLOYABLE_STAFF
    by_slug = {node["toolSlug"]: node for node in nodes}
    assert by_slug["archivist"]["tool"] == {
        "slug": "archivist",
        "enabled": False,
        "internal": False,
    }
    assert by_slug["ops-console"]["tool"]["internal"] is True


async def test_deployable_tools_pages(gql: GraphQLClient, staff_headers: dict[str, str]) -> None:
    first = ok(await gql(DEPLOYABLE_QUERY, {"first": 5}, headers=staff_headers))["deployableTools"]
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = ok(await gql(DEPLOYABLE_QUERY, {"first": 5, "after": after}, headers=staff_headers))[
        "deployableTools"
    ]
    assert second["pageInfo"]["hasNextPage"] is False
    slugs = [n["toolSlug"] for n in first["nodes"]] + [n["toolSlug"] for n in second["nodes"]]
    assert slugs == DEPLOYABLE_STAFF


# --------------------------------------------------------------------------------------------
# toolIntegrations and Tool.integrations


async def test_tool_integrations_signed_in_workspace_state(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    found = ok(await gql(TOOL_INTEGRATIONS_QUERY, {"slug": "hermes"}, headers=demo_headers))[
        "toolIntegrations"
    ]
    assert enabled_map(found["required"]) == {"openrouter": True, "telegram": False}
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    assert [e["integration"]["provider"] for e in found["optional"]] == optional
    assert {p for p, on in enabled_map(found["optional"]).items() if on} == {"elevenlabs"}
    async with runtime.db.read() as session:
        openrouter = await session.scalar(
            select(Integration.id).where(Integration.provider == "openrouter")
        )
    assert found["required"][0]["integration"]["databaseId"] == str(openrouter)


async def test_tool_integrations_app_id_uses_bindings(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    voice_notes = await app_id(runtime, "Voice notes")
    variables = {"slug": "scribe", "appId": voice_notes}
    for query, field in (
        (TOOL_INTEGRATIONS_QUERY, "toolIntegrations"),
        (TOOL_FIELD_INTEGRATIONS_QUERY, "tool"),
    ):
        data = ok(await gql(query, variables, headers=demo_headers))[field]
        found = data["integrations"] if field == "tool" else data
        assert enabled_map(found["required"]) == {"assemblyai": False}
        assert enabled_map(found["optional"]) == {"openrouter": False, "elevenlabs": True}


@pytest.mark.parametrize(
    "value",
    ["garbage", "", "x" * 10_000, str(uuid.UUID(int=1))],
    ids=["garbage", "empty", "long", "unknown-uuid"],
)
async def test_tool_integrations_bad_app_id_counts_as_none(
    gql: GraphQLClient, demo_headers: dict[str, str], value: str
) -> None:
    for query, field in (
        (TOOL_INTEGRATIONS_QUERY, "toolIntegrations"),
        (TOOL_FIELD_INTEGRATIONS_QUERY, "tool"),
    ):
        result = await gql(query, {"slug": "scribe", "appId": value}, headers=demo_headers)
        data = ok(result)[field]
        found = data["integrations"] if field == "tool" else data
        assert enabled_map(found["optional"]) == {"openrouter": True, "elevenlabs": True}


async def test_tool_integrations_other_workspaces_app_counts_as_none(
    gql: GraphQLClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    other = session_headers(await sessions.create("other@example.com"))
    my_hermes = await app_id(runtime, "My Hermes")
    found = ok(
        await gql(TOOL_INTEGRATIONS_QUERY, {"slug": "hermes", "appId": my_hermes}, headers=other)
    )["toolIntegrations"]
    assert enabled_map(found["required"]) == {"openrouter": False, "telegram": False}
    assert not any(enabled_map(found["optional"]).values())


async def test_tool_integrations_unknown_or_unlisted_slug_is_empty(
    gql: GraphQLClient, demo_headers: dict[str, str]
) -> None:
    for slug in ("nope", *UNLISTED):
        result = await gql(TOOL_INTEGRATIONS_QUERY, {"slug": slug}, headers=demo_headers)
        assert ok(result)["toolIntegrations"] == {"required": [], "optional": []}


async def test_tool_integrations_staff_sees_internal_tool(
    gql: GraphQLClient, staff_headers: dict[str, str]
) -> None:
    result = await gql(TOOL_INTEGRATIONS_QUERY, {"slug": "ops-console"}, headers=staff_headers)
    found = ok(result)["toolIntegrations"]
    assert enabled_map(found["required"]) == {"openrouter": False}
    assert found["optional"] == []


# --------------------------------------------------------------------------------------------
# usageFraming


async def test_usage_framing_cold_start_numbers(gql: GraphQLClient, demo: None) -> None:
    framing = ok(await gql(USAGE_FRAMING_QUERY, {"slug": "switchboard"}))["usageFraming"]
    assert framing == {
        "coldStart": True,
        "averageDailySpendMicros": 800_000,
        "amounts": [
            {"usd": 5, "days": 6, "label": "≈ 6 days of usage", "coldStart": True},
            {"usd": 25, "days": 31, "label": "≈ 31 days of usage", "coldStart": True},
            {"usd": 100, "days": 125, "label": "≈ 125 days of usage", "coldStart": True},
        ],
    }


async def test_usage_framing_field_of_tool_matches_query(gql: GraphQLClient, demo: None) -> None:
    for slug in ("hermes", "herald"):
        top = ok(await gql(USAGE_FRAMING_QUERY, {"slug": slug}))["usageFraming"]
        nested = ok(await gql(TOOL_FRAMING_QUERY, {"slug": slug}))["tool"]["usageFraming"]
        assert nested["coldStart"] == top["coldStart"]
        assert nested["averageDailySpendMicros"] == top["averageDailySpendMicros"]
        assert [a["days"] for a in nested["amounts"]] == [a["days"] for a in top["amounts"]]
    hermes = ok(await gql(USAGE_FRAMING_QUERY, {"slug": "hermes"}))["usageFraming"]
    assert hermes["coldStart"] is False
    assert hermes["averageDailySpendMicros"] > 0


@pytest.mark.parametrize("slug", [*UNLISTED, "nope"])
async def test_usage_framing_unknown_or_unlisted_is_null_for_non_staff(
    gql: GraphQLClient, demo_headers: dict[str, str], slug: str
) -> None:
    for headers in (None, demo_headers):
        result = await gql(USAGE_FRAMING_QUERY, {"slug": slug}, headers=headers)
        assert ok(result)["usageFraming"] is None


# --------------------------------------------------------------------------------------------
# pricingIntegrations and publicPricing


async def test_pricing_integrations_query(gql: GraphQLClient, demo: None) -> None:
    assert ok(await gql(PRICING_INTEGRATIONS_QUERY))["pricingIntegrations"] == [
        {"slug": "assemblyai", "name": "AssemblyAI", "category": "speech"},
        {"slug": "elevenlabs", "name": "ElevenLabs", "category": "voice"},
        {"slug": "openrouter", "name": "OpenRouter", "category": "llm"},
        {"slug": "sendgrid", "name": "SendGrid", "category": "email"},
    ]


async def test_public_pricing_query(gql: GraphQLClient, demo: None) -> None:
    assert ok(await gql(PUBLIC_PRICING_QUERY, {"slug": "openrouter"}))["publicPricing"] == {
        "slug": "openrouter",
        "name": "OpenRouter",
        "category": "llm",
        "description": "Unified gateway for LLM providers.",
        "rates": [
            {
                "key": "input_tokens",
                "label": "Input tokens",
                "unit": "1M tokens",
                "priceMicros": 3_600_000,
                "priceUsd": "3.6",
            },
            {
                "key": "output_tokens",
                "label": "Output tokens",
                "unit": "1M tokens",
                "priceMicros": 18_000_000,
                "priceUsd": "18",
            },
        ],
    }
    rates = ok(await gql(PUBLIC_PRICING_QUERY, {"slug": "assemblyai"}))["publicPricing"]["rates"]
    assert [(r["priceMicros"], r["priceUsd"]) for r in rates] == [(4500, "0.0045")]


@pytest.mark.parametrize("slug", ["nope", "telegram", "anthropic", "replicate", "x" * 10_000])
async def test_public_pricing_not_public_is_null(gql: GraphQLClient, demo: None, slug: str) -> None:
    assert ok(await gql(PUBLIC_PRICING_QUERY, {"slug": slug}))["publicPricing"] is None


# --------------------------------------------------------------------------------------------
# node(id:)


async def test_node_resolves_a_listed_tool(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    global_id = to_base64("Tool", str(await tool_id(runtime, "hermes")))
    node = ok(await gql(NODE_QUERY, {"id": global_id}))["node"]
    assert node == {
        "__typename": "Tool",
        "id": global_id,
        "slug": "hermes",
        "activeRelease": {"version": "1.4.2"},
    }


@pytest.mark.parametrize("slug", UNLISTED)
async def test_node_unlisted_tool_is_null_except_for_staff(
    gql: GraphQLClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    staff_headers: dict[str, str],
    slug: str,
) -> None:
    global_id = to_base64("Tool", str(await tool_id(runtime, slug)))
    assert ok(await gql(NODE_QUERY, {"id": global_id}))["node"] is None
    assert ok(await gql(NODE_QUERY, {"id": global_id}, headers=demo_headers))["node"] is None
    node = ok(await gql(NODE_QUERY, {"id": global_id}, headers=staff_headers))["node"]
    assert node["slug"] == slug


@pytest.mark.parametrize(
    "global_id",
    [to_base64("Tool", str(uuid.uuid4())), to_base64("Tool", "not-a-uuid"), to_base64("Tool", "")],
    ids=["unknown", "not-uuid", "empty"],
)
async def test_node_unknown_tool_id_is_null(gql: GraphQLClient, demo: None, global_id: str) -> None:
    result = await gql(NODE_QUERY, {"id": global_id})
    assert ok(result)["node"] is None


async def test_node_garbage_id_is_bad_user_input(gql: GraphQLClient, demo: None) -> None:
    result = await gql(NODE_QUERY, {"id": "not a global id"})
    assert codes(result) == ["BAD_USER_INPUT"]


# --------------------------------------------------------------------------------------------
# DataLoaders: statements do not grow with the catalog


def _big_release(index: int, tool: uuid.UUID) -> Release:
    layout = {
        "version": 1,
        "subSteps": [
            {
                "id": "s",
                "title": "S",
                "sections": [{"type": "integration", "providers": ["openrouter"]}],
            }
        ],
    }
    return Release(
        tool_id=tool,
        version=f"1.{index}.0",
        active=True,
        deploy_ready=index % 3 != 0,
        requires={
            "required": [["openrouter", "telegram", "assemblyai"][index % 3]],
            "optional": ["slack", "elevenlabs", "resend"][: index % 4],
        },
        wizard_inputs=[{"key": "K", "label": "K"}],
        wizard_layout=layout if index % 2 else {"version": 2},
        auth_mode="supabase",
    )


class TestStatementCount:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # Room for 1000 nodes: the page size and the query cost limit (not what is measured);
        # the catalog read by every request, not kept as a worker's snapshot between them
        # (tests/resolvers/test_catalog_snapshot.py).
        return {
            "graphql_max_page_size": 1000,
            "graphql_max_cost": 10_000_000,
            "catalog_snapshot_seconds": 0,
        }

    async def test_catalog_statements_do_not_grow_with_500_tools(
        self, gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        with counting_statements(runtime) as small:
            result = await gql(COUNTED_QUERY, {"first": 1000}, headers=demo_headers)
        nodes = ok(result)["tools"]["nodes"]
        assert [node["slug"] for node in nodes] == LISTED

        categories = ["agent", "voice", "messaging", "email", "unknown-category"]
        tools = [
            Tool(
                slug=f"bulk-{index:03d}",
                name=f"Bulk {index}",
                category=categories[index % len(categories)],
                surface_all_connections=index % 50 == 0,
            )
            for index in range(500)
        ]
        async with runtime.db.write() as session, session.begin():
            session.add_all(tools)
            await session.flush()
            # Some tools have no release at all.
            session.add_all(
                _big_release(index, tool.id) for index, tool in enumerate(tools) if index % 10 != 9
            )

        with counting_statements(runtime) as large:
            result = await gql(COUNTED_QUERY, {"first": 1000}, headers=demo_headers)
        nodes = ok(result)["tools"]["nodes"]
        assert len(nodes) == len(LISTED) + 500
        by_slug = {node["slug"]: node for node in nodes}
        assert by_slug["bulk-001"]["activeRelease"] == {
            "version": "1.1.0",
            "wizardLayout": {"version": 1},
        }
        assert by_slug["bulk-002"]["activeRelease"]["wizardLayout"] is None
        assert by_slug["bulk-009"]["activeRelease"] is None
        assert [
            e["integration"]["provider"] for e in by_slug["bulk-001"]["integrations"]["required"]
        ] == ["telegram"]
        assert len(large) == len(small), "\n".join(large)

    async def test_catalog_statements_do_not_grow_with_integrations_per_tool(
        self, gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        """Hermes surfaces every enabled integration: 20 more of them must not cost more SQL."""
        with counting_statements(runtime) as small:
            result = await gql(COUNTED_QUERY, {"first": 1000}, headers=demo_headers)
        assert [node["slug"] for node in ok(result)["tools"]["nodes"]] == LISTED

        async with runtime.db.write() as session, session.begin():
            session.add_all(
                Integration(
                    provider=f"zz-extra-{index:02d}", name=f"Extra {index}", category="misc"
                )
                for index in range(20)
            )

        with counting_statements(runtime) as large:
            result = await gql(COUNTED_QUERY, {"first": 1000}, headers=demo_headers)
        hermes = next(node for node in ok(result)["tools"]["nodes"] if node["slug"] == "hermes")
        assert len(hermes["integrations"]["optional"]) == 11 + 20
        assert len(large) == len(small), "\n".join(large)
