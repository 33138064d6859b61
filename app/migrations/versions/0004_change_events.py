"""change_events: the change log, written by triggers for rows other systems write

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

Subscribers hear of changes made behind the gateway's back (connection rows, usage events the
proxy inserts) from the database itself: a trigger writes each such change into change_events in
the writer's transaction. On PostgreSQL the trigger also sends the row with NOTIFY on
``vendo_changes``, which the database delivers at commit to every listening worker; on SQLite
the workers poll the log's newest id (docs/decisions/0151). Usage is logged once per workspace
and app per statement on PostgreSQL (a bulk insert is one change), once per row on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "vendo_changes"

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
_SQLITE_CONNECTION = f"""
    INSERT INTO change_events (tenant_id, app_id, kind, subject, payload, created_at)
    VALUES (NEW.tenant_id, NULL, 'connection', NEW.id, json_object(
        'id', NEW.id, 'provider', NEW.provider, 'profile', NEW.profile,
        'active', json(CASE WHEN NEW.active THEN 'true' ELSE 'false' END)
    ), {_SQLITE_NOW});
"""
_SQLITE_USAGE = f"""
    INSERT INTO change_events (tenant_id, app_id, kind, subject, payload, created_at)
    VALUES (NEW.tenant_id, NEW.app_id, 'usage', NEW.provider, json_object(
        'provider', NEW.provider, 'events', 1, 'costMicros', NEW.cost_micros
    ), {_SQLITE_NOW});
"""
SQLITE = [
    f"CREATE TRIGGER change_events_connection_insert AFTER INSERT ON connections "
    f"BEGIN {_SQLITE_CONNECTION} END",
    f"CREATE TRIGGER change_events_connection_update AFTER UPDATE ON connections "
    f"BEGIN {_SQLITE_CONNECTION} END",
    f"CREATE TRIGGER change_events_usage_insert AFTER INSERT ON usage_events "
    f"BEGIN {_SQLITE_USAGE} END",
]


def _pg_function(name: str, insert: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE change record; "
        f"BEGIN FOR change IN {insert} "
        "RETURNING id, tenant_id, app_id, kind, subject, payload, created_at "
        f"LOOP PERFORM pg_notify('{CHANNEL}', row_to_json(change)::text); END LOOP; "
        "RETURN NULL; END $$"
    )


_PG_CONNECTIONS = """
    INSERT INTO change_events (tenant_id, app_id, kind, subject, payload, created_at)
    SELECT tenant_id, NULL, 'connection', id::text, json_build_object(
        'id', id, 'provider', provider, 'profile', profile, 'active', active
    ), now() FROM new_rows ORDER BY id
"""
_PG_USAGE = """
    INSERT INTO change_events (tenant_id, app_id, kind, subject, payload, created_at)
    SELECT tenant_id, app_id, 'usage', min(provider), json_build_object(
        'provider', CASE WHEN count(DISTINCT provider) = 1 THEN min(provider) END,
        'events', count(*), 'costMicros', sum(cost_micros)
    ), now() FROM new_rows GROUP BY tenant_id, app_id ORDER BY 1, 2
"""
POSTGRESQL = [
    _pg_function("change_events_on_connections", _PG_CONNECTIONS),
    _pg_function("change_events_on_usage", _PG_USAGE),
    "CREATE TRIGGER change_events_connection_insert AFTER INSERT ON connections "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION change_events_on_connections()",
    "CREATE TRIGGER change_events_connection_update AFTER UPDATE ON connections "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION change_events_on_connections()",
    "CREATE TRIGGER change_events_usage_insert AFTER INSERT ON usage_events "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION change_events_on_usage()",
]


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("app_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_change_events_tenant_id", "change_events", ["tenant_id", "id"])
    op.create_index("ix_change_events_created_at", "change_events", ["created_at"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for trigger, table in (
        ("change_events_connection_insert", "connections"),
        ("change_events_connection_update", "connections"),
        ("change_events_usage_insert", "usage_events"),
    ):
        op.execute(
            f"DROP TRIGGER {trigger}" if dialect == "sqlite" else f"DROP TRIGGER {trigger} ON {table}"
        )
    if dialect != "sqlite":
        op.execute("DROP FUNCTION change_events_on_connections()")
        op.execute("DROP FUNCTION change_events_on_usage()")
    op.drop_index("ix_change_events_created_at", table_name="change_events")
    op.drop_index("ix_change_events_tenant_id", table_name="change_events")
    op.drop_table("change_events")
