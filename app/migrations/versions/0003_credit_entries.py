"""credit_entries: each workspace's append-only ledger of credits

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05

A workspace's wallet: grants and top-ups in micros, each with a reason and an idempotency key
unique per workspace. Balance = credits − usage cost (the usage_daily rollup, read through a new
covering index on tenant, day and cost). Triggers refuse UPDATE and DELETE on every database, so
the ledger is append-only whoever writes to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "credit_entries is append-only"
SQLITE = [
    f"CREATE TRIGGER credit_entries_no_{verb.lower()} BEFORE {verb} ON credit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRESQL = [
    "CREATE FUNCTION credit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    "CREATE TRIGGER credit_entries_append_only BEFORE UPDATE OR DELETE ON credit_entries "
    "FOR EACH ROW EXECUTE FUNCTION credit_entries_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_micros > 0", name="ck_credit_entries_positive"),
        sa.CheckConstraint("kind IN ('grant', 'top_up')", name="ck_credit_entries_kind"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_credit_entries_idempotency"),
    )
    op.create_index(
        "ix_credit_entries_tenant_amount", "credit_entries", ["tenant_id", "amount_micros"]
    )
    op.create_index(
        "ix_usage_daily_tenant_day_cost", "usage_daily", ["tenant_id", "day", "cost_micros"]
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS credit_entries_append_only ON credit_entries")
        op.execute("DROP FUNCTION IF EXISTS credit_entries_append_only()")
    op.drop_index("ix_usage_daily_tenant_day_cost", table_name="usage_daily")
    op.drop_index("ix_credit_entries_tenant_amount", table_name="credit_entries")
    op.drop_table("credit_entries")
