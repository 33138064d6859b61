"""The integrations catalog, each tenant's state for an integration, and tenants' connections."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utcnow

MANAGED_POOL = "vendo_managed_pool"
BYOK_STATIC = "byok_static"


class Integration(SQLModel, table=True):
    __tablename__ = "integrations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    provider: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    description: str = ""
    category: str = Field(max_length=50)
    type: str | None = Field(default=None, max_length=50)
    enabled: bool = True
    default_profile: str = Field(default=MANAGED_POOL, max_length=50)
    supported_profiles: list[str] = json_field(default_factory=lambda: [MANAGED_POOL])
    logo_url: str | None = None
    icon_name: str | None = Field(default=None, max_length=100)
    docs_url: str | None = None
    env_bootstrap: dict[str, Any] | None = json_field(default_factory=lambda: None, nullable=True)
    tags: list[dict[str, str]] = json_field(default_factory=list)
    # Provider configuration (CONTRACT.md §5.3): plain values here, password-type values encrypted
    # (name → Fernet token) in secret_configuration.
    configuration: dict[str, Any] = json_field(default_factory=dict)
    secret_configuration: dict[str, str] = json_field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class IntegrationApi(SQLModel, table=True):
    """A model, index or table offered under an integration (``apis``, docs/CONTRACT.md §5.2)."""

    __tablename__ = "integration_apis"
    __table_args__ = (Index("ux_integration_apis_name", "integration_id", "api", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    integration_id: uuid.UUID = Field(foreign_key="integrations.id")
    api: str = Field(max_length=200)
    description: str = ""
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)


INSTALLED = "installed"
AVAILABLE = "available"


class TenantIntegration(SQLModel, table=True):
    """A tenant's own state for one integration.

    ``enabled`` is the dashboard toggle (None until first toggled); ``status``, ``installed_at``,
    ``params`` and ``secrets`` (name → Fernet token) are the account install state (CONTRACT.md §4).
    """

    __tablename__ = "tenant_integrations"

    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", primary_key=True)
    integration_id: uuid.UUID = Field(foreign_key="integrations.id", primary_key=True, index=True)
    enabled: bool | None = None
    status: str = Field(default=AVAILABLE, max_length=20)
    installed_at: datetime | None = None
    params: dict[str, Any] = json_field(default_factory=dict)
    secrets: dict[str, str] = json_field(default_factory=dict)
    updated_at: datetime = Field(default_factory=utcnow)


MANAGED_POOL_ACTIVE = text(f"active AND profile = '{MANAGED_POOL}'")


class Connection(SQLModel, table=True):
    __tablename__ = "connections"
    __table_args__ = (
        Index("ix_connections_tenant_provider", "tenant_id", "provider", "active"),
        # One active managed-pool stub per workspace and provider, even under concurrent toggles.
        Index(
            "ux_connections_managed_pool",
            "tenant_id",
            "provider",
            unique=True,
            sqlite_where=MANAGED_POOL_ACTIVE,
            postgresql_where=MANAGED_POOL_ACTIVE,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id")
    provider: str = Field(max_length=100)
    profile: str = Field(max_length=50)
    active: bool = True
    label: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
