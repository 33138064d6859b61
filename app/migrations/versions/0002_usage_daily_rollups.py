"""usage_daily: per tenant, provider and UTC day, maintained by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Every usage figure (30-day trend, spend today / this ISO week / this month, month totals of the
signed-in catalog) is a sum of UTC days, so reading ~30 rows replaces scanning every event of
the period. The triggers keep the rollup exact for any writer of usage_events: per row on SQLite
(whose writers are serialized anyway); per statement with transition tables on PostgreSQL (a bulk
COPY of events costs one aggregated upsert). On PostgreSQL a transaction first takes an advisory
lock per tenant it writes (in tenant order), so concurrent transactions that each write several
days of one tenant queue instead of deadlocking on the rollup rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UPSERT = """
    INSERT INTO usage_daily (tenant_id, provider, day, events, cost_micros)
    VALUES (NEW.tenant_id, NEW.provider, date(NEW.occurred_at), 1, NEW.cost_micros)
    ON CONFLICT (tenant_id, provider, day) DO UPDATE
    SET events = events + 1, cost_micros = cost_micros + excluded.cost_micros;
"""
_SQLITE_SUBTRACT = """
    UPDATE usage_daily SET events = events - 1, cost_micros = cost_micros - OLD.cost_micros
    WHERE tenant_id = OLD.tenant_id AND provider = OLD.provider AND day = date(OLD.occurred_at);
"""
SQLITE = [
    f"CREATE TRIGGER usage_daily_insert AFTER INSERT ON usage_events BEGIN {_SQLITE_UPSERT} END",
    f"CREATE TRIGGER usage_daily_delete AFTER DELETE ON usage_events BEGIN {_SQLITE_SUBTRACT} END",
    "CREATE TRIGGER usage_daily_update AFTER UPDATE ON usage_events "
    f"BEGIN {_SQLITE_SUBTRACT} {_SQLITE_UPSERT} END",
]

_PG_LOCK = """
    PERFORM pg_advisory_xact_lock(hashtextextended(t.tenant_id::text, 0))
    FROM (SELECT DISTINCT tenant_id FROM {rows} ORDER BY 1) AS t;
"""
_PG_ADD = """
    INSERT INTO usage_daily (tenant_id, provider, day, events, cost_micros)
    SELECT tenant_id, provider, (occurred_at AT TIME ZONE 'UTC')::date, count(*), sum(cost_micros)
    FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, provider, day) DO UPDATE
    SET events = usage_daily.events + EXCLUDED.events,
        cost_micros = usage_daily.cost_micros + EXCLUDED.cost_micros;
"""
_PG_SUBTRACT = """
    UPDATE usage_daily AS d SET events = d.events - o.events, cost_micros = d.cost_micros - o.cost
    FROM (
        SELECT tenant_id, provider, (occurred_at AT TIME ZONE 'UTC')::date AS day,
               count(*) AS events, sum(cost_micros) AS cost
        FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ) AS o
    WHERE d.tenant_id = o.tenant_id AND d.provider = o.provider AND d.day = o.day;
"""


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN NULL; END $$"
    )


POSTGRESQL = [
    _pg_function("usage_daily_on_insert", _PG_LOCK.format(rows="new_rows") + _PG_ADD),
    _pg_function("usage_daily_on_delete", _PG_LOCK.format(rows="old_rows") + _PG_SUBTRACT),
    _pg_function(
        "usage_daily_on_update",
        _PG_LOCK.format(rows="(SELECT tenant_id FROM old_rows UNION SELECT tenant_id FROM new_rows) AS u")
        + _PG_SUBTRACT
        + _PG_ADD,
    ),
    "CREATE TRIGGER usage_daily_insert AFTER INSERT ON usage_events "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_on_insert()",
    "CREATE TRIGGER usage_daily_delete AFTER DELETE ON usage_events "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_on_delete()",
    "CREATE TRIGGER usage_daily_update AFTER UPDATE ON usage_events "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_on_update()",
]

BACKFILL = {
    "sqlite": "date(occurred_at)",
    "postgresql": "(occurred_at AT TIME ZONE 'UTC')::date",
}


def upgrade() -> None:
    op.create_table(
        "usage_daily",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "day"),
    )
    dialect = op.get_bind().dialect.name
    day = BACKFILL[dialect]
    op.execute(
        "INSERT INTO usage_daily (tenant_id, provider, day, events, cost_micros) "
        f"SELECT tenant_id, provider, {day}, count(*), sum(cost_micros) FROM usage_events "
        f"GROUP BY tenant_id, provider, {day}"
    )
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    for name in ("usage_daily_insert", "usage_daily_delete", "usage_daily_update"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON usage_events")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        for name in ("usage_daily_on_insert", "usage_daily_on_delete", "usage_daily_on_update"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("usage_daily")
