"""Rules of the integrations routes (docs/CONTRACT.md §1) that are easy to miss, in one place."""

from __future__ import annotations

from app.models import BYOK_STATIC
from app.models import Integration as IntegrationRow
from resolvers.context import Info

OPENROUTER = "openrouter"
# Enabling these also writes a managed-pool connection stub so the proxy can resolve credentials.
MANAGED_POOL_PROVISIONED = frozenset({"elevenlabs", "assemblyai"})
REGENERATE_UNSUPPORTED = "This integration does not support key regeneration"
REGENERATE_OPENROUTER = (
    "OpenRouter does not support regeneration; managed by shared upstream credential"
)


def tenant_enabled(provider: str, flag: bool | None, active_profiles: frozenset[str]) -> bool:
    """The tenant's flag when set; unset, an active connection stands in for it — for OpenRouter
    only an active ``byok_static`` one (CONTRACT.md §1.2)."""
    if flag is not None:
        return flag
    if provider == OPENROUTER:
        return BYOK_STATIC in active_profiles
    return bool(active_profiles)


def visible(info: Info, row: IntegrationRow) -> bool:
    """Anonymous callers see enabled integrations only; signed-in callers see every one."""
    return row.enabled or info.context.viewer.is_authenticated
