"""Table models. Importing this package registers every table on ``SQLModel.metadata``."""

from app.models.accounts import Session, Tenant, User
from app.models.base import utcnow
from app.models.integrations import (
    BYOK_STATIC,
    MANAGED_POOL,
    Connection,
    Integration,
    TenantIntegration,
)
from app.models.usage import UsageEvent

__all__ = [
    "BYOK_STATIC",
    "MANAGED_POOL",
    "Connection",
    "Integration",
    "Session",
    "Tenant",
    "TenantIntegration",
    "UsageEvent",
    "User",
    "utcnow",
]
