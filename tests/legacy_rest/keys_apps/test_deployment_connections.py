"""``GET /api/deployments/me/connections`` (docs/CONTRACT.md §3.11): an App Key only, told by its
``vendo_sk_`` prefix before any verification work; the calling app's bound connections in
snake_case; the nested error envelope; no CORS. Every cell of its credential matrix is in
tests/legacy_rest/test_credential_matrix.py; here, what it answers and what it costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import delete, select

from app.models import (
    APP_KEY,
    CONNECTION_KEY,
    ApiKey,
    App,
    AppConnectionBinding,
    Connection,
    Tool,
    utcnow,
)
from app.runtime import Runtime
from tests.conftest import GraphQLClient, Sessions, session_headers
from tests.support.builders import add_rows, user_with_workspace
from tests.support.catalog import demo_tenant_id
from tests.support.credentials import bearer, demo_key, identity_jwt, mint_key, user_id_of
from tests.support.http import assert_json
from tests.support.sql import counting_statements, queries
from tests.support.workspace import app_id_of, bindings_of, bound

PATH = "/api/deployments/me/connections"
MISSING = {"error": {"message": "Missing Bearer token"}}
UNAUTHORIZED = {"error": {"message": "Unauthorized"}}
TWIN = """
query Twin {
  deployment { app_id: id connections { id provider profile active label bound_at: boundAt } }
}
"""


async def expected(runtime: Runtime, app_name: str = "My Hermes") -> dict[str, Any]:
    app_id = await app_id_of(runtime, app_name)
    rows = await bindings_of(runtime, app_id)
    return {"app_id": str(app_id), "connections": [bound(c, at, snake=True) for c, at in rows]}


async def test_deployment_connections_answers_the_app_key_s_bound_connections(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    body = await expected(runtime)
    assert [c["provider"] for c in body["connections"]] == ["openrouter"]
    assert_json(await client.get(PATH, headers=bearer(key)), 200, body)


async def test_deployment_connections_of_another_app_are_its_own(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    key = await mint_key(runtime, app_id=await app_id_of(runtime, "Voice notes"))
    body = await expected(runtime, "Voice notes")
    assert [c["provider"] for c in body["connections"]] == ["elevenlabs"]
    assert_json(await client.get(PATH, headers=bearer(key)), 200, body)


async def test_deployment_connections_lists_inactive_and_labelled_ones_in_binding_order(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    tenant_id, app_id = await demo_tenant_id(runtime), await app_id_of(runtime, "My Hermes")
    later = utcnow() + timedelta(seconds=1)
    inactive = Connection(
        tenant_id=tenant_id, provider="slack", profile="byok_static", active=False, label="Ops"
    )
    await add_rows(
        runtime, inactive, AppConnectionBinding(app_id=app_id, connection_id=inactive.id,
                                                created_at=later),
    )  # fmt: skip
    body = await expected(runtime)
    assert [(c["provider"], c["active"], c["label"]) for c in body["connections"]] == [
        ("openrouter", True, None),
        ("slack", False, "Ops"),
    ]
    key = await demo_key(runtime, APP_KEY)
    assert_json(await client.get(PATH, headers=bearer(key)), 200, body)


async def test_deployment_connections_leave_out_another_workspace_s_connection(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    """A binding to a connection of another workspace (a row no flow of ours writes) binds
    nothing."""
    user, tenant = user_with_workspace("elsewhere")
    foreign = Connection(tenant_id=tenant.id, provider="slack", profile="byok_static")
    app_id = await app_id_of(runtime, "My Hermes")
    binding = AppConnectionBinding(app_id=app_id, connection_id=foreign.id)
    await add_rows(runtime, user, tenant, foreign, binding)
    key = await demo_key(runtime, APP_KEY)
    response = await client.get(PATH, headers=bearer(key))
    assert [c["provider"] for c in response.json()["connections"]] == ["openrouter"]


async def test_deployment_connections_enable_no_cors(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    headers = {**bearer(key), "Origin": "https://app.vendo.run"}
    response = await client.get(PATH, headers=headers)
    assert response.status_code == 200
    assert not [name for name in response.headers if name.startswith("access-control-")]
    preflight = await client.options(
        PATH, headers={"Origin": "https://app.vendo.run", "Access-Control-Request-Method": "GET"}
    )
    assert_json(preflight, 405, {"message": "Method not allowed"}, headers={"Allow": "GET, HEAD"})


# --------------------------------------------------------------------------------------------
# vendo_sk_ first: no JWT decoding, no SQL


@pytest.fixture
def no_jwt_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("a token was decoded")

    for name in ("decode", "decode_complete", "get_unverified_header"):
        monkeypatch.setattr(jwt, name, refuse)
    monkeypatch.setattr(jwt.PyJWT, "decode_complete", refuse)
    monkeypatch.setattr(jwt.PyJWS, "get_unverified_header", refuse)


async def refused_without_work(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], body: dict[str, Any]
) -> None:
    with counting_statements(runtime) as statements:
        response = await client.get(PATH, headers=headers)
    assert_json(response, 401, body)
    assert statements == []


async def test_deployment_connections_refuse_a_valid_identity_jwt_before_any_work(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    no_jwt_decoding: None,
) -> None:
    await sessions.create("demo@vendo.local")
    token = identity_jwt(await user_id_of(runtime, "demo@vendo.local"))
    await refused_without_work(client, runtime, bearer(token), UNAUTHORIZED)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": "Bearer garbage"}, id="garbage"),
        pytest.param({"Authorization": "Bearer vs_a-session-token"}, id="session-token"),
        pytest.param({"Authorization": "Bearer VENDO_SK_upper"}, id="prefix-case"),
        pytest.param({"Authorization": "Bearer a.b.c"}, id="three-segments"),
    ],
)
async def test_deployment_connections_refuse_other_tokens_before_any_work(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo: None,
    no_jwt_decoding: None,
    headers: dict[str, str],
) -> None:
    await refused_without_work(client, runtime, headers, UNAUTHORIZED)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic"),
        pytest.param({"X-Authorization": "vendo_sk_x"}, id="x-authorization"),
    ],
)
async def test_deployment_connections_without_a_bearer_token_say_it_is_missing(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, headers: dict[str, str]
) -> None:
    await refused_without_work(client, runtime, headers, MISSING)


async def test_deployment_connections_refuse_the_session_cookie_before_any_work(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await refused_without_work(client, runtime, demo_headers, MISSING)


async def test_deployment_connections_refuse_a_connection_key(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, CONNECTION_KEY)
    assert_json(await client.get(PATH, headers=bearer(key)), 401, UNAUTHORIZED)


async def test_deployment_connections_refuse_the_key_of_a_deleted_app(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    """An app deleted (its keys with it, as a flow deleting it would) signs nothing."""
    user, tenant = user_with_workspace("gone")
    await add_rows(runtime, user, tenant)
    async with runtime.db.read() as session:
        tool_id = await session.scalar(select(Tool.id).where(Tool.slug == "hermes"))
    app = App(tenant_id=tenant.id, tool_id=tool_id, name="Short-lived")
    await add_rows(runtime, app)
    key = await mint_key(runtime, app_id=app.id)
    assert (await client.get(PATH, headers=bearer(key))).status_code == 200
    async with runtime.db.write() as session, session.begin():
        await session.execute(delete(ApiKey).where(ApiKey.app_id == app.id))
        await session.execute(delete(App).where(App.id == app.id))
    assert_json(await client.get(PATH, headers=bearer(key)), 401, UNAUTHORIZED)


# --------------------------------------------------------------------------------------------
# Cost: constant SQL, the same as its GraphQL twin


async def bind_more(runtime: Runtime, app_name: str, count: int) -> None:
    tenant_id, app_id = await demo_tenant_id(runtime), await app_id_of(runtime, app_name)
    rows: list[Any] = []
    for index in range(count):
        connection = Connection(tenant_id=tenant_id, provider=f"p{index}", profile="byok_static")
        rows += [connection, AppConnectionBinding(app_id=app_id, connection_id=connection.id)]
    await add_rows(runtime, *rows)


async def test_deployment_connections_cost_constant_sql_as_their_graphql_twin(
    client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    with counting_statements(runtime) as one:
        small = await client.get(PATH, headers=bearer(key))
    await bind_more(runtime, "My Hermes", 12)
    with counting_statements(runtime) as many:
        large = await client.get(PATH, headers=bearer(key))
    with counting_statements(runtime) as twin:
        answer = await gql(TWIN, headers=bearer(key))
    assert len(small.json()["connections"]) == 1
    assert len(large.json()["connections"]) == 13
    assert answer == {"data": {"deployment": large.json()}}
    # The key's look-up (which found the app), the bindings with their connections.
    assert len(queries(one)) == len(queries(many)) == len(queries(twin)) == 2, many


async def test_deployment_reads_its_app_and_tool_only_when_asked(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    key = await demo_key(runtime, APP_KEY)
    app_id = await app_id_of(runtime, "My Hermes")
    with counting_statements(runtime) as statements:
        answer = await gql(
            "{ deployment { id name tool { slug } connections { provider } } }",
            headers=bearer(key),
        )
    app = {"id": str(app_id), "name": "My Hermes", "tool": {"slug": "hermes"}}
    assert answer == {"data": {"deployment": {**app, "connections": [{"provider": "openrouter"}]}}}
    assert len(queries(statements)) == 3, statements  # the key, the app with its tool, bindings


async def test_deployment_is_null_over_graphql_for_any_other_caller(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    connection_key = await demo_key(runtime, CONNECTION_KEY)
    for headers in (demo_headers, bearer(connection_key), {}):
        assert await gql("{ deployment { id } }", headers=headers) == {"data": {"deployment": None}}


async def test_deployment_connections_are_not_another_session_s(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    """The cookie of any user is no App Key: 401 whoever signed in."""
    headers = session_headers(await sessions.create("someone@example.com"))
    assert_json(await client.get(PATH, headers=headers), 401, MISSING)
