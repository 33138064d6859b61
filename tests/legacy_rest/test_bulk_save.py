"""Reference 05 over HTTP: ``POST /api/integrations`` — staff credentials, the reference's
examples, every validation rule of resolvers/integrations/bulk.py with its exact 400 body, all or
nothing, limits, updates, secrets, cache invalidation and concurrent saves (docs/DECISIONS.md,
"Bulk save" and "Secrets")."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app.models import APP_KEY, App, Integration, IntegrationApi
from app.repositories import keys
from app.runtime import Runtime
from app.services.auth import hash_token, new_api_key
from app.services.secrets import SecretBox
from tests.conftest import JWT_SECRET, Sessions, session_headers
from tests.support.credentials import identity_jwt, user_id_of
from tests.support.http import assert_json
from tests.support.sql import snapshot

# --------------------------------------------------------------------------------------------
# Documents and expected shapes

SECRET_KEY = Fernet.generate_key().decode()

UNAUTHORIZED = {"message": "Unauthorized"}
FORBIDDEN = {"message": "Forbidden"}
TOO_LARGE = {"message": "Request body too large"}
INVALID_JSON = {"message": "Invalid JSON body"}
UNAVAILABLE = {"message": "Secret encryption service unavailable"}

# The "Save all integrations" example of reference 05, verbatim.
REFERENCE_SAVE_ALL = """[
{
"name": "open-ai-test",
"type": "openai",
"category": "AI_MODEL",
"description": "OpenAI integration for LLM tasks",
"enabled": true,
"configuration": {
"api_key": "sk-..."
},
"apis": [
{
"integrationName": "open-ai-test",
"api": "gpt-4o",
"description": "GPT-4o model",
"enabled": true
}
]
},
{
"name": "sendgrid-test",
"type": "sendgrid",
"category": "EMAIL",
"description": "SendGrid integration for email tasks",
"enabled": true,
"configuration": {
"api_key": "SG...."
},
"apis": []
}
]"""

# The Anthropic example of reference 05, its placeholders filled and its comments dropped.
REFERENCE_ANTHROPIC = [
    {
        "name": "claude",
        "type": "anthropic",
        "category": "AI_MODEL",
        "description": "Anthropic Claude",
        "enabled": True,
        "configuration": {"api_key": "sk-ant-example", "endpoint": "https://api.anthropic.com/v1"},
        "apis": [
            {
                "integrationName": "claude",
                "api": "claude-sonnet-4-6",
                "description": "claude-sonnet-4-6 model",
                "enabled": True,
            }
        ],
    }
]

# The OpenAI "Integration model object" example of reference 05, placeholders filled.
REFERENCE_OPENAI = [
    {
        "name": "my-openai",
        "type": "openai",
        "category": "AI_MODEL",
        "description": "My OpenAI",
        "enabled": True,
        "configuration": {"api_key": "sk-openai-example"},
        "apis": [
            {
                "integrationName": "my-openai",
                "api": "gpt-4o",
                "description": "GPT-4o model",
                "enabled": True,
            }
        ],
    }
]

AI_MODEL, VECTOR_DB, RELATIONAL_DB = "AI_MODEL", "VECTOR_DB", "RELATIONAL_DB"
MESSAGE_BROKER, CLOUD, EMAIL, VERSION_CONTROL = (
    "MESSAGE_BROKER",
    "CLOUD",
    "EMAIL",
    "VERSION_CONTROL",
)
CATEGORIES_MESSAGE = (
    "One of: AI_MODEL, CLOUD, EMAIL, MESSAGE_BROKER, RELATIONAL_DB, VECTOR_DB, VERSION_CONTROL"
)
NEEDS_APIS = {AI_MODEL, VECTOR_DB, RELATIONAL_DB}
SECRET_KEYS = {"api_key", "password", "secretAccessKey", "sessionToken", "file", "header"}
AWS_TYPES = ["aws", "aws_sqs", "aws_bedrock_anthropic", "aws_bedrock_cohere", "aws_bedrock_titan"]

# Reference 05's table: type → (category, required keys, optional keys). The AWS types' keys
# that depend on connectionType are tested on their own.
REFERENCE_TYPES: dict[str, tuple[str, list[str], list[str]]] = {
    "ollama": (AI_MODEL, ["endpoint"], ["header", "api_key"]),
    "azure_openai": (AI_MODEL, ["api_key", "endpoint"], []),
    "openai": (AI_MODEL, ["api_key"], ["endpoint", "organizationId"]),
    "perplexity": (AI_MODEL, ["api_key"], []),
    "grok": (AI_MODEL, ["api_key"], []),
    "cohere": (AI_MODEL, ["api_key", "endpoint"], []),
    "mistral": (AI_MODEL, ["api_key", "endpoint"], []),
    "anthropic": (
        AI_MODEL,
        ["api_key", "endpoint"],
        ["completionsPath", "version", "betaVersion"],
    ),
    "vertex_ai": (AI_MODEL, ["projectName", "environment", "publisher", "file"], []),
    "vertex_ai_gemini": (AI_MODEL, ["projectName", "environment", "file"], []),
    "huggingface": (AI_MODEL, ["api_key", "namespace"], []),
    "aws_bedrock_anthropic": (AI_MODEL, ["connectionType", "region"], ["awsAccountId"]),
    "aws_bedrock_cohere": (AI_MODEL, ["connectionType", "region"], ["awsAccountId"]),
    "aws_bedrock_titan": (AI_MODEL, ["connectionType", "region"], ["awsAccountId"]),
    "pineconedb": (VECTOR_DB, ["api_key", "projectName", "environment"], []),
    "weaviatedb": (VECTOR_DB, ["api_key", "endpoint"], []),
    "pgvectordb": (
        VECTOR_DB,
        ["user", "password", "datasourceURL", "dimensions", "distance_metric", "indexing_method"],
        ["inverted_list_count"],
    ),
    "mongovectordb": (
        VECTOR_DB,
        ["endpoint", "namespace", "dimensions", "distance_metric"],
        ["inverted_list_count"],
    ),
    "amqp": (
        MESSAGE_BROKER,
        ["protocol", "user", "password", "endpoint", "port", "namespace"],
        [],
    ),
    "kafka": (MESSAGE_BROKER, ["endpoint", "connectionType", "protocol"], ["groupId"]),
    "nats": (
        MESSAGE_BROKER,
        ["endpoint", "connectionType", "authenticationType", "protocol", "tls"],
        [],
    ),
    "aws_sqs": (MESSAGE_BROKER, ["connectionType", "region"], ["awsAccountId"]),
    "azure_service_bus": (MESSAGE_BROKER, ["connectionType"], ["endpoint", "namespace"]),
    "gcp_pubsub": (MESSAGE_BROKER, ["projectName", "location", "file"], []),
    "ibm_mq": (
        MESSAGE_BROKER,
        [
            "endpoint",
            "port",
            "queueManager",
            "channel",
            "protocol",
            "pubSubMethod",
            "authenticationType",
            "tls",
        ],
        [],
    ),
    "aws": (CLOUD, ["connectionType", "region"], ["awsAccountId"]),
    "gcp": (CLOUD, ["projectName", "environment", "file"], []),
    "relational_db": (RELATIONAL_DB, ["jdbcDriver", "user", "password", "datasourceURL"], []),
    "sendgrid": (EMAIL, ["api_key"], []),
    "git": (VERSION_CONTROL, ["user", "api_key"], []),
}
TYPES_MESSAGE = "Required, one of: " + ", ".join(sorted(REFERENCE_TYPES))

BAD_NAME = "1 to 100 characters of letters, digits, '_', '-' or '.'"
SECRET_VALUE = "A non-empty string (it is stored as a secret)"
PLAIN_VALUE = "A string, number or boolean"
NOT_A_KEY = "Not a configuration key of this type"
REQUIRED = "Required for this type"
NEEDS_AN_API = "At least one model, index or table is required for this type"
TAG_SHAPE = 'An object {"key": string, "value": string}'
AWS_MODES_MESSAGE = "One of: ACCESS_KEY, ASSUME_ROLE, DEFAULT_CREDENTIALS"


# --------------------------------------------------------------------------------------------
# Helpers and fixtures


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY}


def box() -> SecretBox:
    return SecretBox([Fernet(SECRET_KEY)])


@pytest.fixture
async def staff_session(sessions: Sessions) -> str:
    return await sessions.create("root@example.com", staff=True)


@pytest.fixture
async def staff_jwt(runtime: Runtime, staff_session: str) -> str:
    return identity_jwt(await user_id_of(runtime, "root@example.com"))


@pytest.fixture
async def staff(staff_jwt: str) -> dict[str, str]:
    """The reference's way: the staff user's token, bare, in X-Authorization."""
    return {"X-Authorization": staff_jwt}


@pytest.fixture
async def member_session(sessions: Sessions) -> str:
    return await sessions.create("member@example.com")


def invalid(*problems: tuple[int | None, str | None, str]) -> dict[str, Any]:
    return {
        "message": "Invalid integrations",
        "errors": [{"index": i, "field": f, "message": m} for i, f, m in problems],
    }


async def post(
    client: httpx.AsyncClient, body: Any, headers: dict[str, str], path: str = "/api/integrations"
) -> httpx.Response:
    return await client.post(path, json=body, headers=headers)


def item(name: str, kind: str = "sendgrid", **fields: Any) -> dict[str, Any]:
    """A valid item of ``kind`` (its required keys, one api where one is needed), then
    ``fields`` on top."""
    category, required, _ = REFERENCE_TYPES[kind]
    configuration = {key: f"value-of-{key}" for key in required}
    if kind in AWS_TYPES:
        configuration = {"connectionType": "DEFAULT_CREDENTIALS", "region": "us-east-1"}
    body: dict[str, Any] = {"name": name, "type": kind, "configuration": configuration}
    if category in NEEDS_APIS:
        body["apis"] = [{"integrationName": name, "api": "default", "description": "Default"}]
    body.update(fields)
    return body


async def integration(runtime: Runtime, name: str) -> Integration | None:
    async with runtime.db.read() as session:
        return await session.scalar(select(Integration).where(Integration.provider == name))


async def apis_of(runtime: Runtime, integration_id: uuid.UUID) -> list[tuple[str, str, bool]]:
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(IntegrationApi.api, IntegrationApi.description, IntegrationApi.enabled)
            .where(IntegrationApi.integration_id == integration_id)
            .order_by(IntegrationApi.api)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def count_named(runtime: Runtime, name: str) -> int:
    async with runtime.db.read() as session:
        return len(
            (
                await session.scalars(select(Integration.id).where(Integration.provider == name))
            ).all()
        )


def decrypted(row: Integration) -> dict[str, str]:
    return {name: box().decrypt(token) for name, token in row.secret_configuration.items()}


# --------------------------------------------------------------------------------------------
# Auth


async def test_bulk_save_without_credentials_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for path in ("/api/integrations", "/api/integrations/"):
        response = await post(client, [item("x")], {}, path)
        assert_json(response, 401, UNAUTHORIZED)
    assert await integration(runtime, "x") is None


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Authorization": "garbage"},
        {"X-Authorization": "Bearer garbage"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "garbage"},
        {"X-Authorization": "a.b.c"},
        {"Cookie": "vendo_session=vs_unknown"},
        {"X-Authorization": "vs_" + "x" * 43},
    ],
    ids=["x-bare", "x-bearer", "bearer", "no-scheme", "three-segments", "cookie", "x-session"],
)
async def test_bulk_save_with_invalid_credentials_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str]
) -> None:
    response = await post(client, [item("x")], headers)
    assert_json(response, 401, UNAUTHORIZED)
    assert await integration(runtime, "x") is None


async def test_bulk_save_with_jwt_signed_by_another_key_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, staff_session: str
) -> None:
    user = await user_id_of(runtime, "root@example.com")
    token = jwt.encode(
        {"sub": str(user), "aud": "authenticated", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-secret-that-is-also-long-enough!!",
        algorithm="HS256",
    )
    response = await post(client, [item("x")], {"X-Authorization": token})
    assert_json(response, 401, UNAUTHORIZED)


async def test_bulk_save_with_jwt_without_exp_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, staff_session: str
) -> None:
    user = await user_id_of(runtime, "root@example.com")
    token = jwt.encode({"sub": str(user), "aud": "authenticated"}, JWT_SECRET, algorithm="HS256")
    response = await post(client, [item("x")], {"X-Authorization": token})
    assert_json(response, 401, UNAUTHORIZED)


async def test_bulk_save_with_an_app_key_is_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    key = new_api_key()
    async with runtime.db.write() as session, session.begin():
        app_row = (await session.execute(select(App).limit(1))).scalar_one()
        await keys.create_key(
            session=session,
            kind=APP_KEY,
            tenant_id=app_row.tenant_id,
            scope_id=app_row.id,
            key_hash=hash_token(key),
            prefix=key[:13],
            expires_at=None,
        )
    for headers in ({"X-Authorization": key}, {"Authorization": f"Bearer {key}"}):
        response = await post(client, [item("x")], headers)
        assert_json(response, 401, UNAUTHORIZED)


async def test_bulk_save_non_staff_session_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime, member_session: str
) -> None:
    for headers in (
        session_headers(member_session),
        {"X-Authorization": member_session},
        {"Authorization": f"Bearer {member_session}"},
    ):
        response = await post(client, [item("x")], headers)
        assert_json(response, 403, FORBIDDEN)
    assert await integration(runtime, "x") is None


async def test_bulk_save_non_staff_jwt_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime, member_session: str
) -> None:
    token = identity_jwt(await user_id_of(runtime, "member@example.com"))
    for headers in ({"X-Authorization": token}, {"Authorization": f"Bearer {token}"}):
        response = await post(client, [item("x")], headers)
        assert_json(response, 403, FORBIDDEN)
    assert await integration(runtime, "x") is None


async def test_bulk_save_non_staff_with_invalid_items_is_forbidden(
    client: httpx.AsyncClient, runtime: Runtime, member_session: str
) -> None:
    response = await post(client, [{"name": "-bad"}], session_headers(member_session))
    assert_json(response, 403, FORBIDDEN)


@pytest.mark.parametrize("path", ["/api/integrations", "/api/integrations/"])
@pytest.mark.parametrize("how", ["x-bare", "x-bearer", "bearer", "cookie", "x-session", "session"])
async def test_bulk_save_staff_is_accepted(
    client: httpx.AsyncClient,
    runtime: Runtime,
    staff_jwt: str,
    staff_session: str,
    path: str,
    how: str,
) -> None:
    headers = {
        "x-bare": {"X-Authorization": staff_jwt},
        "x-bearer": {"X-Authorization": f"Bearer {staff_jwt}"},
        "bearer": {"Authorization": f"Bearer {staff_jwt}"},
        "cookie": session_headers(staff_session),
        "x-session": {"X-Authorization": staff_session},
        "session": {"Authorization": f"Bearer {staff_session}"},
    }[how]
    response = await post(client, [item("mail-1")], headers, path)
    row = await integration(runtime, "mail-1")
    assert row is not None
    assert_json(
        response,
        200,
        {
            "integrations": [
                {
                    "id": str(row.id),
                    "name": "mail-1",
                    "type": "sendgrid",
                    "category": "EMAIL",
                    "created": True,
                }
            ]
        },
    )


async def test_bulk_save_invalid_x_authorization_falls_back_to_authorization(
    client: httpx.AsyncClient, staff_jwt: str
) -> None:
    response = await post(
        client,
        [item("mail-1")],
        {"X-Authorization": "garbage", "Authorization": f"Bearer {staff_jwt}"},
    )
    assert response.status_code == 200, response.text


async def test_bulk_save_unauthorized_comes_before_body_checks(
    client: httpx.AsyncClient,
) -> None:
    malformed = await client.post(
        "/api/integrations", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_json(malformed, 401, UNAUTHORIZED)
    invalid_items = await post(client, [{"name": "-"}], {})
    assert_json(invalid_items, 401, UNAUTHORIZED)


# --------------------------------------------------------------------------------------------
# The reference's examples


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


# --------------------------------------------------------------------------------------------
# Validation: one rule at a time, the exact body


@pytest.mark.parametrize("raw", [1, "x", None, [], True])
async def test_bulk_save_item_not_an_object(
    client: httpx.AsyncClient, staff: dict[str, str], raw: Any
) -> None:
    response = await post(client, [raw], staff)
    assert_json(response, 400, invalid((0, None, "Each integration must be a JSON object")))


async def test_bulk_save_unknown_item_key(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await post(client, [item("x", id="abc", models=[])], staff)
    assert_json(response, 400, invalid((0, "id", "Unknown field"), (0, "models", "Unknown field")))


async def test_bulk_save_missing_name(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    body = item("x")
    del body["name"]
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "name", "Required, a string")))


@pytest.mark.parametrize("name", [5, None, ["x"]])
async def test_bulk_save_name_not_a_string(
    client: httpx.AsyncClient, staff: dict[str, str], name: Any
) -> None:
    response = await post(client, [{**item("x"), "name": name}], staff)
    assert_json(response, 400, invalid((0, "name", "Required, a string")))


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-starts-with-dash",
        ".hidden",
        "has space",
        "slash/name",
        "a" * 101,
        "café",
        "名前",
        "x\n",
    ],
)
async def test_bulk_save_bad_name(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], name: str
) -> None:
    response = await post(client, [{**item("x"), "name": name}], staff)
    assert_json(response, 400, invalid((0, "name", BAD_NAME)))
    assert await integration(runtime, name) is None


@pytest.mark.parametrize("name", ["a", "A_b-c.d", "0day", "a" * 100])
async def test_bulk_save_good_names(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], name: str
) -> None:
    response = await post(client, [item(name)], staff)
    assert response.status_code == 200, response.text
    assert await integration(runtime, name) is not None


async def test_bulk_save_duplicate_names_in_one_batch(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    response = await post(client, [item("dup"), item("other"), item("dup"), item("dup")], staff)
    assert_json(
        response,
        400,
        invalid(
            (2, "name", "Duplicate name in this batch"),
            (3, "name", "Duplicate name in this batch"),
        ),
    )
    assert await integration(runtime, "dup") is None
    assert await integration(runtime, "other") is None


@pytest.mark.parametrize("kind", ["nope", "", "OPENAI", 7, None])
async def test_bulk_save_unknown_type(
    client: httpx.AsyncClient, staff: dict[str, str], kind: Any
) -> None:
    response = await post(client, [{"name": "x", "type": kind}], staff)
    assert_json(response, 400, invalid((0, "type", TYPES_MESSAGE)))


async def test_bulk_save_missing_type(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await post(client, [{"name": "x", "configuration": {"api_key": "k"}}], staff)
    assert_json(response, 400, invalid((0, "type", TYPES_MESSAGE)))


async def test_bulk_save_type_of_existing_integration_cannot_change(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    assert (await post(client, [item("mail")], staff)).status_code == 200
    before = await snapshot(runtime)
    response = await post(
        client, [{"name": "mail", "type": "git", "configuration": {"user": "u"}}], staff
    )
    assert_json(
        response,
        400,
        invalid((0, "type", "Cannot change the type of an existing integration (it is sendgrid)")),
    )
    assert await snapshot(runtime) == before


async def test_bulk_save_same_type_of_existing_integration_is_an_update(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    await post(client, [item("mail")], staff)
    response = await post(client, [{"name": "mail", "type": "sendgrid"}], staff)
    assert response.status_code == 200, response.text
    assert response.json()["integrations"][0]["created"] is False


@pytest.mark.parametrize("category", ["NOPE", "", "email", 3, ["EMAIL"]])
async def test_bulk_save_unknown_category(
    client: httpx.AsyncClient, staff: dict[str, str], category: Any
) -> None:
    response = await post(client, [item("x", category=category)], staff)
    assert_json(response, 400, invalid((0, "category", CATEGORIES_MESSAGE)))


@pytest.mark.parametrize(
    ("kind", "category", "belongs"),
    [
        ("sendgrid", CLOUD, EMAIL),
        ("openai", VECTOR_DB, AI_MODEL),
        ("pineconedb", AI_MODEL, VECTOR_DB),
        ("aws", MESSAGE_BROKER, CLOUD),
        ("aws_sqs", CLOUD, MESSAGE_BROKER),
        ("git", EMAIL, VERSION_CONTROL),
        ("relational_db", VECTOR_DB, RELATIONAL_DB),
    ],
)
async def test_bulk_save_category_mismatching_type(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str, category: str, belongs: str
) -> None:
    response = await post(client, [item("x", kind, category=category)], staff)
    assert_json(response, 400, invalid((0, "category", f"This type belongs to {belongs}")))


@pytest.mark.parametrize("configuration", ["api_key=k", ["api_key"], 5, True])
async def test_bulk_save_configuration_not_an_object(
    client: httpx.AsyncClient, staff: dict[str, str], configuration: Any
) -> None:
    response = await post(client, [item("x", configuration=configuration)], staff)
    assert_json(
        response,
        400,
        invalid((0, "configuration", "An object"), (0, "configuration.api_key", REQUIRED)),
    )


async def test_bulk_save_configuration_null_is_absent(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    response = await post(client, [item("x", configuration=None)], staff)
    assert_json(response, 400, invalid((0, "configuration.api_key", REQUIRED)))


async def test_bulk_save_unknown_configuration_key(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", configuration={"api_key": "k", "endpoint": "e", "region": "r"})
    response = await post(client, [body], staff)
    assert_json(
        response,
        400,
        invalid((0, "configuration.endpoint", NOT_A_KEY), (0, "configuration.region", NOT_A_KEY)),
    )


async def test_bulk_save_unknown_configuration_key_carrying_a_secret_is_not_echoed(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", configuration={"api_key": "k", "password": "hunter2-plain"})
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "configuration.password", NOT_A_KEY)))
    assert "hunter2-plain" not in response.text


@pytest.mark.parametrize(
    "junk",
    [{"a": 1}, [1, 2], None, {"deep": {"deeper": ["x"]}}, []],
    ids=["object", "array", "null", "nested", "empty-array"],
)
async def test_bulk_save_nested_junk_in_plain_configuration_value(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], junk: Any
) -> None:
    body = item("x", "openai", configuration={"api_key": "k", "endpoint": junk})
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "configuration.endpoint", PLAIN_VALUE)))
    assert await integration(runtime, "x") is None


@pytest.mark.parametrize(
    "junk",
    [{"a": 1}, [1, 2], None, 123, 1.5, True, ""],
    ids=["object", "array", "null", "int", "float", "bool", "empty"],
)
async def test_bulk_save_non_string_or_empty_secret_value(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], junk: Any
) -> None:
    response = await post(client, [item("x", configuration={"api_key": junk})], staff)
    assert_json(
        response,
        400,
        invalid((0, "configuration.api_key", SECRET_VALUE), (0, "configuration.api_key", REQUIRED)),
    )
    assert await integration(runtime, "x") is None


async def test_bulk_save_optional_secret_value_must_be_a_string(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", "ollama", configuration={"endpoint": "e", "header": 5, "api_key": ""})
    response = await post(client, [body], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "configuration.header", SECRET_VALUE), (0, "configuration.api_key", SECRET_VALUE)
        ),
    )


async def test_bulk_save_empty_plain_value(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", "anthropic", configuration={"api_key": "k", "endpoint": ""})
    response = await post(client, [body], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "configuration.endpoint", "Must not be empty"),
            (0, "configuration.endpoint", REQUIRED),
        ),
    )


async def test_bulk_save_numbers_and_booleans_are_plain_values(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    configuration = {
        "protocol": "amqps",
        "user": "u",
        "password": "p4ss",
        "endpoint": "mq.example.com",
        "port": 5671,
        "namespace": "/",
    }
    response = await post(client, [item("mq", "amqp", configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "mq")
    assert row is not None
    assert row.configuration == {
        "protocol": "amqps",
        "user": "u",
        "endpoint": "mq.example.com",
        "port": 5671,
        "namespace": "/",
    }
    assert decrypted(row) == {"password": "p4ss"}

    nats = {
        "endpoint": "nats://x",
        "connectionType": "plain",
        "authenticationType": "none",
        "protocol": "nats",
        "tls": False,
    }
    response = await post(client, [item("n", "nats", configuration=nats)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "n")
    assert row is not None
    assert row.configuration == nats


async def test_bulk_save_configuration_value_over_16_kib(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    big = "x" * 16_385
    ok = "x" * 16_384
    response = await post(
        client, [item("x", "openai", configuration={"api_key": ok, "endpoint": big})], staff
    )
    assert_json(response, 400, invalid((0, "configuration.endpoint", PLAIN_VALUE)))
    response = await post(client, [item("y", configuration={"api_key": big})], staff)
    assert_json(
        response,
        400,
        invalid((0, "configuration.api_key", SECRET_VALUE), (0, "configuration.api_key", REQUIRED)),
    )


async def test_bulk_save_missing_required_keys(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = item("x", "anthropic", configuration={"api_key": "k", "version": "2023-06-01"})
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "configuration.endpoint", REQUIRED)))


# AWS: connectionType selects more keys.


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_access_key_needs_its_keys(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "ACCESS_KEY", "region": "us-east-1"})
    response = await post(client, [body], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "configuration.accessKeyId", REQUIRED),
            (0, "configuration.secretAccessKey", REQUIRED),
        ),
    )


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_access_key_stores_secret_keys_encrypted(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    configuration = {
        "connectionType": "ACCESS_KEY",
        "region": "eu-west-1",
        "awsAccountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE",
        "secretAccessKey": "wJalrXUtnFEMI-plain",
        "sessionToken": "FwoGZXIvYXdz-plain",
    }
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert row.configuration == {
        "connectionType": "ACCESS_KEY",
        "region": "eu-west-1",
        "awsAccountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE",
    }
    assert decrypted(row) == {
        "secretAccessKey": "wJalrXUtnFEMI-plain",
        "sessionToken": "FwoGZXIvYXdz-plain",
    }


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_assume_role_needs_role_arn(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "ASSUME_ROLE", "region": "us-east-1"})
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "configuration.roleArn", REQUIRED)))
    configuration = {
        "connectionType": "ASSUME_ROLE",
        "region": "us-east-1",
        "roleArn": "arn:aws:iam::123456789012:role/x",
        "externalId": "ext",
    }
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert row.configuration == configuration
    assert row.secret_configuration == {}


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_default_credentials_adds_nothing(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str
) -> None:
    configuration = {"connectionType": "DEFAULT_CREDENTIALS", "region": "us-east-1"}
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert response.status_code == 200, response.text
    extra = {**configuration, "accessKeyId": "AKIA", "roleArn": "arn"}
    response = await post(client, [item("y", kind, configuration=extra)], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "configuration.accessKeyId", NOT_A_KEY), (0, "configuration.roleArn", NOT_A_KEY)
        ),
    )


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_keys_of_another_mode_are_rejected(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    configuration = {
        "connectionType": "ASSUME_ROLE",
        "region": "us-east-1",
        "roleArn": "arn",
        "secretAccessKey": "s",
    }
    response = await post(client, [item("x", kind, configuration=configuration)], staff)
    assert_json(response, 400, invalid((0, "configuration.secretAccessKey", NOT_A_KEY)))


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_unknown_connection_type(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "MAGIC", "region": "us-east-1"})
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "configuration.connectionType", AWS_MODES_MESSAGE)))


@pytest.mark.parametrize("kind", AWS_TYPES)
async def test_bulk_save_aws_region_is_always_required(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind, configuration={"connectionType": "DEFAULT_CREDENTIALS"})
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "configuration.region", REQUIRED)))


# Tags.


@pytest.mark.parametrize("tags", ["env=prod", {"key": "a", "value": "b"}, 5])
async def test_bulk_save_tags_not_a_list(
    client: httpx.AsyncClient, staff: dict[str, str], tags: Any
) -> None:
    response = await post(client, [item("x", tags=tags)], staff)
    assert_json(response, 400, invalid((0, "tags", "A list of at most 50 tags")))


async def test_bulk_save_more_than_50_tags(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    tags = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    response = await post(client, [item("x", tags=tags)], staff)
    assert_json(response, 400, invalid((0, "tags", "A list of at most 50 tags")))
    response = await post(client, [item("x", tags=tags[:50])], staff)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "tag",
    [{"key": "a"}, {"value": "b"}, {"key": "a", "value": 1}, {"key": "a", "value": "b", "c": "d"},
     "a=b", None, {"key": None, "value": "b"}],
)  # fmt: skip
async def test_bulk_save_bad_tag_shape(
    client: httpx.AsyncClient, staff: dict[str, str], tag: Any
) -> None:
    tags = [{"key": "ok", "value": "fine"}, tag]
    response = await post(client, [item("x", tags=tags)], staff)
    assert_json(response, 400, invalid((0, "tags[1]", TAG_SHAPE)))


async def test_bulk_save_tags_are_stored(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    tags = [
        {"key": "env", "value": "prod"},
        {"key": "", "value": ""},
        {"key": "ü", "value": "日本"},
    ]
    response = await post(client, [item("x", tags=tags)], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert row.tags == tags


# Apis.


async def test_bulk_save_api_integration_name_mismatch(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    apis = [{"integrationName": "other", "api": "gpt-4o", "description": "d"}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(
        response, 400, invalid((0, "apis[0].integrationName", "Must equal the integration's name"))
    )


async def test_bulk_save_api_integration_name_missing(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    apis = [{"api": "gpt-4o", "description": "d"}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(
        response, 400, invalid((0, "apis[0].integrationName", "Must equal the integration's name"))
    )


@pytest.mark.parametrize("missing", ["api", "description"])
async def test_bulk_save_api_missing_api_or_description(
    client: httpx.AsyncClient, staff: dict[str, str], missing: str
) -> None:
    entry = {"integrationName": "x", "api": "gpt-4o", "description": "d"}
    del entry[missing]
    response = await post(client, [item("x", "openai", apis=[entry])], staff)
    assert_json(response, 400, invalid((0, f"apis[0].{missing}", "Required, a non-empty string")))


@pytest.mark.parametrize("value", ["", 5, None, ["gpt"]])
async def test_bulk_save_api_empty_or_non_string(
    client: httpx.AsyncClient, staff: dict[str, str], value: Any
) -> None:
    entry = {"integrationName": "x", "api": value, "description": value}
    response = await post(client, [item("x", "openai", apis=[entry])], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "apis[0].api", "Required, a non-empty string"),
            (0, "apis[0].description", "Required, a non-empty string"),
        ),
    )


async def test_bulk_save_duplicate_api(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    apis = [
        {"integrationName": "x", "api": "gpt-4o", "description": "one"},
        {"integrationName": "x", "api": "o3", "description": "two"},
        {"integrationName": "x", "api": "gpt-4o", "description": "three"},
    ]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(response, 400, invalid((0, "apis[2].api", "Duplicate api in this integration")))


async def test_bulk_save_unknown_api_keys(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    apis = [{"integrationName": "x", "api": "a", "description": "d", "model": "m", "cost": 1}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(
        response,
        400,
        invalid((0, "apis[0].cost", "Unknown field"), (0, "apis[0].model", "Unknown field")),
    )


async def test_bulk_save_api_enabled_not_a_boolean(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    apis = [{"integrationName": "x", "api": "a", "description": "d", "enabled": "yes"}]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(response, 400, invalid((0, "apis[0].enabled", "A boolean")))


@pytest.mark.parametrize("entry", ["gpt-4o", 1, None, ["gpt-4o"]])
async def test_bulk_save_api_entry_not_an_object(
    client: httpx.AsyncClient, staff: dict[str, str], entry: Any
) -> None:
    response = await post(client, [item("x", "openai", apis=[entry])], staff)
    assert_json(response, 400, invalid((0, "apis[0]", "An object")))


@pytest.mark.parametrize("apis", ["gpt-4o", {"api": "x"}, 3])
async def test_bulk_save_apis_not_a_list(
    client: httpx.AsyncClient, staff: dict[str, str], apis: Any
) -> None:
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(response, 400, invalid((0, "apis", "A list of at most 200 entries")))


async def test_bulk_save_more_than_200_apis(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    apis = [{"integrationName": "x", "api": f"m{i}", "description": "d"} for i in range(201)]
    response = await post(client, [item("x", "openai", apis=apis)], staff)
    assert_json(response, 400, invalid((0, "apis", "A list of at most 200 entries")))
    response = await post(client, [item("x", "openai", apis=apis[:200])], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "x")
    assert row is not None
    assert len(await apis_of(runtime, row.id)) == 200


@pytest.mark.parametrize("kind", ["openai", "aws_bedrock_titan", "pineconedb", "relational_db"])
@pytest.mark.parametrize("apis", [None, []], ids=["absent", "empty"])
async def test_bulk_save_ai_vector_relational_types_need_apis(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], kind: str, apis: Any
) -> None:
    body = item("x", kind)
    if apis is None:
        del body["apis"]
    else:
        body["apis"] = apis
    response = await post(client, [body], staff)
    assert_json(response, 400, invalid((0, "apis", NEEDS_AN_API)))
    assert await integration(runtime, "x") is None


@pytest.mark.parametrize("kind", ["sendgrid", "git", "kafka", "aws", "gcp"])
async def test_bulk_save_other_types_need_no_apis(
    client: httpx.AsyncClient, staff: dict[str, str], kind: str
) -> None:
    body = item("x", kind)
    body.pop("apis", None)
    response = await post(client, [body], staff)
    assert response.status_code == 200, response.text


async def test_bulk_save_description_and_enabled_types(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    response = await post(client, [item("x", description=5, enabled="yes")], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "description", "A string of at most 2000 characters"), (0, "enabled", "A boolean")
        ),
    )
    response = await post(client, [item("x", description="d" * 2001)], staff)
    assert_json(response, 400, invalid((0, "description", "A string of at most 2000 characters")))
    response = await post(client, [item("x", description="d" * 2000, enabled=False)], staff)
    assert response.status_code == 200, response.text


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
# The body: shape, size, encoding


async def test_bulk_save_body_not_an_array(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    for body in ({"name": "x", "type": "sendgrid"}, {}, "x", 5, True):
        response = await post(client, body, staff)
        assert_json(
            response, 400, invalid((None, None, "Body must be a JSON array of integrations"))
        )


async def test_bulk_save_body_json_null(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    """`null` is a body that is not an array: the same whole-body problem (DECISIONS: `index` and
    `field` are null for problems of the whole body)."""
    response = await client.post(
        "/api/integrations", content=b"null", headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 400, invalid((None, None, "Body must be a JSON array of integrations")))


async def test_bulk_save_empty_body(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await client.post(
        "/api/integrations", content=b"", headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 400, invalid((None, None, "Body must be a JSON array of integrations")))


async def test_bulk_save_empty_array(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await post(client, [], staff)
    assert_json(response, 400, invalid((None, None, "Body must contain at least one integration")))


@pytest.mark.parametrize(
    "content",
    [b"[{", b"[1,]", b"{'a': 1}", b"NaN", b'["\xff\xfe"]', b"\xff\xfe[\x00]", b"[] []"],
    ids=["truncated", "trailing-comma", "single-quotes", "nan", "non-utf8-string", "bom16", "two"],
)
async def test_bulk_save_malformed_or_non_utf8_json(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], content: bytes
) -> None:
    before = await snapshot(runtime)
    response = await client.post(
        "/api/integrations", content=content, headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 400, INVALID_JSON)
    assert await snapshot(runtime) == before


async def test_bulk_save_deeply_nested_json_is_a_clear_400(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    depth = 100_000
    content = (
        b'[{"name":"x","type":"sendgrid","configuration":{"api_key":'
        + b"[" * depth
        + b"]" * depth
        + b"}}]"
    )
    response = await client.post(
        "/api/integrations", content=content, headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 400, INVALID_JSON)
    assert await integration(runtime, "x") is None


async def test_bulk_save_moderately_nested_junk_is_rejected_per_field(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    nested: Any = "leaf"
    for _ in range(200):
        nested = {"n": [nested]}
    body = item("x", "openai", configuration={"api_key": nested, "endpoint": nested})
    response = await post(client, [body], staff)
    assert_json(
        response,
        400,
        invalid(
            (0, "configuration.api_key", SECRET_VALUE),
            (0, "configuration.endpoint", PLAIN_VALUE),
            (0, "configuration.api_key", REQUIRED),
        ),
    )


async def test_bulk_save_10000_items_is_over_the_item_limit(
    client: httpx.AsyncClient, runtime: Runtime, settings: Any, staff: dict[str, str]
) -> None:
    batch = [
        {"name": f"n{i}", "type": "sendgrid", "configuration": {"api_key": "k"}}
        for i in range(10_000)
    ]
    content = json.dumps(batch, separators=(",", ":")).encode()
    assert len(content) < settings.max_body_bytes  # so the item limit answers, not the body limit
    before = await snapshot(runtime)
    response = await client.post(
        "/api/integrations", content=content, headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 400, invalid((None, None, "At most 500 integrations per request")))
    assert await snapshot(runtime) == before


async def test_bulk_save_10000_large_items_is_over_the_body_limit(
    client: httpx.AsyncClient, runtime: Runtime, settings: Any, staff: dict[str, str]
) -> None:
    batch = [item(f"n{i}", description="d" * 200) for i in range(10_000)]
    content = json.dumps(batch).encode()
    assert len(content) > settings.max_body_bytes
    before = await snapshot(runtime)
    response = await client.post(
        "/api/integrations", content=content, headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 413, TOO_LARGE)
    assert await snapshot(runtime) == before


async def test_bulk_save_500_items_is_the_limit(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    response = await post(client, [item(f"n{i}") for i in range(501)], staff)
    assert_json(response, 400, invalid((None, None, "At most 500 integrations per request")))
    assert await count_named(runtime, "n0") == 0
    response = await post(client, [item(f"n{i}") for i in range(500)], staff)
    assert response.status_code == 200, response.text
    assert len(response.json()["integrations"]) == 500
    async with runtime.db.read() as session:
        names = set(
            (
                await session.scalars(
                    select(Integration.provider).where(Integration.type == "sendgrid")
                )
            ).all()
        )
    assert names == {f"n{i}" for i in range(500)}


async def test_bulk_save_body_over_the_limit_by_content_length(
    client: httpx.AsyncClient, runtime: Runtime, settings: Any, staff: dict[str, str]
) -> None:
    padding = "x" * settings.max_body_bytes
    content = json.dumps([item("big", description=padding)]).encode()
    response = await client.post(
        "/api/integrations", content=content, headers={**staff, "Content-Type": "application/json"}
    )
    assert_json(response, 413, TOO_LARGE)
    assert await integration(runtime, "big") is None


async def test_bulk_save_body_over_the_limit_streamed_without_length(
    client: httpx.AsyncClient, runtime: Runtime, settings: Any, staff: dict[str, str]
) -> None:
    content = json.dumps([item("big", description="x" * settings.max_body_bytes)]).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 65_536):
            yield content[start : start + 65_536]

    response = await client.post(
        "/api/integrations",
        content=chunks(),
        headers={**staff, "Content-Type": "application/json"},
    )
    assert_json(response, 413, TOO_LARGE)
    assert await integration(runtime, "big") is None


async def test_bulk_save_body_over_the_limit_is_413_even_unauthenticated(
    client: httpx.AsyncClient, settings: Any
) -> None:
    response = await client.post(
        "/api/integrations/",
        content=b"[" + b" " * settings.max_body_bytes + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert_json(response, 413, TOO_LARGE)


async def test_bulk_save_unicode_and_empty_strings(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str]
) -> None:
    body = item(
        "unicode",
        "openai",
        description="Intégration 日本語 🚀 «quotes»",
        configuration={"api_key": "clé-🔑-секрет", "endpoint": "https://例え.jp/v1"},
        tags=[{"key": "", "value": ""}],
        apis=[{"integrationName": "unicode", "api": "模型-1", "description": "Ünïcödé ✓"}],
    )
    response = await post(client, [body], staff)
    assert response.status_code == 200, response.text
    row = await integration(runtime, "unicode")
    assert row is not None
    assert row.description == "Intégration 日本語 🚀 «quotes»"
    assert row.configuration == {"endpoint": "https://例え.jp/v1"}
    assert decrypted(row) == {"api_key": "clé-🔑-секрет"}
    assert await apis_of(runtime, row.id) == [("模型-1", "Ünïcödé ✓", True)]
    assert "clé-🔑-секрет" not in response.text

    empty_description = await post(client, [item("e", description="")], staff)
    assert empty_description.status_code == 200, empty_description.text


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("description", {"description": "nul\u0000byte"}),
        ("configuration", {"configuration": {"api_key": "k", "endpoint": "a\u0000b"}}),
        ("tags", {"tags": [{"key": "k", "value": "\u0000"}]}),
        ("apis", {"apis": [{"integrationName": "x", "api": "a", "description": "\u0000"}]}),
    ],
    ids=["description", "configuration", "tag", "api"],
)  # fmt: skip
async def test_bulk_save_nul_character_is_a_clear_400_on_every_database(
    client: httpx.AsyncClient, runtime: Runtime, staff: dict[str, str], field: str, fields: Any
) -> None:
    """A string PostgreSQL cannot store (U+0000) is bad input: 400 naming the item and the field
    (the item's key, or a path under it: the message is not documented), never a 500, and nothing
    written — the same on SQLite and PostgreSQL."""
    before = await snapshot(runtime)
    response = await post(client, [item("x", "openai", **fields)], staff)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == "Invalid integrations"
    assert len(body["errors"]) == 1, body
    (error,) = body["errors"]
    assert error["index"] == 0
    assert re.fullmatch(rf"{field}([.\[].*)?", error["field"]), error
    assert "\u0000" not in error["message"]
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
    """DECISIONS: `apis`, when given, replace the integration's apis — absent, they are kept."""
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
        async with runtime.db.write() as session, session.begin():
            session.add(
                Integration(
                    provider="legacy-mail",
                    name="legacy-mail",
                    category=EMAIL,
                    type="sendgrid",
                    secret_configuration={"api_key": token},
                )
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
    async with runtime.db.write() as session, session.begin():
        session.add(Integration(provider="aaa-direct", name="Direct", category="email"))
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
