"""``POST /api/connections/{id}/keys`` and ``DELETE /api/keys/{id}`` (docs/CONTRACT.md §3.11,
docs/decisions/0102): a Connection Key minted for one of the workspace's connections, shown once
(201), and revoked; another workspace's connection or key is 404. Keys minted here and by
``vendo-gateway key create`` are the same thing. The cross-site checks of these cookie writes are
in tests/legacy_rest/test_cookie_writes.py."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest

from app.cli import main
from app.models import APP_KEY, CONNECTION_KEY
from app.runtime import Runtime
from app.services.auth import hash_token, mint_api_key
from tests.conftest import Sessions
from tests.support.catalog import demo_tenant_id
from tests.support.credentials import bearer, demo_key, sign_up
from tests.support.http import assert_json
from tests.support.sql import snapshot
from tests.support.workspace import app_id_of, connection_of, key_body, key_row

JSON = {"Content-Type": "application/json"}
KEY = re.compile(r"vendo_sk_[A-Za-z0-9_-]{43}")
CONNECTION_NOT_FOUND = {"message": "Connection not found"}
KEY_NOT_FOUND = {"message": "Key not found"}


async def openrouter(runtime: Runtime) -> uuid.UUID:
    return (await connection_of(runtime, await demo_tenant_id(runtime), "openrouter")).id


async def mint(
    client: httpx.AsyncClient, headers: dict[str, str], connection_id: object
) -> httpx.Response:
    return await client.post(f"/api/connections/{connection_id}/keys", headers={**headers, **JSON})


async def revoke(
    client: httpx.AsyncClient, headers: dict[str, str], key_id: object
) -> httpx.Response:
    return await client.delete(f"/api/keys/{key_id}", headers={**headers, **JSON})


async def test_mint_answers_201_with_the_key_shown_once(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    response = await mint(client, demo_headers, await openrouter(runtime))
    key = response.json()["key"]
    assert KEY.fullmatch(key), key
    row = await key_row(runtime, key)
    assert (row.kind, row.connection_id, row.app_id) == (
        CONNECTION_KEY,
        await openrouter(runtime),
        None,
    )
    assert row.key_hash == hash_token(key)
    assert row.prefix == key[:13]
    assert_json(response, 201, {**key_body(row), "key": key})
    # Shown once: the listing has the row, never the key; the database only its hash.
    listing = await client.get("/api/keys", headers=demo_headers)
    assert_json(listing, 200, {"keys": [key_body(row)]})
    assert key not in repr(await snapshot(runtime))


async def test_minted_key_is_a_connection_key(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    """It signs what a Connection Key signs (the account integrations of the demo workspace),
    and not what only an App Key signs."""
    key = (await mint(client, demo_headers, await openrouter(runtime))).json()["key"]
    account = await client.get("/api/v1/integrations", headers=bearer(key, "demo"))
    assert account.status_code == 200, account.text
    refused = await client.get("/api/deployments/me/connections", headers=bearer(key))
    assert_json(refused, 401, {"error": {"message": "Unauthorized"}})


async def test_mint_for_another_workspace_s_connection_is_404_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, _ = await sign_up(sessions, runtime, "other@example.com")
    before = await snapshot(runtime)
    for connection_id in (await openrouter(runtime), uuid.uuid4(), "not-a-uuid", "1"):
        assert_json(await mint(client, headers, connection_id), 404, CONNECTION_NOT_FOUND)
    assert await snapshot(runtime) == before


async def test_revoke_answers_the_key_revoked_and_it_signs_nothing_more(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    key = await demo_key(runtime, APP_KEY)
    path = "/api/deployments/me/connections"
    assert (await client.get(path, headers=bearer(key))).status_code == 200
    row = await key_row(runtime, key)
    response = await revoke(client, demo_headers, row.id)
    revoked = await key_row(runtime, key)
    assert revoked.revoked_at is not None
    assert_json(response, 200, key_body(revoked))
    assert_json(
        await client.get(path, headers=bearer(key)), 401, {"error": {"message": "Unauthorized"}}
    )
    # Again: the same answer, the first revocation time kept.
    assert_json(await revoke(client, demo_headers, row.id), 200, key_body(revoked))


async def test_revoke_another_workspace_s_key_is_404_and_it_keeps_working(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    row = await key_row(runtime, key)
    headers, _ = await sign_up(sessions, runtime, "other@example.com")
    before = await snapshot(runtime)
    for key_id in (row.id, uuid.uuid4(), "not-a-uuid"):
        assert_json(await revoke(client, headers, key_id), 404, KEY_NOT_FOUND)
    assert await snapshot(runtime) == before
    response = await client.get("/api/deployments/me/connections", headers=bearer(key))
    assert response.status_code == 200


async def test_keys_of_the_command_line_and_the_dashboard_are_the_same_thing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``vendo-gateway key create`` on the same database: listed and revoked by the dashboard
    routes, stored the same way as one minted there."""
    monkeypatch.setenv("VENDO_DATABASE_URL", runtime.settings.database_url)
    connection_id = await openrouter(runtime)
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["key", "create", "--connection", str(connection_id)])
    assert code == 0
    cli_key = capsys.readouterr().out.splitlines()[-1]
    route_key = (await mint(client, demo_headers, connection_id)).json()["key"]
    cli_row, route_row = await key_row(runtime, cli_key), await key_row(runtime, route_key)
    for key, row in ((cli_key, cli_row), (route_key, route_row)):
        assert KEY.fullmatch(key)
        assert (row.kind, row.connection_id, row.prefix) == (
            CONNECTION_KEY,
            connection_id,
            key[:13],
        )
    listing = await client.get("/api/keys", headers=demo_headers)
    assert_json(listing, 200, {"keys": [key_body(cli_row), key_body(route_row)]})
    assert (await revoke(client, demo_headers, cli_row.id)).status_code == 200
    assert (await key_row(runtime, cli_key)).revoked_at is not None


async def test_keys_are_for_the_workspace_s_own_apps_only(runtime: Runtime, demo: None) -> None:
    """The one minting function refuses a scope outside the workspace it is asked for."""
    app_id = await app_id_of(runtime, "My Hermes")
    async with runtime.db.write() as session, session.begin():
        assert (
            await mint_api_key(db=session, kind=APP_KEY, scope_id=app_id, tenant_id=uuid.uuid4())
            is None
        )
        assert await mint_api_key(db=session, kind=APP_KEY, scope_id=uuid.uuid4()) is None
