"""Users, their workspaces (tenants) and their browser sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    is_staff: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Tenant(SQLModel, table=True):
    """A workspace. Every user gets a production workspace, which the dashboard routes act on."""

    __tablename__ = "tenants"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=63, unique=True)
    name: str = Field(max_length=200)
    owner_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    is_production: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Session(SQLModel, table=True):
    """A ``vendo_session`` cookie. Only the SHA-256 of the token is stored."""

    __tablename__ = "sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


APP_KEY = "app"
CONNECTION_KEY = "connection"


class ApiKey(SQLModel, table=True):
    """An App Key or a Connection Key (``vendo_sk_…``). Only the SHA-256 of the key is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'app' AND app_id IS NOT NULL AND connection_id IS NULL) OR "
            "(kind = 'connection' AND connection_id IS NOT NULL AND app_id IS NULL)",
            name="ck_api_keys_scope",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=20)
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", index=True)
    app_id: uuid.UUID | None = Field(default=None, foreign_key="apps.id")
    connection_id: uuid.UUID | None = Field(default=None, foreign_key="connections.id")
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
