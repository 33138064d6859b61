"""The tools catalog (docs/CONTRACT.md §2): tools, their releases, tenants' apps and their bindings,
public meters and the per-category fallback spend used for cold starts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, text
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utcnow


class Tool(SQLModel, table=True):
    """A row of the apps catalog."""

    __tablename__ = "tools"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    description: str = ""
    category: str = Field(max_length=50)
    enabled: bool = True
    surface_all_connections: bool = False
    marketing: dict[str, Any] = json_field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def internal(self) -> bool:
        return marketing_internal(self.marketing)


def marketing_internal(marketing: Any) -> bool:
    """``marketing.internal``: the tool is hidden from non-staff."""
    return isinstance(marketing, dict) and bool(marketing.get("internal"))


class Release(SQLModel, table=True):
    """A version of a tool. At most one release per tool is active."""

    __tablename__ = "releases"
    __table_args__ = (
        Index(
            "ux_releases_one_active",
            "tool_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tool_id: uuid.UUID = Field(foreign_key="tools.id", index=True)
    version: str = Field(max_length=50)
    active: bool = False
    deploy_ready: bool = False
    requires: dict[str, Any] = json_field(
        default_factory=dict
    )  # {"required": [...], "optional": [...]}
    wizard_inputs: list[dict[str, Any]] | None = json_field(
        default_factory=lambda: None, nullable=True
    )
    wizard_layout: dict[str, Any] | None = json_field(default_factory=lambda: None, nullable=True)
    auth_mode: str | None = Field(default=None, max_length=50)
    source_repo: str | None = None
    icon_url: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class App(SQLModel, table=True):
    """A tenant's deployment of a tool."""

    __tablename__ = "apps"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", index=True)
    tool_id: uuid.UUID = Field(foreign_key="tools.id", index=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class AppConnectionBinding(SQLModel, table=True):
    __tablename__ = "app_connection_bindings"

    app_id: uuid.UUID = Field(foreign_key="apps.id", primary_key=True)
    connection_id: uuid.UUID = Field(foreign_key="connections.id", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Meter(SQLModel, table=True):
    """A billable unit of an integration; public meters make up the /pricing rate tables."""

    __tablename__ = "meters"
    __table_args__ = (Index("ux_meters_integration_key", "integration_id", "key", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    integration_id: uuid.UUID = Field(foreign_key="integrations.id")
    key: str = Field(max_length=100)
    label: str = Field(max_length=200)
    unit: str = Field(max_length=100)
    rate_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    public: bool = False


class CategoryFallback(SQLModel, table=True):
    """Average daily spend assumed for a tool of this category with no history (cold start).
    The category ``*`` applies to categories without a row of their own."""

    __tablename__ = "category_fallbacks"

    category: str = Field(max_length=50, primary_key=True)
    daily_spend_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
