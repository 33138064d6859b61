"""``GET /api/v1/integrations/{id}``: by UUID or snake_case name (CONTRACT.md §4.2;
docs/decisions/0026)."""

from __future__ import annotations

import httpx
import pytest

from app.runtime import Runtime
from tests.legacy_rest.v1_integrations.helpers import INTEGRATION_NOT_FOUND, ROW_KEYS, expected_row
from tests.support.catalog import integration_row
from tests.support.http import assert_json, assert_text


async def test_v1_detail_by_name(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations/openai", headers=headers)
    assert_json(response, 200, expected_row(await integration_row(runtime, "openai")))
    assert list(response.json()) == ROW_KEYS


async def test_v1_detail_by_uuid(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "openrouter")
    response = await client.get(f"/api/v1/integrations/{row.id}", headers=headers)
    assert_json(response, 200, expected_row(row))


@pytest.mark.parametrize(
    "ref", ["no_such_integration", "replicate", "00000000-0000-0000-0000-000000000000", "OpenAI"]
)
async def test_v1_detail_unknown_or_disabled_is_not_found(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str
) -> None:
    response = await client.get(f"/api/v1/integrations/{ref}", headers=headers)
    assert_text(response, 404, INTEGRATION_NOT_FOUND)


async def test_v1_detail_of_disabled_integration_by_uuid_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    row = await integration_row(runtime, "replicate")
    response = await client.get(f"/api/v1/integrations/{row.id}", headers=headers)
    assert_text(response, 404, INTEGRATION_NOT_FOUND)
