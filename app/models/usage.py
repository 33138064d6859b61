"""Metered usage: one row per billed call."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.models.base import BigIntId, utcnow


class UsageEvent(SQLModel, table=True):
    __tablename__ = "usage_events"
    # Covering index for every usage query: tenant + provider + time range, summing cost.
    __table_args__ = (
        Index(
            "ix_usage_events_tenant_provider_time",
            "tenant_id",
            "provider",
            "occurred_at",
            "cost_micros",
        ),
        # Tool spend history (usage framing): by app, over time, summing cost.
        Index("ix_usage_events_app_time", "app_id", "occurred_at", "cost_micros"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntId, primary_key=True))
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id")
    provider: str = Field(max_length=100)
    app_id: uuid.UUID | None = Field(default=None, foreign_key="apps.id")
    cost_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    occurred_at: datetime = Field(default_factory=utcnow)


class UsageDaily(SQLModel, table=True):
    """Usage per tenant, provider and UTC day, maintained by database triggers on every insert,
    update and delete of ``usage_events`` (migration 0002) — whoever writes the events. Every
    usage figure the gateway shows is a sum of these days: trend, day, ISO week, month."""

    __tablename__ = "usage_daily"
    # The wallet's sums over all of a tenant's days and over this month's read this index alone
    # (migration 0003; docs/decisions/0090).
    __table_args__ = (Index("ix_usage_daily_tenant_day_cost", "tenant_id", "day", "cost_micros"),)

    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", primary_key=True)
    provider: str = Field(max_length=100, primary_key=True)
    day: date = Field(primary_key=True)
    events: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cost_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class UsageMonthly(SQLModel, table=True):
    """Usage per tenant and UTC month (its first day), maintained by database triggers on every
    change of ``usage_daily`` (migration 0006): the wallet's sums over all time and over this
    month read a row per month, not a row per provider and day."""

    __tablename__ = "usage_monthly"

    tenant_id: uuid.UUID = Field(foreign_key="tenants.id", primary_key=True)
    month: date = Field(primary_key=True)
    events: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cost_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
