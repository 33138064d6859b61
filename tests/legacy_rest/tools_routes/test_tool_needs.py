"""What one tool needs and costs: its required and optional integrations with ``alreadyEnabled``
and ``appId``, and its credit presets framed as days of usage (CONTRACT.md §2.4, §2.5;
docs/decisions/0020, 0021)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.models import (
    App,
    AppConnectionBinding,
    Connection,
    Integration,
    TenantIntegration,
    Tool,
    UsageEvent,
)
from app.runtime import Runtime
from tests.conftest import Sessions, session_headers
from tests.legacy_rest.tools_routes.helpers import (
    BAD_SLUGS,
    CALLERS,
    DEMO_ENABLED,
    EMPTY_INTEGRATIONS,
    ENTRY_KEYS,
    FRAMING_NOT_FOUND,
    GARBAGE_APP_IDS,
    LONG,
    UNLISTED,
    add_tool,
    app_id,
    assert_json,
    buckets,
    days_ago,
    framing,
    integration_entries,
    new_workspace,
    release,
    spend,
)
from tests.support.builders import add_rows
from tests.support.catalog import ENABLED_PROVIDERS
from tests.support.credentials import tenant_of

# --------------------------------------------------------------------------------------------
# GET /api/tools/{slug}/integrations


async def test_integrations_anonymous_scribe_exact_body(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/scribe/integrations")
    assert_json(
        response,
        200,
        {
            "required": [
                {
                    "integrationId": entries["assemblyai"]["integrationId"],
                    "provider": "assemblyai",
                    "name": "AssemblyAI",
                    "description": "Speech to text and audio intelligence.",
                    "iconName": None,
                    "logoUrl": "https://vendo.run/logos/assemblyai.svg",
                    "category": "speech",
                    "defaultProfile": "vendo_managed_pool",
                    "supportedProfiles": ["vendo_managed_pool"],
                    "alreadyEnabled": False,
                }
            ],
            "optional": [
                {
                    "integrationId": entries["openrouter"]["integrationId"],
                    "provider": "openrouter",
                    "name": "OpenRouter",
                    "description": "Unified gateway for LLM providers.",
                    "iconName": None,
                    "logoUrl": "https://vendo.run/logos/openrouter.svg",
                    "category": "llm",
                    "defaultProfile": "vendo_managed_pool",
                    "supportedProfiles": ["vendo_managed_pool", "byok_static"],
                    "alreadyEnabled": False,
                },
                {
                    "integrationId": entries["elevenlabs"]["integrationId"],
                    "provider": "elevenlabs",
                    "name": "ElevenLabs",
                    "description": "Text to speech and voice cloning.",
                    "iconName": None,
                    "logoUrl": "https://vendo.run/logos/elevenlabs.svg",
                    "category": "voice",
                    "defaultProfile": "vendo_managed_pool",
                    "supportedProfiles": ["vendo_managed_pool"],
                    "alreadyEnabled": False,
                },
            ],
        },
    )
    for bucket in ("required", "optional"):
        assert [list(entry) for entry in response.json()[bucket]] == [ENTRY_KEYS] * len(
            response.json()[bucket]
        )


async def test_integrations_signed_in_reflects_workspace_state(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/scribe/integrations", headers=demo_headers)
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], DEMO_ENABLED)
    assert_json(response, 200, expected)


async def test_integrations_surface_all_connections_lists_every_enabled_integration(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    response = await client.get("/api/tools/hermes/integrations")
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional))


async def test_integrations_surface_all_connections_signed_in(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    response = await client.get("/api/tools/hermes/integrations", headers=demo_headers)
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional, DEMO_ENABLED))


async def test_integrations_surface_all_connections_follows_the_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    """A disabled integration leaves the optional bucket; a re-enabled one comes back."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == "slack").values(enabled=False)
        )
        await session.execute(
            update(Integration).where(Integration.provider == "replicate").values(enabled=True)
        )
    body = (await client.get("/api/tools/hermes/integrations")).json()
    assert [row["provider"] for row in body["optional"]] == sorted(
        {*ENABLED_PROVIDERS, "replicate"} - {"slack", "openrouter", "telegram"}
    )


async def test_integrations_manifest_order_unknown_and_disabled_providers(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await add_tool(
        runtime,
        "picky",
        release=release(
            requires={
                "required": ["telegram", "ghost", "openrouter", "replicate"],
                "optional": ["slack", "openrouter", "ghost", "anthropic", "replicate"],
            }
        ),
    )
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/picky/integrations")
    assert_json(response, 200, buckets(entries, ["telegram", "openrouter"], ["slack", "anthropic"]))


@pytest.mark.parametrize(
    "requires",
    [{}, {"required": "openrouter"}, {"required": [1, None], "optional": {"a": 1}}, []],
    ids=["empty", "string", "wrong-types", "list"],
)
async def test_integrations_malformed_manifest_is_empty(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, requires: Any
) -> None:
    await add_tool(runtime, "odd", release=release(requires=requires))
    assert_json(await client.get("/api/tools/odd/integrations"), 200, EMPTY_INTEGRATIONS)


async def test_integrations_tool_without_active_release_has_empty_manifests(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await add_tool(
        runtime, "dormant", inactive=release(requires={"required": ["openrouter"], "optional": []})
    )
    for slug in ("sketchpad", "dormant"):
        response = await client.get(f"/api/tools/{slug}/integrations", headers=demo_headers)
        assert_json(response, 200, EMPTY_INTEGRATIONS)


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
async def test_integrations_unknown_slug_answers_empty_lists(
    client: httpx.AsyncClient, runtime: Runtime, caller_headers: dict[str, str]
) -> None:
    my_hermes = await app_id(runtime, "My Hermes")
    for params in ({}, {"appId": my_hermes}, {"appId": "garbage"}):
        response = await client.get(
            "/api/tools/nope/integrations", params=params, headers=caller_headers
        )
        assert_json(response, 200, EMPTY_INTEGRATIONS)


@pytest.mark.parametrize("caller_headers", ["anonymous", "signed-in"], indirect=True)
@pytest.mark.parametrize("slug", UNLISTED)
async def test_integrations_unlisted_tool_answers_like_unknown(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(f"/api/tools/{slug}/integrations", headers=caller_headers)
    assert_json(response, 200, EMPTY_INTEGRATIONS)


async def test_integrations_staff_see_an_internal_tools_integrations(
    client: httpx.AsyncClient, runtime: Runtime, staff_headers: dict[str, str]
) -> None:
    """Staff can deploy internal tools (they see them in the deployable list)."""
    entries = await integration_entries(runtime)
    response = await client.get("/api/tools/ops-console/integrations", headers=staff_headers)
    assert_json(response, 200, buckets(entries, ["openrouter"], []))


async def test_integrations_app_id_switches_to_the_apps_bindings(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    my_hermes = await app_id(runtime, "My Hermes")  # bound to openrouter
    response = await client.get(
        "/api/tools/hermes/integrations", params={"appId": my_hermes}, headers=demo_headers
    )
    # elevenlabs is enabled for the workspace, but this app is not bound to it.
    assert_json(
        response, 200, buckets(entries, ["openrouter", "telegram"], optional, {"openrouter"})
    )

    voice_notes = await app_id(runtime, "Voice notes")  # bound to elevenlabs
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": voice_notes}, headers=demo_headers
    )
    # openrouter is enabled for the workspace, but this app is not bound to it.
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], {"elevenlabs"})
    assert_json(response, 200, expected)


async def test_integrations_app_id_in_upper_case_is_the_same_app(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    voice_notes = await app_id(runtime, "Voice notes")
    lower = await client.get(
        "/api/tools/scribe/integrations", params={"appId": voice_notes}, headers=demo_headers
    )
    upper = await client.get(
        "/api/tools/scribe/integrations",
        params={"appId": voice_notes.upper()},
        headers=demo_headers,
    )
    assert upper.status_code == 200
    assert upper.content == lower.content


async def test_integrations_binding_to_inactive_connection_is_not_enabled(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant_id = await tenant_of(runtime, "demo@vendo.local")
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Connection)
            .where(Connection.tenant_id == tenant_id, Connection.provider == "elevenlabs")
            .values(active=False)
        )
    entries = await integration_entries(runtime)
    voice_notes = await app_id(runtime, "Voice notes")
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": voice_notes}, headers=demo_headers
    )
    assert_json(response, 200, buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"]))


@pytest.mark.parametrize("value", GARBAGE_APP_IDS.values(), ids=GARBAGE_APP_IDS.keys())
async def test_integrations_app_id_not_a_uuid_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str], value: str
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": value}, headers=demo_headers
    )
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], DEMO_ENABLED)
    assert_json(response, 200, expected)


async def test_integrations_unknown_app_id_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get(
        "/api/tools/scribe/integrations", params={"appId": str(uuid.uuid4())}, headers=demo_headers
    )
    expected = buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"], DEMO_ENABLED)
    assert_json(response, 200, expected)


async def test_integrations_repeated_app_id_never_errors(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    my_hermes = await app_id(runtime, "My Hermes")
    response = await client.get(
        f"/api/tools/scribe/integrations?appId=garbage&appId={my_hermes}", headers=demo_headers
    )
    assert response.status_code == 200
    assert [row["provider"] for row in response.json()["required"]] == ["assemblyai"]


async def test_integrations_other_workspaces_app_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, sessions: Sessions
) -> None:
    """Neither workspace learns anything about the other's app bindings."""
    demo_tenant = await tenant_of(runtime, "demo@vendo.local")
    demo_headers = session_headers(await sessions.create("demo@vendo.local"))
    other_headers = session_headers(await sessions.create("other@example.com"))
    other_tenant = await tenant_of(runtime, "other@example.com")
    async with runtime.db.read() as session:
        hermes_id = await session.scalar(select(Tool.id).where(Tool.slug == "hermes"))
        telegram_id = await session.scalar(
            select(Integration.id).where(Integration.provider == "telegram")
        )
    assert hermes_id is not None
    assert telegram_id is not None
    # The other workspace: telegram enabled by flag, an app bound to an active slack connection.
    connection = Connection(tenant_id=other_tenant, provider="slack", profile="byok_static")
    other_app = App(tenant_id=other_tenant, tool_id=hermes_id, name="Their Hermes")
    await add_rows(
        runtime,
        TenantIntegration(tenant_id=other_tenant, integration_id=telegram_id, enabled=True),
        connection,
        other_app,
        AppConnectionBinding(app_id=other_app.id, connection_id=connection.id),
    )
    entries = await integration_entries(runtime)
    optional = [p for p in ENABLED_PROVIDERS if p not in ("openrouter", "telegram")]
    # slack: an active connection stands in for the unset flag.
    other_state = {"telegram", "slack"}

    response = await client.get(
        "/api/tools/hermes/integrations", params={"appId": str(other_app.id)}, headers=demo_headers
    )
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional, DEMO_ENABLED))

    my_hermes = await app_id(runtime, "My Hermes")
    response = await client.get(
        "/api/tools/hermes/integrations", params={"appId": my_hermes}, headers=other_headers
    )
    assert_json(response, 200, buckets(entries, ["openrouter", "telegram"], optional, other_state))
    assert demo_tenant != other_tenant


async def test_integrations_anonymous_app_id_counts_as_no_app(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    voice_notes = await app_id(runtime, "Voice notes")
    response = await client.get("/api/tools/scribe/integrations", params={"appId": voice_notes})
    assert_json(response, 200, buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"]))


async def test_integrations_invalid_cookie_is_anonymous(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    entries = await integration_entries(runtime)
    response = await client.get(
        "/api/tools/scribe/integrations", headers={"Cookie": "vendo_session=garbage"}
    )
    assert_json(response, 200, buckets(entries, ["assemblyai"], ["openrouter", "elevenlabs"]))


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_integrations_bad_slug_answers_empty_lists(
    client: httpx.AsyncClient, demo_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(
        f"/api/tools/{slug}/integrations", params={"appId": LONG}, headers=demo_headers
    )
    assert_json(response, 200, EMPTY_INTEGRATIONS)


# --------------------------------------------------------------------------------------------
# GET /api/tools/{slug}/usage-framing


FRAMINGS = {
    # $4 from 23:59:59 three days ago to 00:00:01 today: 4 UTC days, $1/day.
    "counts-first-and-last-utc-day": (
        [(days_ago(3, 23, 59, 59), 2_000_000), (days_ago(0, 0, 0, 1), 2_000_000)],
        (5, 25, 100),
        None,
    ),
    # $2/day: 5/2 = 2.5 → 3 and 25/2 = 12.5 → 13 (not banker's 2 and 12).
    "rounds-half-up": (
        [(days_ago(1), 1_500_000), (days_ago(0, 9), 2_500_000)],
        (3, 13, 50),
        None,
    ),
    "one-day-is-singular": (
        [(days_ago(0, 1), 2_000_000), (days_ago(0, 2), 3_000_000)],
        (1, 5, 20),
        "≈ 1 day of usage",
    ),
    # $10/day: 5/10 = 0.5 → 1 day, 2.5 → 3, 10.
    "half-a-day-rounds-up-to-one-day": ([(days_ago(0, 3), 10_000_000)], (1, 3, 10), None),
    # $12/day: 5/12 = 0.42 → "< 1 day of usage", 25/12 = 2.08 → 2, 100/12 = 8.33 → 8.
    "under-one-day": ([(days_ago(0, 4), 12_000_000)], (0, 2, 8), "< 1 day of usage"),
    # $1 over 3 days = $0.333…/day: 15, 75, 300 (an average rounded to cents, $0.33, would
    # give 15, 76, 303).
    "average-is-not-rounded-before-dividing": ([(days_ago(2), 1_000_000)], (15, 75, 300), None),
}


@pytest.mark.parametrize(("spends", "days", "first_label"), FRAMINGS.values(), ids=FRAMINGS.keys())
async def test_framing_of_a_tool_with_usage(
    client: httpx.AsyncClient,
    runtime: Runtime,
    frozen_now: datetime,
    workspace: uuid.UUID,
    spends: list[tuple[datetime, int]],
    days: tuple[int, int, int],
    first_label: str | None,
) -> None:
    tool_id = await add_tool(runtime, "steady")
    await spend(runtime, workspace, tool_id, spends)
    response = await client.get("/api/tools/steady/usage-framing")
    assert_json(response, 200, framing(days, cold=False))
    if first_label is not None:
        assert response.json()["amounts"][0]["label"] == first_label


async def test_framing_sums_every_app_of_the_tool_and_nothing_else(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Two apps (two workspaces) of the tool: $3 + $3 over 3 days = $2/day; another tool's app
    and usage without an app do not count."""
    tool_id = await add_tool(runtime, "shared")
    other_tool = await add_tool(runtime, "other")
    elsewhere = await new_workspace(runtime, "elsewhere@example.com")
    await spend(runtime, workspace, tool_id, [(days_ago(2), 3_000_000)])
    await spend(runtime, elsewhere, tool_id, [(days_ago(0), 3_000_000)])
    await spend(runtime, workspace, other_tool, [(days_ago(9), 90_000_000)])
    await add_rows(
        runtime,
        UsageEvent(
            tenant_id=workspace,
            provider="openrouter",
            app_id=None,
            cost_micros=50_000_000,
            occurred_at=days_ago(20),
        ),
    )
    assert_json(
        await client.get("/api/tools/shared/usage-framing"), 200, framing((3, 13, 50), cold=False)
    )


@pytest.mark.parametrize(
    ("category", "days"),
    [
        # Category "robots" falls back to $2/day: 3, 13, 50, cold.
        ("robots", (3, 13, 50)),
        # No row for "gizmos": the `*` row, $0.40/day: 12.5 → 13, 62.5 → 63, 250, cold.
        ("gizmos", (13, 63, 250)),
    ],
    ids=["uses-the-category-fallback", "uses-the-star-row"],
)
async def test_framing_cold_start(
    client: httpx.AsyncClient,
    runtime: Runtime,
    frozen_now: datetime,
    workspace: uuid.UUID,
    category: str,
    days: tuple[int, int, int],
) -> None:
    await add_tool(runtime, "new-tool", category=category)
    assert_json(
        await client.get("/api/tools/new-tool/usage-framing"), 200, framing(days, cold=True)
    )


async def test_framing_cold_start_without_any_fallback_row_is_one_dollar_a_day(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime
) -> None:
    await add_tool(runtime, "lonely", category="gizmos")
    assert_json(
        await client.get("/api/tools/lonely/usage-framing"), 200, framing((5, 25, 100), cold=True)
    )


async def test_framing_free_usage_is_a_cold_start(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    """Usage events that cost nothing are no spend history."""
    tool_id = await add_tool(runtime, "freebie", category="robots")
    await spend(runtime, workspace, tool_id, [(days_ago(5), 0), (days_ago(1), 0)])
    assert_json(
        await client.get("/api/tools/freebie/usage-framing"), 200, framing((3, 13, 50), cold=True)
    )


async def test_framing_demo_cold_starts(client: httpx.AsyncClient, demo: None) -> None:
    """The demo fallbacks: agent $1.50, messaging $0.25, voice $0.80, `*` $1.00 a day."""
    cases = {
        "sketchpad": (3, 17, 67),
        "herald": (20, 100, 400),
        "switchboard": (6, 31, 125),
        "postmaster": (5, 25, 100),
    }
    for slug, days in cases.items():
        response = await client.get(f"/api/tools/{slug}/usage-framing")
        assert_json(response, 200, framing(days, cold=True))


async def test_framing_demo_tool_with_history_is_not_cold(
    client: httpx.AsyncClient, demo: None
) -> None:
    body = (await client.get("/api/tools/hermes/usage-framing")).json()
    assert [amount["usd"] for amount in body["amounts"]] == [5, 25, 100]
    assert [amount["cold_start"] for amount in body["amounts"]] == [False, False, False]
    assert [list(amount) for amount in body["amounts"]] == [["usd", "label", "cold_start"]] * 3


@pytest.mark.parametrize("caller_headers", CALLERS, indirect=True)
@pytest.mark.parametrize("slug", [*UNLISTED, "nope"])
async def test_framing_unlisted_or_unknown_tool_is_not_found(
    client: httpx.AsyncClient, caller_headers: dict[str, str], slug: str
) -> None:
    response = await client.get(f"/api/tools/{slug}/usage-framing", headers=caller_headers)
    assert_json(response, 404, FRAMING_NOT_FOUND)


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_framing_bad_slug_is_not_found(
    client: httpx.AsyncClient, demo: None, slug: str
) -> None:
    assert_json(await client.get(f"/api/tools/{slug}/usage-framing"), 404, FRAMING_NOT_FOUND)


async def test_framing_is_cached_per_slug(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, workspace: uuid.UUID
) -> None:
    tool_id = await add_tool(runtime, "cached", category="robots")
    other_id = await add_tool(runtime, "uncached", category="robots")
    cold = framing((3, 13, 50), cold=True)
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, cold)
    await spend(runtime, workspace, tool_id, [(days_ago(0), 10_000_000)])
    await spend(runtime, workspace, other_id, [(days_ago(0), 10_000_000)])
    # Still the cached answer for the first slug; the second was never asked, so it is fresh.
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, cold)
    hot = framing((1, 3, 10), cold=False)
    assert_json(await client.get("/api/tools/uncached/usage-framing"), 200, hot)
    await runtime.cache.invalidate("usage-framing")
    assert_json(await client.get("/api/tools/cached/usage-framing"), 200, hot)
