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
from app.models.usage import UsageDaily, UsageEvent, UsageMonthly
from app.models.wallet import GRANT, TOP_UP, CreditEntry

__all__ = [
    "APP_KEY",
    "AVAILABLE",
    "BYOK_STATIC",
    "CONNECTION_KEY",
    "GRANT",
    "INSTALLED",
    "MANAGED_POOL",
    "MANAGED_POOL_ACTIVE",
    "TOP_UP",
    "ApiKey",
    "App",
    "AppConnectionBinding",
    "CategoryFallback",
    "ChangeEvent",
    "Connection",
    "CreditEntry",
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
    "UsageMonthly",
    "User",
    "utcnow",
]
