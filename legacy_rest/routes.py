"""THE route table: one entry per documented path, each running one GraphQL operation."""

from __future__ import annotations

from app.caching import INTEGRATIONS_CATALOG, TOOLS_CATALOG, USAGE_FRAMING
from legacy_rest import accounts as a
from legacy_rest import integrations as i
from legacy_rest import tools as t
from legacy_rest.envelopes import Envelope
from legacy_rest.table import (
    BEARER,
    OPTIONAL_SESSION,
    SESSION,
    STAFF,
    CacheRule,
    LegacyRoute,
    everyone,
    not_staff,
    whole,
)

FIVE_MINUTES = 300
ONE_HOUR = 3600

ROUTES: tuple[LegacyRoute, ...] = (
    # Reference 01 — integrations
    LegacyRoute(
        "GET", "/api/integrations", "integration_list",
        auth=OPTIONAL_SESSION, variables=i.signed_in, shape=i.integration_list,
        cache=CacheRule(INTEGRATIONS_CATALOG, FIVE_MINUTES),
        summary="Enabled integrations: canonical when anonymous, with the overlay signed in",
    ),
    LegacyRoute(
        "GET", "/api/integrations/{slug}", "integration_detail",
        auth=OPTIONAL_SESSION, variables=i.slug_signed_in, shape=i.integration_detail,
        cache=CacheRule(INTEGRATIONS_CATALOG, FIVE_MINUTES),
        summary="One integration; disabled ones only for signed-in callers",
    ),
    LegacyRoute(
        "POST", "/api/integrations/{slug}", "integration_toggle",
        auth=SESSION, variables=i.toggle, shape=i.toggle_result, reads_body=True,
        messages={"NOT_FOUND": "Not found", "NO_WORKSPACE": "Not found"},
        limit="integration",
        summary="Enable or disable an integration for the workspace",
    ),
    LegacyRoute(
        "POST", "/api/integrations/{slug}/regenerate", "integration_regenerate",
        auth=SESSION, variables=i.slug,
        messages={"NO_WORKSPACE": "No workspace", "NOT_FOUND": "Integration not found"},
        limit="integration",
        summary="Rotate an integration key (not supported by any live integration)",
    ),
    LegacyRoute(
        "GET", "/api/integrations/{slug}/usage", "integration_usage",
        auth=SESSION, variables=i.slug, shape=i.usage,
        messages={"NO_WORKSPACE": "No workspace", "NOT_FOUND": "Not found"},
        summary="30-day usage trend and spend for one integration",
    ),
    # Reference 02 — tools and pricing
    LegacyRoute(
        "GET", "/api/tools/catalog", "tools_catalog",
        auth=OPTIONAL_SESSION, shape=t.tool_list, fallback={"tools": []},
        cache=CacheRule(TOOLS_CATALOG, ONE_HOUR, applies_to=not_staff),
        summary="The tools catalog; staff sessions see every row (admin mode, uncached)",
    ),
    LegacyRoute(
        "GET", "/api/tools/deployable", "deployable_tools",
        auth=OPTIONAL_SESSION, shape=t.tool_list, fallback={"tools": []},
        summary="Tools with an active, deploy-ready release, for the deploy wizard",
    ),
    LegacyRoute(
        "GET", "/api/tools/{slug}", "tool_detail",
        variables=i.slug, shape=t.tool_detail, envelope=Envelope.STRING,
        messages={"NOT_FOUND": "Tool not found", "INTERNAL": "Internal error"},
        summary="One tool with its active release",
    ),
    LegacyRoute(
        "GET", "/api/tools/{slug}/usage-framing", "usage_framing",
        variables=i.slug, shape=t.usage_framing, envelope=Envelope.STRING,
        messages={"NOT_FOUND": "tool_not_found"},
        cache=CacheRule(USAGE_FRAMING, ONE_HOUR, applies_to=everyone),
        summary="Credit presets framed as days of the tool's usage",
    ),
    LegacyRoute(
        "GET", "/api/tools/{slug}/integrations", "tool_integrations",
        auth=OPTIONAL_SESSION, variables=t.slug_app, shape=t.tool_integrations,
        summary="A tool's required and optional integrations, with alreadyEnabled",
    ),
    LegacyRoute(
        "GET", "/api/pricing/models", "pricing_models",
        shape=t.pricing_models,
        messages={"UPSTREAM_FAILED": "Failed to fetch models from OpenRouter"},
        summary="OpenRouter models with the margin applied (1-hour cache, `cached` flag)",
    ),
    LegacyRoute(
        "GET", "/api/pricing/integrations", "pricing_integrations", shape=whole,
        messages={"INTERNAL": "Failed to load pricing integrations"},
        headers={"Cache-Control": "public, s-maxage=300, stale-while-revalidate=3600"},
        summary="Integrations with public meters, for the /pricing sidebar",
    ),
    LegacyRoute(
        "GET", "/api/pricing/public/{slug}", "public_pricing",
        variables=i.slug, shape=t.public_pricing,
        messages={"NOT_FOUND": "Not found", "INTERNAL": "Failed to load pricing detail"},
        headers={"Cache-Control": "s-maxage=300"},
        summary="An integration's public rate table",
    ),
    # Reference 05 — bulk save
    LegacyRoute(
        "POST", "/api/integrations", "integrations_save",
        auth=STAFF, variables=a.integrations_batch, shape=a.saved, reads_body=True,
        aliases=("/api/integrations/",),
        summary="Create or update integrations with their apis (staff), all or nothing",
    ),
    # Reference 04 — account integrations (/api/v1, text error bodies, CORS)
    LegacyRoute(
        "GET", "/api/v1/integrations", "v1_integration_list",
        auth=BEARER, variables=a.account_list, shape=a.account_list_body, envelope=Envelope.TEXT,
        messages={"INTERNAL": "Database error"},
        summary="The account's integrations with install state and per-category counts",
    ),
    LegacyRoute(
        "GET", "/api/v1/integrations/{id}", "v1_integration_detail",
        auth=BEARER, variables=a.account_item, shape=a.account_item_body, envelope=Envelope.TEXT,
        messages={"INTERNAL": "Database error"},
        summary="One integration by UUID or snake_case name",
    ),
    LegacyRoute(
        "POST", "/api/v1/integrations/{id}/install", "v1_integration_install",
        auth=BEARER, variables=a.install, shape=a.changed_item_body, envelope=Envelope.TEXT,
        reads_body=True, messages={"INTERNAL": "Database error"},
        summary="Install: params stored, secrets encrypted, status installed",
    ),
    LegacyRoute(
        "POST", "/api/v1/integrations/{id}/uninstall", "v1_integration_uninstall",
        auth=BEARER, variables=a.account_item, shape=a.changed_item_body, envelope=Envelope.TEXT,
        messages={"INTERNAL": "Database error"},
        summary="Uninstall: status available, installed_at cleared, stored values kept",
    ),
    LegacyRoute(
        "GET", "/api/v1/mcp-connections", "v1_account",
        auth=BEARER, variables=a.account, shape=a.stub("mcp_connections"), envelope=Envelope.TEXT,
        summary="MCP connections (reserved: always an empty list)",
    ),
    LegacyRoute(
        "GET", "/api/v1/native-tools", "v1_account",
        auth=BEARER, variables=a.account, shape=a.stub("native_tools"), envelope=Envelope.TEXT,
        summary="Native tools (reserved: always an empty list)",
    ),
)  # fmt: skip
