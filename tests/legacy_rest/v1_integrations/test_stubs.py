"""``GET /api/v1/mcp-connections`` and ``GET /api/v1/native-tools`` (CONTRACT.md §4.5;
docs/decisions/0028)."""

from __future__ import annotations

import httpx

from app.runtime import Runtime
from tests.legacy_rest.v1_integrations.helpers import Demo
from tests.support.credentials import bearer, identity_jwt, mint_key
from tests.support.http import assert_json


async def test_v1_mcp_connections_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/mcp-connections", headers=headers)
    assert_json(response, 200, {"mcp_connections": []})


async def test_v1_native_tools_is_an_empty_list(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/native-tools", headers=headers)
    assert_json(response, 200, {"native_tools": []})


async def test_v1_stubs_accept_each_credential(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, app_key: str
) -> None:
    connection_key = await mint_key(runtime, connection_id=ids.connection_id)
    for token in (app_key, connection_key, identity_jwt(ids.user_id)):
        mcp = await client.get("/api/v1/mcp-connections", headers=bearer(token, "demo"))
        native = await client.get("/api/v1/native-tools", headers=bearer(token, str(ids.tenant_id)))
        assert_json(mcp, 200, {"mcp_connections": []})
        assert_json(native, 200, {"native_tools": []})
