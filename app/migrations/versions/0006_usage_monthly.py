"""usage_monthly: per tenant and UTC month, maintained by triggers on usage_daily

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

A balance sums a workspace's usage cost over all time and over this month. From usage_daily that
is a row per provider and day — thousands for a busy workspace after a few months, read on every
balance request. usage_monthly keeps the same sums per month: all time is a row per month, this
month one row. Its triggers are on usage_daily, whose own triggers (migration 0002) already
follow every insert, update and delete of usage_events, under the per-tenant advisory locks
they take on PostgreSQL — so the months stay exact for any writer, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTH = {
    "sqlite": "date({day}, 'start of month')",
    "postgresql": "date_trunc('month', {day})::date",
}


def _add(dialect: str, row: str) -> str:
    month = MONTH[dialect].format(day=f"{row}.day")
    return f"""
    INSERT INTO usage_monthly (tenant_id, month, events, cost_micros)
    VALUES ({row}.tenant_id, {month}, {row}.events, {row}.cost_micros)
    ON CONFLICT (tenant_id, month) DO UPDATE
    SET events = usage_monthly.events + EXCLUDED.events,
        cost_micros = usage_monthly.cost_micros + EXCLUDED.cost_micros;
"""


def _subtract(dialect: str, row: str) -> str:
    month = MONTH[dialect].format(day=f"{row}.day")
    return f"""
    UPDATE usage_monthly SET events = events - {row}.events,
        cost_micros = cost_micros - {row}.cost_micros
    WHERE tenant_id = {row}.tenant_id AND month = {month};
"""


SQLITE = [
    "CREATE TRIGGER usage_monthly_insert AFTER INSERT ON usage_daily "
    f"BEGIN {_add('sqlite', 'NEW')} END",
    "CREATE TRIGGER usage_monthly_delete AFTER DELETE ON usage_daily "
    f"BEGIN {_subtract('sqlite', 'OLD')} END",
    "CREATE TRIGGER usage_monthly_update AFTER UPDATE ON usage_daily "
    f"BEGIN {_subtract('sqlite', 'OLD')} {_add('sqlite', 'NEW')} END",
]


def _pg_function(name: str, body: str, returned: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN {returned}; END $$"
    )


POSTGRESQL = [
    _pg_function("usage_monthly_on_insert", _add("postgresql", "NEW"), "NEW"),
    _pg_function("usage_monthly_on_delete", _subtract("postgresql", "OLD"), "OLD"),
    _pg_function(
        "usage_monthly_on_update",
        _subtract("postgresql", "OLD") + _add("postgresql", "NEW"),
        "NEW",
    ),
    "CREATE TRIGGER usage_monthly_insert AFTER INSERT ON usage_daily "
    "FOR EACH ROW EXECUTE FUNCTION usage_monthly_on_insert()",
    "CREATE TRIGGER usage_monthly_delete AFTER DELETE ON usage_daily "
    "FOR EACH ROW EXECUTE FUNCTION usage_monthly_on_delete()",
    "CREATE TRIGGER usage_monthly_update AFTER UPDATE ON usage_daily "
    "FOR EACH ROW EXECUTE FUNCTION usage_monthly_on_update()",
]
TRIGGERS = ("usage_monthly_insert", "usage_monthly_delete", "usage_monthly_update")


def upgrade() -> None:
    op.create_table(
        "usage_monthly",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "month"),
    )
    dialect = op.get_bind().dialect.name
    month = MONTH[dialect].format(day="day")
    op.execute(
        "INSERT INTO usage_monthly (tenant_id, month, events, cost_micros) "
        f"SELECT tenant_id, {month}, sum(events), sum(cost_micros) FROM usage_daily "
        f"GROUP BY tenant_id, {month}"
    )
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in TRIGGERS:
        op.execute(
            f"DROP TRIGGER {name}" if dialect == "sqlite" else f"DROP TRIGGER {name} ON usage_daily"
        )
    if dialect != "sqlite":
        for name in (
            "usage_monthly_on_insert",
            "usage_monthly_on_delete",
            "usage_monthly_on_update",
        ):
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("usage_monthly")
