"""THE route table: one entry per documented path, each running one GraphQL operation."""

from __future__ import annotations

from legacy_rest import integrations as i
from legacy_rest.table import OPTIONAL_SESSION, SESSION, CacheRule, LegacyRoute

INTEGRATIONS_CATALOG = "integrations-catalog"
FIVE_MINUTES = 300

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
)  # fmt: skip
