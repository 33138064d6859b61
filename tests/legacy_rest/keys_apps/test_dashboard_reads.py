"""The dashboard's account reads (docs/CONTRACT.md §3.11): ``/api/auth/me`` (the session cookie,
or anonymous), ``/api/user/me``, ``/api/tenants/me``, ``/api/apps`` and ``/api/keys`` (the
session cookie only); camelCase, the flat error envelope. The refusals of every other credential
are cells of tests/legacy_rest/test_credential_matrix.py."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.models import APP_KEY, CONNECTION_KEY, App, AppConnectionBinding, Connection, Tenant, Tool
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.support.builders import add_rows
from tests.support.catalog import demo_tenant_id
from tests.support.clock import iso
from tests.support.credentials import demo_key, sign_up, sign_up_without_workspace, user_id_of
from tests.support.http import assert_json
from tests.support.sql import counting_statements, queries
from tests.support.workspace import apps_body, key_body, key_row

SIGNED_OUT = {"authenticated": False, "user": None, "workspace": None}
NO_WORKSPACE = {"message": "No workspace"}
DEMO = "demo@vendo.local"


async def demo_workspace(runtime: Runtime) -> Tenant:
    async with runtime.db.read() as session:
        found = await session.scalar(select(Tenant).where(Tenant.slug == "demo"))
    assert found is not None
    return found


async def test_auth_me_answers_the_signed_in_user_and_workspace(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant = await demo_workspace(runtime)
    body = {
        "authenticated": True,
        "user": {"id": str(await user_id_of(runtime, DEMO)), "email": DEMO, "isStaff": False},
        "workspace": {"id": str(tenant.id), "slug": "demo", "name": tenant.name},
    }
    assert_json(await client.get("/api/auth/me", headers=demo_headers), 200, body)


async def test_auth_me_answers_anonymous_callers_signed_out(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    assert_json(await client.get("/api/auth/me"), 200, SIGNED_OUT)
    key = await demo_key(runtime, APP_KEY)
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert_json(response, 200, SIGNED_OUT)


async def test_auth_me_without_a_workspace_has_a_null_workspace(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "alone@example.com")
    user_id = await user_id_of(runtime, "alone@example.com")
    user = {"id": str(user_id), "email": "alone@example.com", "isStaff": False}
    body = {"authenticated": True, "user": user, "workspace": None}
    assert_json(await client.get("/api/auth/me", headers=headers), 200, body)


async def test_user_me_answers_the_signed_in_user(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions
) -> None:
    headers, _ = await sign_up(sessions, runtime, "root@example.com", staff=True)
    user_id = await user_id_of(runtime, "root@example.com")
    body = {"id": str(user_id), "email": "root@example.com", "isStaff": True}
    assert_json(await client.get("/api/user/me", headers=headers), 200, body)


async def test_tenants_me_answers_the_production_workspace(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant = await demo_workspace(runtime)
    body = {
        "id": str(tenant.id),
        "slug": "demo",
        "name": tenant.name,
        "isProduction": True,
        "createdAt": iso(tenant.created_at),
    }
    assert_json(await client.get("/api/tenants/me", headers=demo_headers), 200, body)


async def test_workspace_routes_without_a_workspace_are_404(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "alone@example.com")
    for path in ("/api/tenants/me", "/api/apps", "/api/keys"):
        assert_json(await client.get(path, headers=headers), 404, NO_WORKSPACE)


async def test_apps_answers_the_workspace_s_apps_with_tools_and_bindings(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    body = await apps_body(runtime, await demo_tenant_id(runtime))
    assert [(a["name"], a["tool"]["slug"]) for a in body["apps"]] == [
        ("My Hermes", "hermes"),
        ("Voice notes", "scribe"),
    ]
    assert_json(await client.get("/api/apps", headers=demo_headers), 200, body)


async def test_apps_and_keys_of_a_new_workspace_are_empty(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, _ = await sign_up(sessions, runtime, "new@example.com")
    assert_json(await client.get("/api/apps", headers=headers), 200, {"apps": []})
    assert_json(await client.get("/api/keys", headers=headers), 200, {"keys": []})


async def add_apps(runtime: Runtime, count: int) -> None:
    """``count`` more apps of the demo workspace, each bound to a connection of its own."""
    tenant_id = await demo_tenant_id(runtime)
    async with runtime.db.read() as session:
        tool_ids = list((await session.scalars(select(Tool.id).order_by(Tool.slug))).all())
    rows: list[Any] = []
    for index in range(count):
        app = App(tenant_id=tenant_id, tool_id=tool_ids[index % len(tool_ids)], name=f"A{index}")
        connection = Connection(tenant_id=tenant_id, provider=f"p{index}", profile="byok_static")
        rows += [app, connection, AppConnectionBinding(app_id=app.id, connection_id=connection.id)]
    await add_rows(runtime, *rows)


async def test_apps_cost_constant_sql(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    with counting_statements(runtime) as two:
        small = await client.get("/api/apps", headers=demo_headers)
    await add_apps(runtime, 9)
    with counting_statements(runtime) as eleven:
        large = await client.get("/api/apps", headers=demo_headers)
    assert (len(small.json()["apps"]), len(large.json()["apps"])) == (2, 11)
    assert_json(large, 200, await apps_body(runtime, await demo_tenant_id(runtime)))
    # The session's look-up, the apps with their tools, the bindings with their connections.
    assert len(queries(two)) == len(queries(eleven)) == 3, eleven


async def test_keys_lists_every_key_of_the_workspace_never_the_key_itself(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo_headers: dict[str, str]
) -> None:
    app_key = await demo_key(runtime, APP_KEY)
    connection_key = await demo_key(runtime, CONNECTION_KEY)
    other_headers, _ = await sign_up(sessions, runtime, "other@example.com")
    rows = [await key_row(runtime, app_key), await key_row(runtime, connection_key)]
    response = await client.get("/api/keys", headers=demo_headers)
    assert_json(response, 200, {"keys": [key_body(row) for row in rows]})
    for secret in (app_key, connection_key, rows[0].key_hash, rows[1].key_hash):
        assert secret not in response.text
    assert rows[0].prefix == app_key[:13]
    assert_json(await client.get("/api/keys", headers=other_headers), 200, {"keys": []})


async def test_keys_cost_constant_sql(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await demo_key(runtime, APP_KEY)
    with counting_statements(runtime) as one:
        await client.get("/api/keys", headers=demo_headers)
    for _ in range(8):
        await demo_key(runtime, CONNECTION_KEY)
    with counting_statements(runtime) as nine:
        response = await client.get("/api/keys", headers=demo_headers)
    assert len(response.json()["keys"]) == 9
    assert len(queries(one)) == len(queries(nine)) == 2, nine
