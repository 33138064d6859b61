"""``POST /api/integrations``: who may send a batch and from which headers, the contract's own
examples, and the body itself — shape, size, encoding (CONTRACT.md §5, §5.1;
docs/decisions/0031, 0032)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from app.models import Integration
from app.runtime import Runtime
from tests.conftest import JWT_SECRET, session_headers
from tests.legacy_rest.bulk_save.helpers import (
    AI_MODEL,
    AWS_TYPES,
    EMAIL,
    FORBIDDEN,
    INVALID_JSON,
    NEEDS_APIS,
    PLAIN_VALUE,
    REFERENCE_ANTHROPIC,
    REFERENCE_OPENAI,
    REFERENCE_SAVE_ALL,
    REFERENCE_TYPES,
    REQUIRED,
    SECRET_KEYS,
    SECRET_VALUE,
    TOO_LARGE,
    UNAUTHORIZED,
    apis_of,
    assert_invalid,
    count_named,
    decrypted,
    integration,
    item,
    post,
)
from tests.support.credentials import demo_key, identity_jwt, user_id_of
from tests.support.http import assert_json
from tests.support.sql import snapshot

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
    key = await demo_key(runtime)
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
# The contract's examples


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
    assert_invalid(response, *[(0, f"configuration.{key}", REQUIRED) for key in sorted(required)])


# --------------------------------------------------------------------------------------------
# The body: shape, size, encoding


async def test_bulk_save_body_not_an_array(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    for body in ({"name": "x", "type": "sendgrid"}, {}, "x", 5, True):
        response = await post(client, body, staff)
        assert_invalid(response, (None, None, "Body must be a JSON array of integrations"))


async def test_bulk_save_body_json_null(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    """`null` is a body that is not an array: the same whole-body problem (docs/decisions/0032:
    `index` and `field` are null for problems of the whole body)."""
    response = await client.post(
        "/api/integrations", content=b"null", headers={**staff, "Content-Type": "application/json"}
    )
    assert_invalid(response, (None, None, "Body must be a JSON array of integrations"))


async def test_bulk_save_empty_body(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await client.post(
        "/api/integrations", content=b"", headers={**staff, "Content-Type": "application/json"}
    )
    assert_invalid(response, (None, None, "Body must be a JSON array of integrations"))


async def test_bulk_save_empty_array(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    response = await post(client, [], staff)
    assert_invalid(response, (None, None, "Body must contain at least one integration"))


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
    assert_invalid(
        response,
        (0, "configuration.api_key", SECRET_VALUE),
        (0, "configuration.endpoint", PLAIN_VALUE),
        (0, "configuration.api_key", REQUIRED),
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
    assert_invalid(response, (None, None, "At most 500 integrations per request"))
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
    assert_invalid(response, (None, None, "At most 500 integrations per request"))
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
