"""The wallet of a workspace: an append-only ledger of credits, in micros."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

GRANT = "grant"
TOP_UP = "top_up"


class CreditEntry(SQLModel, table=True):
    """Credits added to a workspace: a grant (an operator's) or a top-up (a payment). Rows are
    only ever inserted — database triggers refuse updates and deletes (migration 0003) — and
    ``idempotency_key`` is unique per workspace, so a repeated grant adds nothing."""

    __tablename__ = "credit_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_credit_entries_idempotency"),
        CheckConstraint("amount_micros > 0", name="ck_credit_entries_positive"),
        CheckConstraint("kind IN ('grant', 'top_up')", name="ck_credit_entries_kind"),
        # The balance sums a tenant's credits from the index alone.
        Index("ix_credit_entries_tenant_amount", "tenant_id", "amount_micros"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenants.id")
    kind: str = Field(max_length=20)
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    reason: str = Field(max_length=200)
    idempotency_key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
