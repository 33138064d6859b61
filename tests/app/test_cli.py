"""``vendo-gateway``: migrate, seed --demo, session create/revoke and export-schema, run against a
fresh SQLite file named by ``VENDO_DATABASE_URL``."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from app.migrations import head_revision

ROOT = Path(__file__).resolve().parents[2]
DEMO_TABLES = ("integrations", "users", "tenants", "connections", "tenant_integrations")


# --------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("VENDO_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    """Run the command line in a worker thread (it starts its own event loop)."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    return code, capsys.readouterr().out.splitlines()


def query(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def counts(path: Path) -> dict[str, object]:
    tables = [*DEMO_TABLES, "usage_events", "sessions"]
    return {table: query(path, f"SELECT count(*) FROM {table}")[0][0] for table in tables}


# --------------------------------------------------------------------------------------------
# Tests


async def test_cli_migrate_creates_the_schema(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = await run(capsys, "migrate")
    assert code == 0
    assert query(database, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    tables = {
        row[0] for row in query(database, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {*DEMO_TABLES, "usage_events", "sessions"} <= tables
    # Migrating again is a no-op.
    code, _ = await run(capsys, "migrate")
    assert code == 0
    assert query(database, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


async def test_cli_seed_demo_is_idempotent(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "migrate")
    code, _ = await run(capsys, "seed", "--demo")
    assert code == 0
    first = counts(database)
    assert first["integrations"] == 14
    assert first["usage_events"] > 0
    code, _ = await run(capsys, "seed", "--demo")
    assert code == 0
    assert counts(database) == first
    emails = {row[0] for row in query(database, "SELECT email FROM users")}
    assert emails == {"demo@vendo.local", "admin@vendo.local"}
    assert query(database, "SELECT is_staff FROM users WHERE email = 'admin@vendo.local'") == [(1,)]
    assert query(database, "SELECT slug FROM tenants ORDER BY slug") == [("admin",), ("demo",)]


async def test_cli_seed_without_demo_flag_does_nothing(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "migrate")
    code, _ = await run(capsys, "seed")
    assert code != 0
    assert counts(database)["integrations"] == 0


async def test_cli_session_create_prints_a_working_token_alone_on_the_last_line(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "migrate")
    code, lines = await run(capsys, "session", "create", "--email", "x@y.z")
    assert code == 0
    token = lines[-1]
    assert token == token.strip()
    assert token.startswith("vs_")
    assert " " not in token
    rows = query(
        database,
        "SELECT users.email, users.is_staff, sessions.revoked_at FROM sessions "
        "JOIN users ON users.id = sessions.user_id WHERE sessions.token_hash = ?",
        hashlib.sha256(token.encode()).hexdigest(),
    )
    assert rows == [("x@y.z", 0, None)]
    # A new email gets a production workspace.
    workspaces = query(
        database,
        "SELECT tenants.is_production FROM tenants JOIN users ON users.id = tenants.owner_id "
        "WHERE users.email = 'x@y.z'",
    )
    assert workspaces == [(1,)]
    # The plain token is not stored anywhere in the sessions table.
    assert all(token not in str(row) for row in query(database, "SELECT * FROM sessions"))


async def test_cli_session_create_staff_sets_the_flag(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "migrate")
    await run(capsys, "session", "create", "--email", "plain@y.z")
    assert query(database, "SELECT is_staff FROM users WHERE email = 'plain@y.z'") == [(0,)]
    code, lines = await run(capsys, "session", "create", "--email", "plain@y.z", "--staff")
    assert code == 0
    assert lines[-1].startswith("vs_")
    assert query(database, "SELECT is_staff FROM users WHERE email = 'plain@y.z'") == [(1,)]
    # Still one user and one workspace.
    assert query(database, "SELECT count(*) FROM users WHERE email = 'plain@y.z'") == [(1,)]
    assert query(database, "SELECT count(*) FROM tenants") == [(1,)]
    code, lines = await run(capsys, "session", "create", "--email", "boss@y.z", "--staff")
    assert query(database, "SELECT is_staff FROM users WHERE email = 'boss@y.z'") == [(1,)]


async def test_cli_session_create_for_the_demo_user_reuses_the_demo_workspace(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "migrate")
    await run(capsys, "seed", "--demo")
    before = counts(database)
    _, lines = await run(capsys, "session", "create", "--email", "demo@vendo.local")
    after = counts(database)
    assert after == {**before, "sessions": before["sessions"] + 1}
    owner = query(
        database,
        "SELECT users.email FROM sessions JOIN users ON users.id = sessions.user_id "
        "WHERE sessions.token_hash = ?",
        hashlib.sha256(lines[-1].encode()).hexdigest(),
    )
    assert owner == [("demo@vendo.local",)]


async def test_cli_session_revoke_by_token_and_by_email(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "migrate")
    _, first = await run(capsys, "session", "create", "--email", "x@y.z")
    await run(capsys, "session", "create", "--email", "x@y.z")
    code, _ = await run(capsys, "session", "revoke", "--token", first[-1])
    assert code == 0
    revoked = query(
        database,
        "SELECT revoked_at IS NOT NULL FROM sessions WHERE token_hash = ?",
        hashlib.sha256(first[-1].encode()).hexdigest(),
    )
    assert revoked == [(1,)]
    await run(capsys, "session", "revoke", "--email", "x@y.z")
    assert query(database, "SELECT count(*) FROM sessions WHERE revoked_at IS NULL") == [(0,)]


async def test_cli_export_schema_prints_the_committed_sdl(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["export-schema"])
    assert code == 0
    printed = capsys.readouterr().out
    committed = await asyncio.to_thread((ROOT / "schema.graphql").read_text)
    assert printed == committed


async def test_cli_export_schema_writes_a_file(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.graphql"
    code = await asyncio.to_thread(main, ["export-schema", "-o", str(target)])
    assert code == 0
    written, committed = await asyncio.gather(
        asyncio.to_thread(target.read_text), asyncio.to_thread((ROOT / "schema.graphql").read_text)
    )
    assert written == committed
