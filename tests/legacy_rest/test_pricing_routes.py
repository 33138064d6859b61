"""CONTRACT.md §2.6–§2.8 over HTTP: pricing. /api/pricing/models runs against a real HTTP server on
127.0.0.1 standing in for OpenRouter (good, slow, failing and garbage answers); the public rate
tables come from the demo meters. Choices of docs/decisions/0022, 0023: exact decimal margin,
numbers as JavaScript prints them, the stale copy, shared fetches, Cache-Control on 200 answers
only."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update

from app.factory import create_app
from app.models import Integration, Meter
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import needs_redis
from tests.support.catalog import integration_id
from tests.support.http import assert_json
from tests.support.sql import run_sql
from tests.support.upstreams import running_upstream
from tests.upstream import Upstream

# --------------------------------------------------------------------------------------------
# Expected bodies

SONNET = {
    "id": "anthropic/claude-3.5-sonnet",
    "name": "Claude 3.5 Sonnet",
    "context_length": 200000,
    "pricing": {"prompt": "0.000003", "completion": "0.000015", "request": "0"},
}
HAIKU = {
    "id": "anthropic/claude-3-haiku",
    "name": "Claude 3 Haiku",
    "context_length": 200000,
    "pricing": {"prompt": "0.00000025", "completion": "0.00000125"},
}
GOOD_PAYLOAD = {"data": [SONNET, HAIKU]}

# 0.000003 × 1.2 = 0.0000036 (3.6 per million); 0.000015 × 1.2 = 0.000018 (18 per million);
# 0.00000025 × 1.2 = 0.0000003 = 3e-7, which JavaScript prints as 3e-7.
GOOD_BODY = (
    b'{"models":['
    b'{"id":"anthropic/claude-3.5-sonnet","name":"Claude 3.5 Sonnet","context_length":200000,'
    b'"pricing":{"prompt_per_token":0.0000036,"completion_per_token":0.000018,'
    b'"prompt_per_million":3.6,"completion_per_million":18}},'
    b'{"id":"anthropic/claude-3-haiku","name":"Claude 3 Haiku","context_length":200000,'
    b'"pricing":{"prompt_per_token":3e-7,"completion_per_token":0.0000015,'
    b'"prompt_per_million":0.3,"completion_per_million":1.5}}'
    b'],"cached":%s}'
)
UPSTREAM_FAILED = {"message": "Failed to fetch models from OpenRouter"}
NOT_FOUND = {"message": "Not found"}
INTEGRATIONS_CACHE_CONTROL = "public, s-maxage=300, stale-while-revalidate=3600"
DETAIL_CACHE_CONTROL = "s-maxage=300"


def models_body(cached: bool) -> bytes:
    return GOOD_BODY % (b"true" if cached else b"false")


# --------------------------------------------------------------------------------------------
# A real HTTP server in place of OpenRouter


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with running_upstream(GOOD_PAYLOAD) as server:
        yield server


@pytest.fixture
def pricing_settings() -> dict[str, Any]:
    """Parametrize this to add settings."""
    return {}


@pytest.fixture
def settings_overrides(upstream: Upstream, pricing_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "openrouter_models_url": upstream.url,
        "openrouter_timeout_seconds": 0.5,
        **pricing_settings,
    }


def assert_uncached(response: httpx.Response, status: int, body: Any) -> None:
    """The exact error body, and no Cache-Control: only 200 answers may be cached."""
    assert_json(response, status, body)
    assert "cache-control" not in response.headers


async def add_meter(runtime: Runtime, provider: str, key: str, rate: int, public: bool) -> None:
    owner = await integration_id(runtime, provider)
    async with runtime.db.write() as session, session.begin():
        session.add(
            Meter(
                integration_id=owner,
                key=key,
                label=key.replace("_", " ").capitalize(),
                unit="unit",
                rate_micros=rate,
                public=public,
            )
        )


# --------------------------------------------------------------------------------------------
# GET /api/pricing/models


async def test_models_applies_the_default_margin_exactly(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    response = await client.get("/api/pricing/models")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == models_body(cached=False)
    assert b'"prompt_per_token":0.0000036' in response.content
    assert b'"prompt_per_million":3.6' in response.content
    assert b'"completion_per_token":0.000018' in response.content
    assert b'"completion_per_million":18}' in response.content


async def test_models_asks_the_configured_url(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    await client.get("/api/pricing/models")
    assert upstream.hits == 1
    assert upstream.requests[0].startswith(b"GET /api/v1/models HTTP/1.1\r\n")


@pytest.mark.parametrize("pricing_settings", [{"margin_percent": "50"}])
async def test_models_margin_override(client: httpx.AsyncClient, upstream: Upstream) -> None:
    upstream.answer({"data": [SONNET]})
    response = await client.get("/api/pricing/models")
    assert response.status_code == 200
    assert response.content == (
        b'{"models":[{"id":"anthropic/claude-3.5-sonnet","name":"Claude 3.5 Sonnet",'
        b'"context_length":200000,"pricing":{"prompt_per_token":0.0000045,'
        b'"completion_per_token":0.0000225,"prompt_per_million":4.5,'
        b'"completion_per_million":22.5}}],"cached":false}'
    )


@pytest.mark.parametrize("pricing_settings", [{"margin_percent": "0"}])
async def test_models_zero_margin_is_the_upstream_price(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.answer({"data": [SONNET]})
    pricing = (await client.get("/api/pricing/models")).json()["models"][0]["pricing"]
    assert pricing == {
        "prompt_per_token": 0.000003,
        "completion_per_token": 0.000015,
        "prompt_per_million": 3,
        "completion_per_million": 15,
    }


async def test_models_second_call_is_cached_with_one_upstream_hit(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    first = await client.get("/api/pricing/models")
    second = await client.get("/api/pricing/models")
    third = await client.get("/api/pricing/models")
    assert first.content == models_body(cached=False)
    assert second.content == models_body(cached=True)
    assert third.content == models_body(cached=True)
    assert upstream.hits == 1


async def test_models_concurrent_misses_share_one_fetch(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.answer(delay=0.2)
    responses = await asyncio.gather(*(client.get("/api/pricing/models") for _ in range(10)))
    assert upstream.hits == 1
    assert [r.status_code for r in responses] == [200] * 10
    assert {orjson.dumps(r.json()["models"]) for r in responses} == {
        orjson.dumps(orjson.loads(models_body(cached=False))["models"])
    }


async def test_models_slow_upstream_is_502_within_bounded_time(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.answer(delay=10)
    started = time.monotonic()
    response = await client.get("/api/pricing/models")
    assert time.monotonic() - started < 5
    assert_json(response, 502, UPSTREAM_FAILED)


@pytest.mark.parametrize("status", [500, 503, 404, 429, 302])
async def test_models_non_2xx_upstream_is_502(
    client: httpx.AsyncClient, upstream: Upstream, status: int
) -> None:
    upstream.answer(status=status, headers={"Location": "http://127.0.0.1:9/"})
    assert_json(await client.get("/api/pricing/models"), 502, UPSTREAM_FAILED)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        b"",
        b'{"data": [',
        b"\xff\xfe\x00garbage",
        b"[]",
        b"null",
        b'"data"',
        b'{"models": []}',
        b'{"data": {"id": "x"}}',
        b'{"data": null}',
        b'{"data": "[]"}',
    ],
    ids=[
        "html",
        "empty",
        "truncated",
        "binary",
        "list",
        "null",
        "string",
        "wrong-key",
        "data-object",
        "data-null",
        "data-string",
    ],
)
async def test_models_garbage_upstream_is_502(
    client: httpx.AsyncClient, upstream: Upstream, body: bytes
) -> None:
    upstream.answer(body)
    assert_json(await client.get("/api/pricing/models"), 502, UPSTREAM_FAILED)


async def test_models_unreachable_upstream_is_502(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    await upstream.stop()  # nothing listens on the port any more
    assert_json(await client.get("/api/pricing/models"), 502, UPSTREAM_FAILED)


async def test_models_failure_is_not_cached(client: httpx.AsyncClient, upstream: Upstream) -> None:
    upstream.answer(status=500)
    assert_json(await client.get("/api/pricing/models"), 502, UPSTREAM_FAILED)
    upstream.answer()
    response = await client.get("/api/pricing/models")
    assert response.content == models_body(cached=False)
    assert upstream.hits == 2


async def test_models_entries_without_usable_prices_are_skipped(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    def model(model_id: str, pricing: Any) -> dict[str, Any]:
        return {"id": model_id, "name": model_id.upper(), "pricing": pricing}

    upstream.answer(
        {
            "data": [
                model("no-pricing", None),
                {"id": "pricing-missing", "name": "x"},
                model("no-prompt", {"completion": "0.000001"}),
                model("no-completion", {"prompt": "0.000001"}),
                model("negative-prompt", {"prompt": "-0.000001", "completion": "0.000001"}),
                model("negative-completion", {"prompt": "0.000001", "completion": "-1"}),
                model("text-price", {"prompt": "free", "completion": "0.000001"}),
                model("empty-price", {"prompt": "", "completion": "0.000001"}),
                model("null-price", {"prompt": None, "completion": "0.000001"}),
                model("nan-price", {"prompt": "NaN", "completion": "0.000001"}),
                model("infinite-price", {"prompt": "Infinity", "completion": "0.000001"}),
                model("bool-price", {"prompt": True, "completion": "0.000001"}),
                model("list-price", {"prompt": ["1"], "completion": "0.000001"}),
                model("pricing-list", ["0.000001", "0.000001"]),
                "not-an-object",
                None,
                {"name": "no id", "pricing": {"prompt": "0.000001", "completion": "0.000001"}},
                model("kept", {"prompt": "0.000001", "completion": "0.000002"}),
                model("free", {"prompt": "0", "completion": "0"}),
                model("numbers", {"prompt": 0.000003, "completion": 0.000015}),
            ]
        }
    )
    response = await client.get("/api/pricing/models")
    assert response.status_code == 200, response.text
    assert response.content == (
        b'{"models":['
        b'{"id":"kept","name":"KEPT","context_length":null,"pricing":{"prompt_per_token":0.0000012,'
        b'"completion_per_token":0.0000024,"prompt_per_million":1.2,"completion_per_million":2.4}},'
        b'{"id":"free","name":"FREE","context_length":null,"pricing":{"prompt_per_token":0,'
        b'"completion_per_token":0,"prompt_per_million":0,"completion_per_million":0}},'
        b'{"id":"numbers","name":"NUMBERS","context_length":null,"pricing":{'
        b'"prompt_per_token":0.0000036,"completion_per_token":0.000018,"prompt_per_million":3.6,'
        b'"completion_per_million":18}}'
        b'],"cached":false}'
    )


async def test_models_empty_catalog_is_an_empty_list(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.answer({"data": []})
    first = await client.get("/api/pricing/models")
    assert first.content == b'{"models":[],"cached":false}'
    second = await client.get("/api/pricing/models")
    assert second.content == b'{"models":[],"cached":true}'
    assert upstream.hits == 1


@pytest.mark.parametrize("pricing_settings", [{"pricing_cache_seconds": 1}])
async def test_models_stale_copy_when_upstream_fails_after_expiry(
    client: httpx.AsyncClient, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await client.get("/api/pricing/models")).content == models_body(cached=False)
    upstream.answer(status=500)
    await asyncio.sleep(1.1)
    caplog.set_level(logging.WARNING)
    response = await client.get("/api/pricing/models")
    assert response.status_code == 200
    assert response.content == models_body(cached=True)
    assert upstream.hits == 2  # the expired copy was refreshed, not served blindly
    assert any(record.levelno >= logging.WARNING for record in caplog.records)


@pytest.mark.parametrize("pricing_settings", [{"pricing_cache_seconds": 1}])
async def test_models_fresh_fetch_after_expiry_replaces_the_copy(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    assert (await client.get("/api/pricing/models")).content == models_body(cached=False)
    upstream.answer({"data": [SONNET]})
    await asyncio.sleep(1.1)
    response = await client.get("/api/pricing/models")
    assert response.json()["cached"] is False
    assert [model["id"] for model in response.json()["models"]] == [SONNET["id"]]


@pytest.mark.parametrize(
    "pricing_settings", [{"pricing_cache_seconds": 1, "pricing_stale_seconds": 0}]
)
async def test_models_no_copy_left_is_502(client: httpx.AsyncClient, upstream: Upstream) -> None:
    assert (await client.get("/api/pricing/models")).status_code == 200
    upstream.answer(status=500)
    await asyncio.sleep(1.1)
    assert_json(await client.get("/api/pricing/models"), 502, UPSTREAM_FAILED)


@needs_redis
async def test_models_cache_is_shared_between_workers(
    client: httpx.AsyncClient, upstream: Upstream, settings: Settings
) -> None:
    """With Redis, another gateway instance answers from the copy the first one fetched."""
    assert (await client.get("/api/pricing/models")).content == models_body(cached=False)
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other, client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/api/pricing/models")
    assert response.content == models_body(cached=True)
    assert upstream.hits == 1


async def test_models_long_query_string_is_ignored(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    response = await client.get("/api/pricing/models", params={"q": "x" * 10_000})
    assert response.content == models_body(cached=False)


async def test_models_through_graphql_are_decimal_strings(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    query = """{ pricingModels { cached models { id contextLength pricing {
      promptPerToken completionPerToken promptPerMillion completionPerMillion } } } }"""
    response = await client.post("/graphql", json={"query": query})
    assert response.json() == {
        "data": {
            "pricingModels": {
                "cached": False,
                "models": [
                    {
                        "id": "anthropic/claude-3.5-sonnet",
                        "contextLength": 200000,
                        "pricing": {
                            "promptPerToken": "0.0000036",
                            "completionPerToken": "0.000018",
                            "promptPerMillion": "3.6",
                            "completionPerMillion": "18",
                        },
                    },
                    {
                        "id": "anthropic/claude-3-haiku",
                        "contextLength": 200000,
                        "pricing": {
                            "promptPerToken": "0.0000003",
                            "completionPerToken": "0.0000015",
                            "promptPerMillion": "0.3",
                            "completionPerMillion": "1.5",
                        },
                    },
                ],
            }
        }
    }


async def test_models_graphql_upstream_failure_is_upstream_failed(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    upstream.answer(status=500)
    response = await client.post("/graphql", json={"query": "{ pricingModels { cached } }"})
    body = response.json()
    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("Failed to fetch models from OpenRouter", "UPSTREAM_FAILED")
    ]


# --------------------------------------------------------------------------------------------
# GET /api/pricing/models: Cache-Control for the CDN (docs/decisions/0058). A fresh fetch is good
# for the server's whole hour; a copy from the server's cache has an unknown part of that hour
# left (or is a stale copy while OpenRouter fails), so a CDN keeps it 5 minutes at most; a CDN
# may serve its copy on error as long as the server itself would serve its last good copy.

FRESH_MODELS_CACHE_CONTROL = "public, s-maxage=3600, stale-if-error=86400"
CACHED_MODELS_CACHE_CONTROL = "public, s-maxage=300, stale-if-error=86400"


async def test_models_fresh_fetch_is_shared_for_the_hour(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    response = await client.get("/api/pricing/models")
    assert response.content == models_body(cached=False)
    assert response.headers["cache-control"] == FRESH_MODELS_CACHE_CONTROL


async def test_models_cached_copy_is_shared_five_minutes(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    await client.get("/api/pricing/models")
    response = await client.get("/api/pricing/models")
    assert response.content == models_body(cached=True)
    assert response.headers["cache-control"] == CACHED_MODELS_CACHE_CONTROL


@pytest.mark.parametrize(
    "pricing_settings", [{"pricing_cache_seconds": 600, "pricing_stale_seconds": 7200}]
)
async def test_models_cache_control_follows_the_settings(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    fresh = await client.get("/api/pricing/models")
    assert fresh.headers["cache-control"] == "public, s-maxage=600, stale-if-error=7200"
    cached = await client.get("/api/pricing/models")
    assert cached.headers["cache-control"] == "public, s-maxage=300, stale-if-error=7200"


@pytest.mark.parametrize(
    "pricing_settings", [{"pricing_cache_seconds": 1, "pricing_stale_seconds": 0}]
)
async def test_models_short_freshness_and_no_stale_copy(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    """Never longer than the server's own freshness; no stale-if-error when the server keeps
    no stale copy; and the 502 after it carries no Cache-Control (a CDN keeps no error)."""
    first = await client.get("/api/pricing/models")
    assert first.headers["cache-control"] == "public, s-maxage=1"
    second = await client.get("/api/pricing/models")
    assert second.content == models_body(cached=True)
    assert second.headers["cache-control"] == "public, s-maxage=1"
    upstream.answer(status=500)
    await asyncio.sleep(1.1)
    failed = await client.get("/api/pricing/models")
    assert_json(failed, 502, UPSTREAM_FAILED)
    assert "cache-control" not in failed.headers


@pytest.mark.parametrize("pricing_settings", [{"pricing_cache_seconds": 1}])
async def test_models_stale_copy_is_shared_briefly(
    client: httpx.AsyncClient, upstream: Upstream
) -> None:
    await client.get("/api/pricing/models")
    upstream.answer(status=500)
    await asyncio.sleep(1.1)
    response = await client.get("/api/pricing/models")
    assert response.content == models_body(cached=True)  # the last good copy
    assert response.headers["cache-control"] == "public, s-maxage=1, stale-if-error=86400"


# --------------------------------------------------------------------------------------------
# GET /api/pricing/integrations


async def test_pricing_integrations_lists_enabled_integrations_with_public_meters(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/pricing/integrations")
    assert_json(
        response,
        200,
        {
            "integrations": [
                {"slug": "assemblyai", "name": "AssemblyAI", "category": "speech"},
                {"slug": "elevenlabs", "name": "ElevenLabs", "category": "voice"},
                {"slug": "openrouter", "name": "OpenRouter", "category": "llm"},
                {"slug": "sendgrid", "name": "SendGrid", "category": "email"},
            ]
        },
    )
    assert response.headers["cache-control"] == INTEGRATIONS_CACHE_CONTROL


async def test_pricing_integrations_follow_meters_and_enabled_flag(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await add_meter(runtime, "replicate", "predictions", 1_000, public=True)  # disabled
    await add_meter(runtime, "slack", "messages", 10, public=True)
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == "sendgrid").values(enabled=False)
        )
    body = (await client.get("/api/pricing/integrations")).json()
    assert [row["slug"] for row in body["integrations"]] == [
        "assemblyai",
        "elevenlabs",
        "openrouter",
        "slack",
    ]


async def test_pricing_integrations_empty_catalog(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/pricing/integrations")
    assert_json(response, 200, {"integrations": []})
    assert response.headers["cache-control"] == INTEGRATIONS_CACHE_CONTROL


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/pricing/integrations", "Failed to load pricing integrations"),
        ("/api/pricing/public/openrouter", "Failed to load pricing detail"),
    ],
    ids=["integrations", "public-detail"],
)
async def test_pricing_failure_is_500_without_cache_control(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, path: str, message: str
) -> None:
    await run_sql(runtime, "ALTER TABLE meters RENAME COLUMN public TO public_gone")
    try:
        response = await client.get(path)
    finally:
        await run_sql(runtime, "ALTER TABLE meters RENAME COLUMN public_gone TO public")
    assert_uncached(response, 500, {"message": message})


# --------------------------------------------------------------------------------------------
# GET /api/pricing/public/{slug}


async def test_public_pricing_openrouter_exact_body(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.get("/api/pricing/public/openrouter")
    assert_json(
        response,
        200,
        {
            "slug": "openrouter",
            "name": "OpenRouter",
            "category": "llm",
            "description": "Unified gateway for LLM providers.",
            "rates": [
                {
                    "key": "input_tokens",
                    "label": "Input tokens",
                    "unit": "1M tokens",
                    "price_micros": 3600000,
                    "price_usd": 3.6,
                },
                {
                    "key": "output_tokens",
                    "label": "Output tokens",
                    "unit": "1M tokens",
                    "price_micros": 18000000,
                    "price_usd": 18,
                },
            ],
        },
    )
    assert b'"price_usd":3.6}' in response.content
    assert b'"price_usd":18}' in response.content
    assert response.headers["cache-control"] == DETAIL_CACHE_CONTROL


async def test_public_pricing_small_prices_are_js_numbers(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/pricing/public/assemblyai")
    assert response.content == (
        b'{"slug":"assemblyai","name":"AssemblyAI","category":"speech",'
        b'"description":"Speech to text and audio intelligence.","rates":[{"key":"audio_minutes",'
        b'"label":"Audio transcribed","unit":"minute","price_micros":4500,"price_usd":0.0045}]}'
    )
    assert response.headers["cache-control"] == DETAIL_CACHE_CONTROL


async def test_public_pricing_lists_public_meters_only_by_key(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    await add_meter(runtime, "openrouter", "cached_tokens", 900_000, public=False)
    await add_meter(runtime, "openrouter", "a_request", 1, public=True)
    await add_meter(runtime, "openrouter", "z_free", 0, public=True)
    response = await client.get("/api/pricing/public/openrouter")
    rates = response.json()["rates"]
    assert [rate["key"] for rate in rates] == [
        "a_request",
        "input_tokens",
        "output_tokens",
        "z_free",
    ]
    assert b'"price_micros":1,"price_usd":0.000001}' in response.content
    assert b'"price_micros":0,"price_usd":0}' in response.content


@pytest.mark.parametrize(
    "slug",
    ["nope", "telegram", "deepgram", "anthropic", "replicate"],
    ids=["unknown", "private-meter-only", "private-meter-only-2", "no-meters", "disabled"],
)
async def test_public_pricing_not_in_allowlist_is_404(
    client: httpx.AsyncClient, runtime: Runtime, demo: None, slug: str
) -> None:
    await add_meter(runtime, "replicate", "predictions", 1_000, public=True)
    response = await client.get(f"/api/pricing/public/{slug}")
    assert_uncached(response, 404, NOT_FOUND)


async def test_public_pricing_disabling_an_integration_hides_its_table(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    assert (await client.get("/api/pricing/public/sendgrid")).status_code == 200
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == "sendgrid").values(enabled=False)
        )
    response = await client.get("/api/pricing/public/sendgrid")
    assert_uncached(response, 404, NOT_FOUND)


BAD_SLUGS = {
    "long": "x" * 10_000,
    "unicode": "op%C3%A9nrouter",
    "emoji": "%F0%9F%A6%8A",
    "invalid-utf8": "%FF%FE",
    "nul": "openrouter%00",
    "quote": "openrouter%27--",
}


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
async def test_public_pricing_bad_slug_is_404(
    client: httpx.AsyncClient, demo: None, slug: str
) -> None:
    response = await client.get(f"/api/pricing/public/{slug}")
    assert_uncached(response, 404, NOT_FOUND)


async def test_public_pricing_ignores_credentials_and_query(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    """Public, never tenant-specific: a session changes nothing."""
    anonymous = await client.get("/api/pricing/public/elevenlabs")
    signed_in = await client.get(
        "/api/pricing/public/elevenlabs", params={"q": "x" * 10_000}, headers=demo_headers
    )
    assert signed_in.status_code == 200
    assert signed_in.content == anonymous.content
    assert b'"price_micros":360000,"price_usd":0.36}' in signed_in.content
