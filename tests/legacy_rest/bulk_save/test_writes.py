"""``POST /api/integrations``: all or nothing, and updates of existing integrations
(CONTRACT.md §5.4; docs/decisions/0033)."""

from __future__ import annotations

import httpx

from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import (
    AI_MODEL,
    BAD_NAME,
    EMAIL,
    NEEDS_AN_API,
    NOT_A_KEY,
    PLAIN_VALUE,
    REFERENCE_ANTHROPIC,
    REQUIRED,
    SECRET_VALUE,
    TAG_SHAPE,
    TYPES_MESSAGE,
    apis_of,
    count_named,
    decrypted,
    integration,
    invalid,
    item,
    post,
)
from tests.support.http import assert_json
from tests.support.sql import snapshot

# --------------------------------------------------------------------------------------------
# All or nothing


async def test_bulk_save_mixed_batch_lists_every_problem_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
) -> None:
    await post(client, [item("existing-mail", description="before")], staff)
    before = await snapshot(runtime)
    batch = [
        item("good-one", "openai", configuration={"api_key": "plain-secret-good"}),
        {"name": "bad name", "type": "nope", "extra": 1},
        item("existing-mail", description="after", configuration={"api_key": "new"}),
        item(
            "bad-two",
            "anthropic",
            category=EMAIL,
            configuration={"api_key": 5, "endpoint": {"x": 1}, "bogus": "b"},
            tags=[{"key": "k"}],
            apis=[{"integrationName": "other", "api": "", "description": "d"}],
        ),
        item("good-one"),
        "junk",
    ]
    response = await post(client, batch, staff)
    assert_json(
        response,
        400,
        invalid(
            (1, "extra", "Unknown field"),
            (1, "name", BAD_NAME),
            (1, "type", TYPES_MESSAGE),
            (3, "category", "This type belongs to AI_MODEL"),
            (3, "configuration.api_key", SECRET_VALUE),
            (3, "configuration.endpoint", PLAIN_VALUE),
            (3, "configuration.bogus", NOT_A_KEY),
            (3, "configuration.api_key", REQUIRED),
            (3, "configuration.endpoint", REQUIRED),
            (3, "tags[0]", TAG_SHAPE),
            (3, "apis[0].integrationName", "Must equal the integration's name"),
            (3, "apis[0].api", "Required, a non-empty string"),
            (4, "name", "Duplicate name in this batch"),
            (5, None, "Each integration must be a JSON object"),
        ),
    )
    assert "plain-secret-good" not in response.text
    assert await snapshot(runtime) == before


async def test_bulk_save_failed_batch_leaves_every_table_as_it_was(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
) -> None:
    await post(client, REFERENCE_ANTHROPIC, staff)
    before = await snapshot(runtime)
    assert before["integrations"]
    assert before["integration_apis"]
    assert before["users"]
    update = {
        **REFERENCE_ANTHROPIC[0],
        "description": "changed",
        "configuration": {"api_key": "rotated", "version": "2024"},
        "apis": [{"integrationName": "claude", "api": "claude-opus", "description": "new"}],
    }
    response = await post(client, [item("new-mail"), update, {"name": "x", "type": "?"}], staff)
    assert response.status_code == 400
    assert await snapshot(runtime) == before


# --------------------------------------------------------------------------------------------
# Updates


async def test_bulk_save_update_merges_configuration_by_key(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    first = item("o", "openai", configuration={"api_key": "sk-1", "endpoint": "https://a"})
    await post(client, [first], staff)
    created = await integration(runtime, "o")
    assert created is not None
    second = item("o", "openai", configuration={"organizationId": "org-1"})
    response = await post(client, [second], staff)
    assert_json(
        response,
        200,
        {
            "integrations": [
                {
                    "id": str(created.id),
                    "name": "o",
                    "type": "openai",
                    "category": AI_MODEL,
                    "created": False,
                }
            ]
        },
    )
    row = await integration(runtime, "o")
    assert row is not None
    assert row.configuration == {"endpoint": "https://a", "organizationId": "org-1"}
    assert decrypted(row) == {"api_key": "sk-1"}
    third = item("o", "openai", configuration={"api_key": "sk-2", "endpoint": "https://b"})
    await post(client, [third], staff)
    row = await integration(runtime, "o")
    assert row is not None
    assert row.configuration == {"endpoint": "https://b", "organizationId": "org-1"}
    assert decrypted(row) == {"api_key": "sk-2"}
    assert await count_named(runtime, "o") == 1


async def test_bulk_save_update_counts_stored_secrets_as_present(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    await post(client, [item("g", "git", configuration={"user": "u", "api_key": "ghp_1"})], staff)
    response = await post(client, [{"name": "g", "type": "git", "description": "now"}], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "g")
    assert row is not None
    assert row.description == "now"
    assert row.configuration == {"user": "u"}
    assert decrypted(row) == {"api_key": "ghp_1"}
    # A new integration of the same type still needs them.
    response = await post(client, [{"name": "g2", "type": "git"}], staff)
    assert_json(
        response,
        400,
        invalid((0, "configuration.api_key", REQUIRED), (0, "configuration.user", REQUIRED)),
    )


async def test_bulk_save_update_replaces_apis(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    await post(client, REFERENCE_ANTHROPIC, staff)
    row = await integration(runtime, "claude")
    assert row is not None
    apis = [
        {
            "integrationName": "claude",
            "api": "claude-opus-4",
            "description": "Opus",
            "enabled": False,
        },
        {"integrationName": "claude", "api": "claude-sonnet-4-6", "description": "Sonnet again"},
    ]
    response = await post(client, [{"name": "claude", "type": "anthropic", "apis": apis}], staff)
    assert response.status_code == 200, response.text
    assert await apis_of(runtime, row.id) == [
        ("claude-opus-4", "Opus", False),
        ("claude-sonnet-4-6", "Sonnet again", True),
    ]


async def test_bulk_save_update_without_apis_keeps_them(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    """docs/decisions/0033: `apis`, when given, replace the integration's apis — absent, they are
    kept."""
    await post(client, REFERENCE_ANTHROPIC, staff)
    row = await integration(runtime, "claude")
    assert row is not None
    response = await post(
        client, [{"name": "claude", "type": "anthropic", "description": "only this"}], staff
    )
    assert response.status_code == 200, response.text
    assert await apis_of(runtime, row.id) == [
        ("claude-sonnet-4-6", "claude-sonnet-4-6 model", True)
    ]


async def test_bulk_save_update_with_empty_apis_for_ai_type_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    await post(client, REFERENCE_ANTHROPIC, staff)
    before = await snapshot(runtime)
    response = await post(client, [{"name": "claude", "type": "anthropic", "apis": []}], staff)
    assert_json(response, 400, invalid((0, "apis", NEEDS_AN_API)))
    assert await snapshot(runtime) == before


async def test_bulk_save_update_replaces_description_enabled_and_tags_only_when_given(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    tags = [{"key": "env", "value": "prod"}]
    await post(client, [item("s", description="first", enabled=True, tags=tags)], staff)
    await post(client, [{"name": "s", "type": "sendgrid"}], staff)
    row = await integration(runtime, "s")
    assert row is not None
    assert (row.description, row.enabled, row.tags) == ("first", True, tags)
    await post(
        client,
        [{"name": "s", "type": "sendgrid", "enabled": False, "tags": [], "description": "2"}],
        staff,
    )
    row = await integration(runtime, "s")
    assert row is not None
    assert (row.description, row.enabled, row.tags) == ("2", False, [])


async def test_bulk_save_update_of_a_catalog_integration(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
) -> None:
    seeded = await integration(runtime, "sendgrid")
    assert seeded is not None
    assert seeded.type == "sendgrid"
    response = await post(
        client,
        [{"name": "sendgrid", "type": "sendgrid", "configuration": {"api_key": "SG.real"}}],
        staff,
    )
    assert response.status_code == 200, response.text
    assert response.json()["integrations"][0] == {
        "id": str(seeded.id),
        "name": "sendgrid",
        "type": "sendgrid",
        "category": EMAIL,
        "created": False,
    }
    row = await integration(runtime, "sendgrid")
    assert row is not None
    assert row.name == "SendGrid"  # the display name of an existing integration is kept
    assert decrypted(row) == {"api_key": "SG.real"}


async def test_bulk_save_type_change_of_a_catalog_integration_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
) -> None:
    before = await snapshot(runtime)
    response = await post(
        client,
        [{"name": "pinecone", "type": "weaviatedb",
          "configuration": {"api_key": "k", "endpoint": "e"},
          "apis": [{"integrationName": "pinecone", "api": "i", "description": "d"}]}],
        staff,
    )  # fmt: skip
    assert_json(
        response,
        400,
        invalid(
            (0, "type", "Cannot change the type of an existing integration (it is pineconedb)")
        ),
    )
    assert await snapshot(runtime) == before
