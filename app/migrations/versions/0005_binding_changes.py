"""binding changes: triggers log binding.added / binding.removed, whoever writes the bindings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

The platform writes app_connection_bindings straight into the database, as it writes connections
and usage: a trigger logs each binding inserted (``binding.added``) or deleted
(``binding.removed``) into change_events in the writer's transaction, with the app's workspace
and app, subject the connection's id and payload ``{"app_id", "connection_id"}`` (UUIDs in their
usual form on both databases). On PostgreSQL the trigger also sends the row with NOTIFY on
``vendo_changes``, as the triggers of 0004 do (docs/decisions/0160). A binding of an app that no
longer exists logs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "vendo_changes"
TABLE = "app_connection_bindings"

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _sqlite_uuid(column: str) -> str:
    """SQLite stores a UUID as its 32 hex digits: the usual 8-4-4-4-12 form of it."""
    digits = f"lower(replace({column}, '-', ''))"
    parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return " || '-' || ".join(f"substr({digits}, {start}, {length})" for start, length in parts)


def _sqlite_binding(kind: str, row: str) -> str:
    return f"""
    INSERT INTO change_events (tenant_id, app_id, kind, subject, payload, created_at)
    SELECT apps.tenant_id, {row}.app_id, '{kind}', {_sqlite_uuid(f"{row}.connection_id")},
        json_object(
            'app_id', {_sqlite_uuid(f"{row}.app_id")},
            'connection_id', {_sqlite_uuid(f"{row}.connection_id")}
        ), {_SQLITE_NOW}
    FROM apps WHERE apps.id = {row}.app_id;
"""


SQLITE = [
    f"CREATE TRIGGER change_events_binding_insert AFTER INSERT ON {TABLE} "
    f"BEGIN {_sqlite_binding('binding.added', 'NEW')} END",
    f"CREATE TRIGGER change_events_binding_delete AFTER DELETE ON {TABLE} "
    f"BEGIN {_sqlite_binding('binding.removed', 'OLD')} END",
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


def _pg_bindings(kind: str, rows: str) -> str:
    return f"""
    INSERT INTO change_events (tenant_id, app_id, kind, subject, payload, created_at)
    SELECT apps.tenant_id, b.app_id, '{kind}', b.connection_id::text, json_build_object(
        'app_id', b.app_id, 'connection_id', b.connection_id
    ), now() FROM {rows} AS b JOIN apps ON apps.id = b.app_id ORDER BY b.app_id, b.connection_id
"""


POSTGRESQL = [
    _pg_function("change_events_on_binding_insert", _pg_bindings("binding.added", "new_rows")),
    _pg_function("change_events_on_binding_delete", _pg_bindings("binding.removed", "old_rows")),
    f"CREATE TRIGGER change_events_binding_insert AFTER INSERT ON {TABLE} "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION change_events_on_binding_insert()",
    f"CREATE TRIGGER change_events_binding_delete AFTER DELETE ON {TABLE} "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION change_events_on_binding_delete()",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for trigger in ("change_events_binding_insert", "change_events_binding_delete"):
        op.execute(
            f"DROP TRIGGER {trigger}" if dialect == "sqlite" else f"DROP TRIGGER {trigger} ON {TABLE}"
        )
    if dialect != "sqlite":
        op.execute("DROP FUNCTION change_events_on_binding_insert()")
        op.execute("DROP FUNCTION change_events_on_binding_delete()")
