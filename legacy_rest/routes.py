"""THE route table: one entry per documented path, each running one GraphQL operation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from app.cache.shared import INTEGRATIONS_CATALOG, TOOLS_CATALOG, USAGE_FRAMING
from app.errors import (
    BadUserInput,
    ConnectionNotFound,
    Forbidden,
    Internal,
    KeyNotFound,
    NotFound,
    NoWorkspace,
    UpstreamFailed,
)
from app.limits import BILLING_BALANCE, CLI_BALANCE, V1_BALANCE
from app.settings import Settings
from legacy_rest import json_schemas
from legacy_rest.envelopes import Envelope
from legacy_rest.legacy_route import (
    APP_KEY_ONLY,
    BALANCE_BEARER,
    BEARER,
    CLI_BEARER,
    OPTIONAL_SESSION,
    SESSION,
    STAFF,
    Auth,
    CacheRule,
    LegacyRoute,
    everyone,
    not_staff,
    whole,
)
from legacy_rest.shapes import (
    account_integrations,
    bulk_save,
    common,
    dashboard,
    deployments,
    integrations,
    pricing,
    tools,
    wallet,
)

FIVE_MINUTES = 300
ONE_HOUR = 3600
DEMO_ACCOUNT = {"X-Account-ID": "demo"}
BULK_EXAMPLE = [
    {
        "name": "sendgrid-test",
        "type": "sendgrid",
        "category": "EMAIL",
        "description": "SendGrid integration for email tasks",
        "enabled": True,
        "configuration": {"api_key": "SG...."},
        "apis": [],
    }
]
INSTALL_EXAMPLE = {"params": {"region": "eu"}}
# Ids in the demo data are random: the write examples name one that is not there (404).
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def pricing_models_cache(body: Any, settings: Settings) -> Mapping[str, str]:
    """For a CDN (docs/decisions/0058): a catalog just fetched (``"cached": false``) is fresh for
    the server's whole hour; a cached copy has an unknown part of it left (or is a stale copy
    served while OpenRouter fails), so a shared cache keeps it five minutes at most. No
    stale-while-revalidate (it would stretch the hour); stale-if-error as long as the server
    itself would serve its last good copy."""
    fresh = settings.pricing_cache_seconds
    shared = min(FIVE_MINUTES, fresh) if body["cached"] else fresh
    directives = f"public, s-maxage={shared}"
    if settings.pricing_stale_seconds:
        directives += f", stale-if-error={settings.pricing_stale_seconds}"
    return {"Cache-Control": directives}


class V1Defaults(TypedDict):
    auth: Auth
    envelope: Envelope
    request_headers: tuple[str, ...]


V1: V1Defaults = {"auth": BEARER, "envelope": Envelope.TEXT, "request_headers": ("X-Account-ID",)}

# The balance routes with the CORS of CONTRACT.md §3.6 (app/factory.py installs it).
BALANCE_CORS_PATHS = ("/api/v1/balance", "/api/billing/balance")
BALANCE_SUMMARY = "The caller's workspace wallet: balance, credits, spend, spend this month"

ROUTES: tuple[LegacyRoute, ...] = (
    # Integrations (docs/CONTRACT.md §1)
    LegacyRoute(
        "GET", "/api/integrations", "integration_list",
        auth=OPTIONAL_SESSION, variables=integrations.signed_in,
        shape=integrations.integration_list,
        cache=CacheRule(INTEGRATIONS_CATALOG, FIVE_MINUTES),
        summary="Enabled integrations: canonical when anonymous, with the overlay signed in",
        responds=json_schemas.INTEGRATION_LIST, errors=(NoWorkspace,),
    ),
    LegacyRoute(
        "GET", "/api/integrations/{slug}", "integration_detail",
        example={"path": {"slug": "openrouter"}},
        auth=OPTIONAL_SESSION, variables=integrations.slug_signed_in,
        shape=integrations.integration_detail,
        cache=CacheRule(INTEGRATIONS_CATALOG, FIVE_MINUTES),
        summary="One integration; disabled ones only for signed-in callers",
        responds=json_schemas.INTEGRATION_DETAIL, errors=(NotFound,),
    ),
    LegacyRoute(
        "POST", "/api/integrations/{slug}", "integration_toggle",
        example={"path": {"slug": "elevenlabs"}, "body": {"enabled": True}},
        auth=SESSION, variables=integrations.toggle,
        shape=integrations.toggle_result, body=json_schemas.TOGGLE_BODY,
        messages={NotFound: "Not found", NoWorkspace: "Not found"},
        limit="integration",
        summary="Enable or disable an integration for the workspace",
        responds=json_schemas.TOGGLE, errors=(NotFound,),
    ),
    LegacyRoute(
        "POST", "/api/integrations/{slug}/regenerate", "integration_regenerate",
        example={"path": {"slug": "openrouter"}},
        auth=SESSION, variables=common.slug,
        messages={NoWorkspace: "No workspace", NotFound: "Integration not found"},
        limit="integration",
        summary="Rotate an integration key (not supported by any live integration)",
        responds=json_schemas.REGENERATED, errors=(NotFound, BadUserInput),
    ),
    LegacyRoute(
        "GET", "/api/integrations/{slug}/usage", "integration_usage",
        example={"path": {"slug": "openrouter"}},
        auth=SESSION, variables=common.slug, shape=integrations.usage,
        messages={NoWorkspace: "No workspace", NotFound: "Not found"},
        summary="30-day usage trend and spend for one integration",
        responds=json_schemas.USAGE, errors=(NotFound,),
    ),
    # Tools (docs/CONTRACT.md §2.1–2.5)
    LegacyRoute(
        "GET", "/api/tools/catalog", "tools_catalog",
        auth=OPTIONAL_SESSION, shape=tools.tool_list, fallback={"tools": []},
        cache=CacheRule(TOOLS_CATALOG, ONE_HOUR, applies_to=not_staff),
        summary="The tools catalog; staff sessions see every row (admin mode, uncached)",
        responds=json_schemas.TOOLS,
    ),
    LegacyRoute(
        "GET", "/api/tools/deployable", "deployable_tools",
        auth=OPTIONAL_SESSION, shape=tools.tool_list, fallback={"tools": []},
        summary="Tools with an active, deploy-ready release, for the deploy wizard",
        responds=json_schemas.DEPLOYABLE,
    ),
    LegacyRoute(
        "GET", "/api/tools/{slug}", "tool_detail",
        example={"path": {"slug": "hermes"}},
        variables=common.slug, shape=tools.tool_detail, envelope=Envelope.STRING,
        messages={NotFound: "Tool not found", Internal: "Internal error"},
        summary="One tool with its active release",
        responds=json_schemas.TOOL_DETAIL, errors=(NotFound,),
    ),
    LegacyRoute(
        "GET", "/api/tools/{slug}/usage-framing", "usage_framing",
        example={"path": {"slug": "hermes"}},
        variables=common.slug, shape=tools.usage_framing, envelope=Envelope.STRING,
        messages={NotFound: "tool_not_found"},
        cache=CacheRule(USAGE_FRAMING, ONE_HOUR, applies_to=everyone),
        summary="Credit presets framed as days of the tool's usage",
        responds=json_schemas.USAGE_FRAMING, errors=(NotFound,),
    ),
    LegacyRoute(
        "GET", "/api/tools/{slug}/integrations", "tool_integrations",
        example={"path": {"slug": "scribe"}},
        auth=OPTIONAL_SESSION, variables=tools.slug_app, shape=tools.tool_integrations,
        summary="A tool's required and optional integrations, with alreadyEnabled",
        responds=json_schemas.TOOL_INTEGRATIONS, query=("appId",),
    ),
    # Pricing (docs/CONTRACT.md §2.6–2.8)
    LegacyRoute(
        "GET", "/api/pricing/models", "pricing_models",
        shape=pricing.pricing_models, headers_for=pricing_models_cache,
        messages={UpstreamFailed: "Failed to fetch models from OpenRouter"},
        summary="OpenRouter models with the margin applied (1-hour cache, `cached` flag)",
        responds=json_schemas.PRICING_MODELS, errors=(UpstreamFailed,),
    ),
    LegacyRoute(
        "GET", "/api/pricing/integrations", "pricing_integrations", shape=whole,
        messages={Internal: "Failed to load pricing integrations"},
        headers={"Cache-Control": "public, s-maxage=300, stale-while-revalidate=3600"},
        summary="Integrations with public meters, for the /pricing sidebar",
        responds=json_schemas.PRICING_INTEGRATIONS,
    ),
    LegacyRoute(
        "GET", "/api/pricing/public/{slug}", "public_pricing",
        example={"path": {"slug": "openrouter"}},
        variables=common.slug, shape=pricing.public_pricing,
        messages={NotFound: "Not found", Internal: "Failed to load pricing detail"},
        headers={"Cache-Control": "s-maxage=300"},
        summary="An integration's public rate table",
        responds=json_schemas.PUBLIC_PRICING, errors=(NotFound,),
    ),
    # Bulk save (docs/CONTRACT.md §5)
    LegacyRoute(
        "POST", "/api/integrations", "integrations_save",
        example={"body": BULK_EXAMPLE},
        auth=STAFF, variables=bulk_save.integrations_batch,
        shape=bulk_save.saved, body=json_schemas.BULK_SAVE_BODY,
        aliases=("/api/integrations/",),
        summary="Create or update integrations with their apis (staff), all or nothing",
        responds=json_schemas.BULK_SAVED, errors=(Forbidden,),
    ),
    # Account integrations: /api/v1, text error bodies, CORS (docs/CONTRACT.md §4)
    LegacyRoute(
        "GET", "/api/v1/integrations", "v1_integration_list",
        example={"headers": DEMO_ACCOUNT, "query": {"status": "available"}},
        variables=account_integrations.account_list,
        shape=account_integrations.account_list_body, **V1,
        messages={Internal: "Database error"},
        summary="The account's integrations with install state and per-category counts",
        responds=json_schemas.ACCOUNT_INTEGRATIONS, errors=(BadUserInput, NotFound),
        query=("category", "status"),
    ),
    LegacyRoute(
        "GET", "/api/v1/integrations/{id}", "v1_integration_detail",
        example={"headers": DEMO_ACCOUNT, "path": {"id": "openai"}},
        variables=account_integrations.account_item,
        shape=account_integrations.account_item_body, **V1,
        messages={Internal: "Database error"},
        summary="One integration by UUID or snake_case name",
        responds=json_schemas.ACCOUNT_INTEGRATION, errors=(BadUserInput, NotFound),
    ),
    LegacyRoute(
        "POST", "/api/v1/integrations/{id}/install", "v1_integration_install",
        example={"headers": DEMO_ACCOUNT, "path": {"id": "openai"}, "body": INSTALL_EXAMPLE},
        variables=account_integrations.install,
        shape=account_integrations.changed_item_body, body=json_schemas.INSTALL_BODY, **V1,
        messages={Internal: "Database error"},
        summary="Install: params stored, secrets encrypted, status installed",
        responds=json_schemas.ACCOUNT_INTEGRATION, errors=(NotFound,),
    ),
    LegacyRoute(
        "POST", "/api/v1/integrations/{id}/uninstall", "v1_integration_uninstall",
        example={"headers": DEMO_ACCOUNT, "path": {"id": "openai"}},
        variables=account_integrations.account_item,
        shape=account_integrations.changed_item_body, **V1,
        messages={Internal: "Database error"},
        summary="Uninstall: status available, installed_at cleared, stored values kept",
        responds=json_schemas.ACCOUNT_INTEGRATION, errors=(BadUserInput, NotFound),
    ),
    LegacyRoute(
        "GET", "/api/v1/mcp-connections", "v1_account",
        example={"headers": DEMO_ACCOUNT},
        variables=account_integrations.account,
        shape=account_integrations.stub("mcp_connections"), **V1,
        summary="MCP connections (reserved: always an empty list)",
        responds=json_schemas.empty_list("mcp_connections"), errors=(BadUserInput, NotFound),
    ),
    LegacyRoute(
        "GET", "/api/v1/native-tools", "v1_account",
        example={"headers": DEMO_ACCOUNT},
        variables=account_integrations.account,
        shape=account_integrations.stub("native_tools"), **V1,
        summary="Native tools (reserved: always an empty list)",
        responds=json_schemas.empty_list("native_tools"), errors=(BadUserInput, NotFound),
    ),
    # The wallet: balances for the SDKs and the CLI (docs/CONTRACT.md §3.10)
    LegacyRoute(
        "GET", "/api/v1/balance", "balance",
        auth=BALANCE_BEARER, variables=wallet.caller_workspace, shape=wallet.balance_usd,
        envelope=Envelope.NESTED, ip_limit=V1_BALANCE, query=("tenant_id",),
        summary=f"{BALANCE_SUMMARY}, in USD (two decimals)",
        responds=json_schemas.BALANCE_USD, errors=(NoWorkspace,),
    ),
    LegacyRoute(
        "GET", "/api/billing/balance", "balance",
        auth=BALANCE_BEARER, variables=wallet.caller_workspace, shape=wallet.balance_micros,
        envelope=Envelope.NESTED, ip_limit=BILLING_BALANCE, query=("tenant_id",),
        summary=f"{BALANCE_SUMMARY}, in micros",
        responds=json_schemas.BALANCE_MICROS, errors=(NoWorkspace,),
    ),
    LegacyRoute(
        "GET", "/api/cli/balance", "balance",
        auth=CLI_BEARER, variables=wallet.caller_workspace, shape=wallet.balance_usd,
        ip_limit=CLI_BALANCE, query=("tenant_id",),
        summary=f"{BALANCE_SUMMARY}, in USD (two decimals), for the CLI",
        responds=json_schemas.BALANCE_USD, errors=(NoWorkspace,),
    ),
    # Keys and apps: the runtime and the dashboard's account reads (docs/CONTRACT.md §3.11)
    LegacyRoute(
        "GET", "/api/deployments/me/connections", "deployment_connections",
        auth=APP_KEY_ONLY, shape=deployments.connections, envelope=Envelope.NESTED,
        summary="The calling app's bound connections (an App Key only, `vendo_sk_` first)",
        responds=json_schemas.DEPLOYMENT_CONNECTIONS,
    ),
    LegacyRoute(
        "GET", "/api/auth/me", "auth_me", auth=OPTIONAL_SESSION, shape=dashboard.auth_me,
        summary="The signed-in user and workspace, or the signed-out answer",
        responds=json_schemas.AUTH_ME,
    ),
    LegacyRoute(
        "GET", "/api/user/me", "user_me", auth=SESSION,
        summary="The signed-in user", responds=json_schemas.AUTH_USER,
    ),
    LegacyRoute(
        "GET", "/api/tenants/me", "tenant_me", auth=SESSION,
        messages={NoWorkspace: "No workspace"},
        summary="The signed-in user's production workspace",
        responds=json_schemas.TENANT_ME, errors=(NoWorkspace,),
    ),
    LegacyRoute(
        "GET", "/api/apps", "workspace_apps", auth=SESSION,
        shape=dashboard.workspace_field("apps"), messages={NoWorkspace: "No workspace"},
        summary="The workspace's apps with their tools and bound connections",
        responds=json_schemas.APPS, errors=(NoWorkspace,),
    ),
    LegacyRoute(
        "GET", "/api/keys", "workspace_keys", auth=SESSION,
        shape=dashboard.workspace_field("keys"), messages={NoWorkspace: "No workspace"},
        summary="The workspace's keys: never a key itself, nor its hash",
        responds=json_schemas.API_KEYS, errors=(NoWorkspace,),
    ),
    LegacyRoute(
        "POST", "/api/connections/{connectionId}/keys", "connection_key_create",
        example={"path": {"connectionId": UNKNOWN_ID}},
        auth=SESSION, variables=dashboard.connection_id, shape=dashboard.minted_key, status=201,
        messages={NoWorkspace: "No workspace"},
        summary="Mint a Connection Key, shown this once (201)",
        responds=json_schemas.MINTED_KEY, errors=(NoWorkspace, ConnectionNotFound),
    ),
    LegacyRoute(
        "DELETE", "/api/keys/{keyId}", "key_revoke",
        example={"path": {"keyId": UNKNOWN_ID}},
        auth=SESSION, variables=dashboard.key_id,
        messages={NoWorkspace: "No workspace"},
        summary="Revoke a key of the workspace (again: the same answer)",
        responds=json_schemas.API_KEY, errors=(NoWorkspace, KeyNotFound),
    ),
)  # fmt: skip
