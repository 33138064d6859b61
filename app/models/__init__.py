"""Table models. Importing this package registers every table on ``SQLModel.metadata``."""

from app.models.accounts import APP_KEY, CONNECTION_KEY, ApiKey, Session, Tenant, User
from app.models.base import utcnow
from app.models.changes import ChangeEvent
from app.models.integrations import (
    AVAILABLE,
    BYOK_STATIC,
    INSTALLED,
    MANAGED_POOL,
    MANAGED_POOL_ACTIVE,
    Connection,
    Integration,
    IntegrationApi,
    TenantIntegration,
)
from app.models.tools import App, AppConnectionBinding, CategoryFallback, Meter, Release, Tool
from app.models.usage import UsageDaily, UsageEvent

__all__ = [
    "APP_KEY",
    "AVAILABLE",
    "BYOK_STATIC",
    "CONNECTION_KEY",
    "INSTALLED",
    "MANAGED_POOL",
    "MANAGED_POOL_ACTIVE",
    "ApiKey",
    "App",
    "AppConnectionBinding",
    "CategoryFallback",
    "ChangeEvent",
    "Connection",
    "Integration",
    "IntegrationApi",
    "Meter",
    "Release",
    "Session",
    "Tenant",
    "TenantIntegration",
    "Tool",
    "UsageDaily",
    "UsageEvent",
    "User",
    "utcnow",
]
