"""``POST /api/integrations``: the contract's own examples, answered as it shows them
(CONTRACT.md §5)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import (
    AI_MODEL,
    AWS_TYPES,
    EMAIL,
    NEEDS_APIS,
    REFERENCE_ANTHROPIC,
    REFERENCE_OPENAI,
    REFERENCE_SAVE_ALL,
    REFERENCE_TYPES,
    REQUIRED,
    SECRET_KEYS,
    apis_of,
    decrypted,
    integration,
    invalid,
    post,
)
from tests.support.http import assert_json


async def test_bulk_save_reference_example_verbatim(
    client: httpx.AsyncClient, runtime: Runtime, staff_jwt: str
) -> None:
    response = await client.post(
        "/api/integrations/",
        content=REFERENCE_SAVE_ALL.encode(),
        headers={
            "accept": "*/*",
            "X-Authorization": staff_jwt,
            "Content-Type": "application/json",
        },
    )
    openai = await integration(runtime, "open-ai-test")
    sendgrid = await integration(runtime, "sendgrid-test")
    assert openai is not None
    assert sendgrid is not None
    assert_json(
        response,
        200,
        {
            "integrations": [
                {
                    "id": str(openai.id),
                    "name": "open-ai-test",
                    "type": "openai",
                    "category": "AI_MODEL",
                    "created": True,
                },
                {
                    "id": str(sendgrid.id),
                    "name": "sendgrid-test",
                    "type": "sendgrid",
                    "category": "EMAIL",
                    "created": True,
                },
            ]
        },
    )
    assert list(response.json()["integrations"][0]) == ["id", "name", "type", "category", "created"]

    assert (openai.name, openai.type, openai.category) == ("open-ai-test", "openai", AI_MODEL)
    assert openai.description == "OpenAI integration for LLM tasks"
    assert openai.enabled is True
    assert openai.configuration == {}
    assert set(openai.secret_configuration) == {"api_key"}
    assert openai.secret_configuration["api_key"] != "sk-..."
    assert decrypted(openai) == {"api_key": "sk-..."}
    assert await apis_of(runtime, openai.id) == [("gpt-4o", "GPT-4o model", True)]

    assert (sendgrid.name, sendgrid.type, sendgrid.category) == ("sendgrid-test", "sendgrid", EMAIL)
    assert sendgrid.description == "SendGrid integration for email tasks"
    assert sendgrid.configuration == {}
    assert decrypted(sendgrid) == {"api_key": "SG...."}
    assert await apis_of(runtime, sendgrid.id) == []
    assert "sk-..." not in response.text
    assert "SG...." not in response.text


async def test_bulk_save_reference_anthropic_example(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    response = await post(client, REFERENCE_ANTHROPIC, staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "claude")
    assert row is not None
    assert (row.type, row.category, row.enabled) == ("anthropic", AI_MODEL, True)
    assert row.configuration == {"endpoint": "https://api.anthropic.com/v1"}
    assert decrypted(row) == {"api_key": "sk-ant-example"}
    assert await apis_of(runtime, row.id) == [
        ("claude-sonnet-4-6", "claude-sonnet-4-6 model", True)
    ]


async def test_bulk_save_reference_openai_model_example(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    response = await post(client, REFERENCE_OPENAI, staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "my-openai")
    assert row is not None
    assert decrypted(row) == {"api_key": "sk-openai-example"}
    assert await apis_of(runtime, row.id) == [("gpt-4o", "GPT-4o model", True)]


async def test_bulk_save_minimal_item_gets_defaults(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    response = await post(
        client, [{"name": "m", "type": "sendgrid", "configuration": {"api_key": "k"}}], staff
    )
    assert response.json()["integrations"][0]["category"] == EMAIL
    row = await integration(runtime, "m")
    assert row is not None
    assert (row.name, row.description, row.enabled, row.tags) == ("m", "", True, [])


@pytest.mark.parametrize("kind", sorted(REFERENCE_TYPES))
async def test_bulk_save_each_reference_type_with_its_required_keys(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    category, required, optional = REFERENCE_TYPES[kind]
    configuration = {key: f"value-of-{key}-{kind}" for key in [*required, *optional]}
    if kind in AWS_TYPES:
        configuration["connectionType"] = "DEFAULT_CREDENTIALS"
    body = {"name": f"t-{kind}", "type": kind, "category": category, "configuration": configuration}
    if category in NEEDS_APIS:
        body["apis"] = [{"integrationName": f"t-{kind}", "api": "a1", "description": "First"}]
    response = await post(client, [body], staff)
    assert response.status_code == 200, response.text
    assert response.json()["integrations"][0]["category"] == category
    row = await integration(runtime, f"t-{kind}")
    assert row is not None
    secret = {k: v for k, v in configuration.items() if k in SECRET_KEYS}
    plain = {k: v for k, v in configuration.items() if k not in SECRET_KEYS}
    assert row.configuration == plain
    assert decrypted(row) == secret
    for value in secret.values():
        assert value not in response.text


@pytest.mark.parametrize("kind", sorted(REFERENCE_TYPES))
async def test_bulk_save_each_reference_type_lists_its_missing_required_keys(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    category, required, _ = REFERENCE_TYPES[kind]
    body: dict[str, Any] = {"name": "t", "type": kind}
    if category in NEEDS_APIS:
        body["apis"] = [{"integrationName": "t", "api": "a1", "description": "First"}]
    response = await post(client, [body], staff)
    assert_json(
        response, 400, invalid(*[(0, f"configuration.{key}", REQUIRED) for key in sorted(required)])
    )
