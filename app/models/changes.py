"""The change log: every change a subscriber may be told of, with its id (docs/decisions/0150)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.models.base import BigIntId, json_field, utcnow


class ChangeEvent(SQLModel, table=True):
    """One change, scoped to a workspace (``tenant_id``; null: every workspace, e.g. a catalog
    save) and, where it belongs to one, an app. Written in the transaction of the change — by
    the gateway, or by the triggers of migration 0003 for rows other systems write — and kept
    24 hours (``VENDO_CHANGE_LOG_HOURS``)."""

    __tablename__ = "change_events"
    __table_args__ = (
        Index("ix_change_events_tenant_id", "tenant_id", "id"),
        Index("ix_change_events_created_at", "created_at"),
        # Ids are never reused, even once the newest rows are pruned: they are cursors.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntId, primary_key=True))
    tenant_id: uuid.UUID | None = Field(default=None)
    app_id: uuid.UUID | None = Field(default=None)
    kind: str = Field(max_length=40)
    subject: str = Field(default="", max_length=200)
    payload: dict[str, Any] = json_field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
