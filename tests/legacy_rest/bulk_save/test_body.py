"""``POST /api/integrations``: the body itself — its shape, size and encoding
(CONTRACT.md §5.1; docs/decisions/0032)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models import Integration
from app.runtime import Runtime
from tests.legacy_rest.bulk_save.helpers import (
    INVALID_JSON,
    PLAIN_VALUE,
    REQUIRED,
    SECRET_VALUE,
    TOO_LARGE,
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


async def test_bulk_save_body_not_an_array(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    for body in ({"name": "x", "type": "sendgrid"}, {}, "x", 5, True):
        response = await post(client, body, staff)
        assert_json(
            response, 400, invalid((None, None, "Body must be a JSON array of integrations"))
        )


async def test_bulk_save_body_json_null(client: httpx.AsyncClient, staff: dict[str, str]) -> None:
    """`null` is a body that is not an array: the same whole-body problem (docs/decisions/0032:
    `index` and `field` are null for problems of the whole body)."""
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
