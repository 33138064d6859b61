"""``POST /api/v1/integrations/{id}/uninstall``: status available, values kept
(CONTRACT.md §4.4; docs/decisions/0027)."""

from __future__ import annotations

import uuid

import httpx

from app.runtime import Runtime
from tests.legacy_rest.v1_integrations.helpers import INTEGRATION_NOT_FOUND, Demo, box, expected_row
from tests.support.catalog import integration_row, state_of
from tests.support.http import assert_json, assert_text


async def test_v1_uninstall_flips_back_and_keeps_params_and_secrets(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-kept"}},
    )
    stored = await state_of(runtime, ids.tenant_id, "openai")
    assert stored is not None
    response = await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    openai = await integration_row(runtime, "openai")
    assert_json(
        response,
        200,
        expected_row(openai, status="available", params={"region": "eu"}, secrets=["api_key"]),
    )
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert (state.status, state.installed_at) == ("available", None)
    assert state.params == {"region": "eu"}
    assert state.secrets == stored.secrets


async def test_v1_reinstall_after_uninstall_without_secrets_keeps_them(
    client: httpx.AsyncClient, runtime: Runtime, ids: Demo, headers: dict[str, str]
) -> None:
    await client.post(
        "/api/v1/integrations/openai/install",
        headers=headers,
        json={"params": {"region": "eu"}, "secrets": {"api_key": "sk-kept"}},
    )
    await client.post("/api/v1/integrations/openai/uninstall", headers=headers)
    response = await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    body = response.json()
    assert body["status"] == "installed"
    assert body["params"] == {"region": "eu"}
    assert body["secrets"] == ["api_key"]
    state = await state_of(runtime, ids.tenant_id, "openai")
    assert state is not None
    assert box().decrypt(state.secrets["api_key"]) == "sk-kept"


async def test_v1_uninstall_of_never_installed_integration_answers_available(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.post("/api/v1/integrations/sendgrid/uninstall", headers=headers)
    assert_json(response, 200, expected_row(await integration_row(runtime, "sendgrid")))


async def test_v1_uninstall_by_uuid_and_unknown_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "openai")
    await client.post("/api/v1/integrations/openai/install", headers=headers, json={})
    response = await client.post(f"/api/v1/integrations/{row.id}/uninstall", headers=headers)
    assert response.json()["status"] == "available"
    for ref in ("no_such_integration", "replicate", str(uuid.uuid4())):
        missing = await client.post(f"/api/v1/integrations/{ref}/uninstall", headers=headers)
        assert_text(missing, 404, INTEGRATION_NOT_FOUND)
