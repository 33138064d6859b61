"""``Workspace.apps``, ``Workspace.keys``, ``deployment`` and the mutations minting and revoking a
Connection Key (docs/CONTRACT.md §3.11): what the dashboard routes run, over /graphql."""

from __future__ import annotations

import uuid

from app.models import APP_KEY, CONNECTION_KEY
from app.runtime import Runtime
from tests.conftest import GraphQLClient, Sessions
from tests.support.catalog import demo_tenant_id
from tests.support.clock import iso
from tests.support.credentials import bearer, demo_key, sign_up
from tests.support.documents import codes
from tests.support.sql import counting_statements, queries
from tests.support.workspace import apps_body, connection_of, key_body, key_row

APPS = """
query Apps {
  workspace {
    apps {
      id name createdAt tool { slug name }
      connections { id provider profile active label boundAt }
    }
  }
}
"""
KEYS = """
query Keys {
  workspace { keys { id kind prefix appId connectionId createdAt expiresAt revokedAt } }
}
"""
MINT = """
mutation Mint($id: UUID!) {
  createConnectionKey(connectionId: $id) { key apiKey { id kind connectionId revokedAt } }
}
"""
REVOKE = "mutation Revoke($id: UUID!) { revokeApiKey(id: $id) { id revokedAt } }"


async def test_workspace_apps_are_the_dashboard_s_apps(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    result = await gql(APPS, headers=demo_headers)
    assert result == {
        "data": {"workspace": await apps_body(runtime, await demo_tenant_id(runtime))}
    }


async def test_workspace_apps_and_keys_are_a_user_s_business(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    for kind in (APP_KEY, CONNECTION_KEY):
        headers = bearer(await demo_key(runtime, kind))
        for query in (APPS, KEYS):
            assert codes(await gql(query, headers=headers)) == ["FORBIDDEN"]
        mint = await gql(MINT, {"id": str(uuid.uuid4())}, headers=headers)
        assert codes(mint) == ["FORBIDDEN"]


async def test_workspace_apps_cost_constant_sql(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    with counting_statements(runtime) as statements:
        await gql(APPS, headers=demo_headers)
    # The session, the workspace's apps with their tools, every app's bindings.
    assert len(queries(statements)) == 3, statements


async def test_mint_list_and_revoke_a_connection_key(
    gql: GraphQLClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    connection = await connection_of(runtime, await demo_tenant_id(runtime), "openrouter")
    minted = (await gql(MINT, {"id": str(connection.id)}, headers=demo_headers))["data"]
    key = minted["createConnectionKey"]["key"]
    row = await key_row(runtime, key)
    assert minted == {
        "createConnectionKey": {
            "key": key,
            "apiKey": {
                "id": str(row.id),
                "kind": "connection",
                "connectionId": str(connection.id),
                "revokedAt": None,
            },
        }
    }
    listed = await gql(KEYS, headers=demo_headers)
    assert listed == {"data": {"workspace": {"keys": [key_body(row)]}}}
    revoked = await gql(REVOKE, {"id": str(row.id)}, headers=demo_headers)
    at = (await key_row(runtime, key)).revoked_at
    assert at is not None
    assert revoked == {"data": {"revokeApiKey": {"id": str(row.id), "revokedAt": iso(at)}}}
    assert await gql(REVOKE, {"id": str(row.id)}, headers=demo_headers) == revoked


async def test_another_workspace_s_connection_and_key_are_not_found(
    gql: GraphQLClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    connection = await connection_of(runtime, await demo_tenant_id(runtime), "openrouter")
    row = await key_row(runtime, await demo_key(runtime, APP_KEY))
    headers, _ = await sign_up(sessions, runtime, "other@example.com")
    mint = await gql(MINT, {"id": str(connection.id)}, headers=headers)
    assert mint["errors"][0]["message"] == "Connection not found"
    assert codes(mint) == ["NOT_FOUND"]
    revoke = await gql(REVOKE, {"id": str(row.id)}, headers=headers)
    assert revoke["errors"][0]["message"] == "Key not found"
    assert codes(revoke) == ["NOT_FOUND"]
    assert (await key_row(runtime, (await demo_key(runtime, APP_KEY)))).revoked_at is None


async def test_key_mutations_need_a_signed_in_caller(gql: GraphQLClient, demo: None) -> None:
    for document in (MINT, REVOKE):
        assert codes(await gql(document, {"id": str(uuid.uuid4())})) == ["UNAUTHENTICATED"]
