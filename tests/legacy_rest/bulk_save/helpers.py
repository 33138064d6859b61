"""What the bulk save tests share: the contract's item shapes, expected answers, and helpers
that post a batch and read back what was stored."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.models import Integration, IntegrationApi
from app.runtime import Runtime
from app.services.secrets import SecretBox
from tests.support.http import assert_json

SECRET_KEY = Fernet.generate_key().decode()


UNAUTHORIZED = {"message": "Unauthorized"}


FORBIDDEN = {"message": "Forbidden"}


TOO_LARGE = {"message": "Request body too large"}


INVALID_JSON = {"message": "Invalid JSON body"}


UNAVAILABLE = {"message": "Secret encryption service unavailable"}


# The "Save all integrations" example of CONTRACT.md §5, verbatim.
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


# The Anthropic example of CONTRACT.md §5, its placeholders filled and its comments dropped.
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


# The OpenAI "Integration model object" example of CONTRACT.md §5, placeholders filled.
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


# CONTRACT.md §5.3's table: type → (category, required keys, optional keys). The AWS types' keys
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


def box() -> SecretBox:
    return SecretBox([Fernet(SECRET_KEY)])


def invalid(*problems: tuple[int | None, str | None, str]) -> dict[str, Any]:
    return {
        "message": "Invalid integrations",
        "errors": [{"index": i, "field": f, "message": m} for i, f, m in problems],
    }


def assert_invalid(response: httpx.Response, *problems: tuple[int | None, str | None, str]) -> None:
    """400 with the bulk save's error envelope listing exactly these problems, in order."""
    assert_json(response, 400, invalid(*problems))


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
