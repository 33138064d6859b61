"""``POST /api/integrations``: what a save writes — all or nothing, updates of existing
integrations, secrets without a key configured — and the caches it invalidates, with concurrent
saves (CONTRACT.md §5.4; docs/decisions/0030, 0032, 0033)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import (
    AI_MODEL,
    BAD_NAME,
    EMAIL,
    NEEDS_AN_API,
    NOT_A_KEY,
    PLAIN_VALUE,
    REFERENCE_ANTHROPIC,
    REFERENCE_SAVE_ALL,
    REQUIRED,
    SECRET_VALUE,
    TAG_SHAPE,
    TYPES_MESSAGE,
    UNAVAILABLE,
    apis_of,
    assert_invalid,
    count_named,
    decrypted,
    integration,
    item,
    post,
)
from tests.support.builders import add_rows
from tests.support.builders import integration as build_integration
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
    assert_invalid(
        response,
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
    assert_invalid(
        response, (0, "configuration.api_key", REQUIRED), (0, "configuration.user", REQUIRED)
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
    assert_invalid(response, (0, "apis", NEEDS_AN_API))
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
    assert_invalid(
        response,
        (0, "type", "Cannot change the type of an existing integration (it is pineconedb)"),
    )
    assert await snapshot(runtime) == before


# --------------------------------------------------------------------------------------------
# Secrets without a key


class TestWithoutSecretKey:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}

    async def test_bulk_save_with_secrets_is_unavailable_and_writes_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
    ) -> None:
        before = await snapshot(runtime)
        batch = [
            item("plain-only", "mongovectordb"),
            item("with-secret", configuration={"api_key": "SG.never-stored"}),
        ]
        response = await post(client, batch, staff)
        assert_json(response, 503, UNAVAILABLE)
        assert await snapshot(runtime) == before

    async def test_bulk_save_without_secrets_still_works(
        self, client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
    ) -> None:
        batch = [
            item("vectors", "mongovectordb"),
            item("cloud", "aws"),
            item("role", "aws_sqs", configuration={
                "connectionType": "ASSUME_ROLE", "region": "eu", "roleArn": "arn"}),
        ]  # fmt: skip
        response = await post(client, batch, staff)
        assert response.status_code == 200, response.text
        for name in ("vectors", "cloud", "role"):
            row = await integration(runtime, name)
            assert row is not None
            assert row.secret_configuration == {}

    async def test_bulk_save_update_keeping_stored_secrets_needs_no_key(
        self, client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
    ) -> None:
        token = Fernet(Fernet.generate_key()).encrypt(b"stored-elsewhere").decode()
        secret = {"api_key": token}
        await add_rows(
            runtime,
            build_integration(
                "legacy-mail", category=EMAIL, type="sendgrid", secret_configuration=secret
            ),
        )
        response = await post(
            client, [{"name": "legacy-mail", "type": "sendgrid", "description": "d"}], staff
        )
        assert response.status_code == 200, response.text
        row = await integration(runtime, "legacy-mail")
        assert row is not None
        assert row.secret_configuration == {"api_key": token}
        assert row.description == "d"

    async def test_bulk_save_validation_comes_before_unavailable(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await post(client, [item("x", configuration={"api_key": 5})], staff)
        assert response.status_code == 400


# --------------------------------------------------------------------------------------------
# Caches and concurrency


async def test_bulk_save_invalidates_the_anonymous_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, staff: dict[str, str]
) -> None:
    first = await client.get("/api/integrations")
    assert first.status_code == 200
    providers = [row["provider"] for row in first.json()["integrations"]]
    assert "aaa-direct" not in providers
    # A row written behind the gateway's back is not seen: the answer comes from the cache.
    await add_rows(runtime, build_integration("aaa-direct", name="Direct"))
    cached = await client.get("/api/integrations")
    assert cached.content == first.content
    missing = await client.get("/api/integrations/new-mail")
    assert missing.status_code == 404

    response = await post(client, [item("new-mail", description="Fresh", category=EMAIL)], staff)
    assert response.status_code == 200, response.text

    after = await client.get("/api/integrations")
    rows = {row["provider"]: row for row in after.json()["integrations"]}
    assert "aaa-direct" in rows
    assert rows["new-mail"] == {
        "provider": "new-mail",
        "name": "new-mail",
        "description": "Fresh",
        "category": EMAIL,
        "default_profile": "vendo_managed_pool",
        "supported_profiles": ["vendo_managed_pool"],
        "logo_url": None,
        "icon_name": None,
        "docs_url": None,
        "env_bootstrap": None,
    }
    detail = await client.get("/api/integrations/new-mail")
    assert detail.status_code == 200
    assert detail.json()["description"] == "Fresh"


async def test_bulk_save_update_is_visible_on_the_next_anonymous_detail(
    client: httpx.AsyncClient, demo: None, staff: dict[str, str]
) -> None:
    first = await client.get("/api/integrations/sendgrid")
    assert first.json()["description"] == "Transactional email."
    response = await post(
        client,
        [{"name": "sendgrid", "type": "sendgrid", "description": "Changed",
          "configuration": {"api_key": "SG.k"}}],
        staff,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    after = await client.get("/api/integrations/sendgrid")
    assert after.json()["description"] == "Changed"


async def test_bulk_save_failed_batch_does_not_invalidate_anything_visible(
    client: httpx.AsyncClient, demo: None, staff: dict[str, str]
) -> None:
    first = await client.get("/api/integrations")
    await post(client, [item("new-mail"), {"name": "bad"}], staff)
    after = await client.get("/api/integrations")
    assert after.content == first.content


async def test_bulk_save_concurrent_saves_of_one_new_name_create_one_row(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    body = [item("race", "openai", configuration={"api_key": "sk-race"})]
    first, second = await asyncio.gather(post(client, body, staff), post(client, body, staff))
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    created = sorted(r.json()["integrations"][0]["created"] for r in (first, second))
    assert created == [False, True]
    assert first.json()["integrations"][0]["id"] == second.json()["integrations"][0]["id"]
    assert await count_named(runtime, "race") == 1
    row = await integration(runtime, "race")
    assert row is not None
    assert await apis_of(runtime, row.id) == [("default", "Default", True)]
    assert decrypted(row) == {"api_key": "sk-race"}


async def test_bulk_save_concurrent_batches_sharing_names_create_each_once(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    one = [item("shared-a"), item("shared-b"), item("only-one")]
    two = [item("shared-b"), item("shared-a"), item("only-two")]
    responses = await asyncio.gather(*(post(client, b, staff) for b in (one, two, one, two)))
    for response in responses:
        assert response.status_code == 200, response.text
    for name in ("shared-a", "shared-b", "only-one", "only-two"):
        assert await count_named(runtime, name) == 1, name


async def test_bulk_save_rows_are_readable_in_the_database_as_documented(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    """The raw row: configuration holds plain values only, secret_configuration Fernet tokens."""
    await post(client, json.loads(REFERENCE_SAVE_ALL), staff)
    async with runtime.db.read() as session:
        raw = (
            await session.execute(
                text(
                    "SELECT configuration, secret_configuration FROM integrations "
                    "WHERE provider = 'open-ai-test'"
                )
            )
        ).one()
    configuration, secrets = (json.loads(v) if isinstance(v, str) else v for v in raw)
    assert configuration == {}
    assert list(secrets) == ["api_key"]
    assert secrets["api_key"].startswith("gAAAA")
