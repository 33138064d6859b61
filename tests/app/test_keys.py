"""App Keys and Connection Keys (CONTRACT.md §3.2): ``vendo-gateway key create --app … |
--connection …`` prints the key once, alone on the last line, and stores only its hash;
``--expires-in-days``; ``key revoke --key | --id``; and what each key authenticates as."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from app.cli import main
from app.models import ApiKey, App, Connection, Tenant, Tool, utcnow
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import Sessions
from tests.support.credentials import bearer

# --------------------------------------------------------------------------------------------
# Documents and constants

VIEWER_QUERY = """
query Viewer {
  viewer { email isStaff credential workspace { id slug } }
}
"""

KEY_LINE = re.compile(r"^vendo_sk_[A-Za-z0-9_-]{43}$")


# --------------------------------------------------------------------------------------------
# Helpers and fixtures


@dataclass
class Scope:
    tenant_id: uuid.UUID
    app_id: uuid.UUID
    connection_id: uuid.UUID


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line works on the test's database."""
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    """The command line in a worker thread (it runs its own event loop)."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


@pytest.fixture
async def demo_scope(runtime: Runtime, demo: None) -> Scope:
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
        connection_id = await session.scalar(
            select(Connection.id).where(
                Connection.tenant_id == tenant_id, Connection.provider == "elevenlabs"
            )
        )
    assert tenant_id
    assert app_id
    assert connection_id
    return Scope(tenant_id, app_id, connection_id)


@pytest.fixture
async def other_scope(runtime: Runtime, demo: None, sessions: Sessions) -> Scope:
    """A second workspace with its own app and connection."""
    await sessions.create("other@example.com")
    async with runtime.db.write() as session, session.begin():
        tenant = (
            await session.execute(
                select(Tenant).where(Tenant.slug != "demo", Tenant.slug != "admin")
            )
        ).scalar_one()
        tool_id = await session.scalar(select(Tool.id).limit(1))
        assert tool_id is not None
        app_row = App(tenant_id=tenant.id, tool_id=tool_id, name="Other app")
        connection = Connection(tenant_id=tenant.id, provider="openai", profile="byok_static")
        session.add_all([app_row, connection])
        await session.flush()
        return Scope(tenant.id, app_row.id, connection.id)


async def create_key(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, list[str]]:
    code, lines, err = await run(capsys, "key", "create", *argv)
    assert code == 0, err
    return lines[-1], lines


async def api_keys_rows(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.db.read() as session:
        rows = (await session.execute(text("SELECT * FROM api_keys"))).mappings().all()
    return [dict(row) for row in rows]


async def key_row(runtime: Runtime, key: str) -> ApiKey:
    async with runtime.db.read() as session:
        row = await session.scalar(
            select(ApiKey).where(ApiKey.key_hash == hashlib.sha256(key.encode()).hexdigest())
        )
    assert row is not None
    return row


# --------------------------------------------------------------------------------------------
# key create


async def test_key_create_app_prints_the_key_alone_on_the_last_line(
    cli_env: None, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    key, lines = await create_key(capsys, "--app", str(demo_scope.app_id))
    assert KEY_LINE.match(key), key
    assert lines[-1] == key
    assert sum(key in line for line in lines) == 1


async def test_key_create_app_stores_only_the_hash(
    cli_env: None, runtime: Runtime, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    before = utcnow()
    key, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    rows = await api_keys_rows(runtime)
    assert len(rows) == 1
    for value in rows[0].values():
        assert key not in str(value)
    row = await key_row(runtime, key)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.kind == "app"
    assert (row.tenant_id, row.app_id, row.connection_id) == (
        demo_scope.tenant_id,
        demo_scope.app_id,
        None,
    )
    assert row.expires_at is None
    assert row.revoked_at is None
    assert before <= row.created_at <= utcnow()
    assert key.startswith(row.prefix)
    assert len(row.prefix) < len(key) // 2


async def test_key_create_connection_stores_only_the_hash(
    cli_env: None, runtime: Runtime, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    key, lines = await create_key(capsys, "--connection", str(demo_scope.connection_id))
    assert KEY_LINE.match(key)
    assert lines[-1] == key
    rows = await api_keys_rows(runtime)
    assert len(rows) == 1
    for value in rows[0].values():
        assert key not in str(value)
    row = await key_row(runtime, key)
    assert row.kind == "connection"
    assert (row.tenant_id, row.app_id, row.connection_id) == (
        demo_scope.tenant_id,
        None,
        demo_scope.connection_id,
    )


async def test_key_create_mints_a_new_key_each_time(
    cli_env: None, runtime: Runtime, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    second, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    assert first != second
    assert len(await api_keys_rows(runtime)) == 2


async def test_key_create_expires_in_days(
    cli_env: None,
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_scope: Scope,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = utcnow()
    key, _ = await create_key(capsys, "--app", str(demo_scope.app_id), "--expires-in-days", "7")
    after = utcnow()
    row = await key_row(runtime, key)
    assert row.expires_at is not None
    assert before + timedelta(days=7) <= row.expires_at <= after + timedelta(days=7)
    ok = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert ok.status_code == 200
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == row.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert expired.status_code == 401
    assert expired.text == "Unauthorized"


@pytest.mark.parametrize("flag", ["--app", "--connection"])
async def test_key_create_for_an_unknown_scope_exits_1(
    cli_env: None,
    runtime: Runtime,
    demo_scope: Scope,
    capsys: pytest.CaptureFixture[str],
    flag: str,
) -> None:
    missing = uuid.uuid4()
    code, lines, err = await run(capsys, "key", "create", flag, str(missing))
    assert code == 1
    assert not any(line.startswith("vendo_sk_") for line in lines)
    assert str(missing) in err
    assert await api_keys_rows(runtime) == []


async def test_key_create_app_id_of_a_connection_is_unknown(
    cli_env: None, runtime: Runtime, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = await run(capsys, "key", "create", "--app", str(demo_scope.connection_id))
    assert code == 1
    assert await api_keys_rows(runtime) == []


async def test_key_create_with_a_non_uuid_scope_fails(
    cli_env: None, runtime: Runtime, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = await run(capsys, "key", "create", "--app", "my-hermes")
    assert code != 0
    assert not any(line.startswith("vendo_sk_") for line in lines)
    assert await api_keys_rows(runtime) == []


async def test_key_create_needs_exactly_one_scope(
    cli_env: None, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as both:
        main(
            [
                "key",
                "create",
                "--app",
                str(demo_scope.app_id),
                "--connection",
                str(demo_scope.connection_id),
            ]
        )
    assert both.value.code == 2
    with pytest.raises(SystemExit) as neither:
        main(["key", "create"])
    assert neither.value.code == 2


# --------------------------------------------------------------------------------------------
# key revoke


async def test_key_revoke_by_key(
    cli_env: None,
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_scope: Scope,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    other, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    assert (
        await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    ).status_code == 200
    code, lines, _ = await run(capsys, "key", "revoke", "--key", key)
    assert code == 0
    assert lines[-1] == "revoked 1 key(s)"
    assert key not in "\n".join(lines)
    revoked = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert revoked.status_code == 401
    assert revoked.text == "Unauthorized"
    still = await client.get("/api/v1/integrations", headers=bearer(other, "demo"))
    assert still.status_code == 200
    row = await key_row(runtime, key)
    assert row.revoked_at is not None
    code, lines, _ = await run(capsys, "key", "revoke", "--key", key)
    assert code == 0
    assert lines[-1] == "revoked 0 key(s)"


async def test_key_revoke_by_id(
    cli_env: None,
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_scope: Scope,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, _ = await create_key(capsys, "--connection", str(demo_scope.connection_id))
    row = await key_row(runtime, key)
    code, lines, _ = await run(capsys, "key", "revoke", "--id", str(row.id))
    assert code == 0
    assert lines[-1] == "revoked 1 key(s)"
    response = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert response.status_code == 401


async def test_key_revoke_unknown_revokes_nothing(
    cli_env: None, runtime: Runtime, demo_scope: Scope, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    for argv in (["--id", str(uuid.uuid4())], ["--key", "vendo_sk_unknown"]):
        code, lines, _ = await run(capsys, "key", "revoke", *argv)
        assert code == 0
        assert lines[-1] == "revoked 0 key(s)"
    assert (await key_row(runtime, key)).revoked_at is None


# --------------------------------------------------------------------------------------------
# What a key authenticates as


async def test_app_key_authenticates_as_its_apps_workspace(
    cli_env: None,
    client: httpx.AsyncClient,
    gql: Any,
    demo_scope: Scope,
    other_scope: Scope,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    viewer = await gql(VIEWER_QUERY, headers=bearer(key))
    assert viewer == {
        "data": {
            "viewer": {
                "email": None,
                "isStaff": False,
                "credential": "app_key",
                "workspace": {"id": str(demo_scope.tenant_id), "slug": "demo"},
            }
        }
    }
    own = await client.get("/api/v1/integrations", headers=bearer(key, str(demo_scope.tenant_id)))
    assert own.status_code == 200
    foreign = await client.get(
        "/api/v1/integrations", headers=bearer(key, str(other_scope.tenant_id))
    )
    assert foreign.status_code == 404
    assert foreign.text == "Account not found"

    their_key, _ = await create_key(capsys, "--app", str(other_scope.app_id))
    theirs = await gql(VIEWER_QUERY, headers=bearer(their_key))
    assert theirs["data"]["viewer"]["workspace"]["id"] == str(other_scope.tenant_id)
    mine = await client.get(
        "/api/v1/integrations", headers=bearer(their_key, str(other_scope.tenant_id))
    )
    assert mine.status_code == 200
    not_demo = await client.get("/api/v1/integrations", headers=bearer(their_key, "demo"))
    assert not_demo.status_code == 404


async def test_connection_key_authenticates_as_its_connections_workspace(
    cli_env: None,
    client: httpx.AsyncClient,
    gql: Any,
    demo_scope: Scope,
    other_scope: Scope,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, _ = await create_key(capsys, "--connection", str(other_scope.connection_id))
    viewer = await gql(VIEWER_QUERY, headers=bearer(key))
    assert viewer["data"]["viewer"]["credential"] == "connection_key"
    assert viewer["data"]["viewer"]["workspace"]["id"] == str(other_scope.tenant_id)
    assert viewer["data"]["viewer"]["email"] is None
    own = await client.get("/api/v1/integrations", headers=bearer(key, str(other_scope.tenant_id)))
    assert own.status_code == 200
    demo = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert demo.status_code == 404
    assert demo.text == "Account not found"


async def test_revoked_or_expired_key_is_anonymous_on_graphql(
    cli_env: None,
    gql: Any,
    runtime: Runtime,
    demo_scope: Scope,
    capsys: pytest.CaptureFixture[str],
) -> None:
    revoked, _ = await create_key(capsys, "--app", str(demo_scope.app_id))
    await run(capsys, "key", "revoke", "--key", revoked)
    expiring, _ = await create_key(
        capsys, "--app", str(demo_scope.app_id), "--expires-in-days", "1"
    )
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(ApiKey)
            .where(ApiKey.key_hash == hashlib.sha256(expiring.encode()).hexdigest())
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for key in (revoked, expiring):
        assert await gql(VIEWER_QUERY, headers=bearer(key)) == {"data": {"viewer": None}}
