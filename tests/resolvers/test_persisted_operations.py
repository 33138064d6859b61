"""Persisted operations (docs/decisions/0036-persisted-operations.md): Apollo's automatic persisted
queries exactly as Apollo clients send them, over POST and GET, shared between instances through
Redis; and the allowlist mode with a manifest in both formats."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.factory import create_app
from app.runtime import Runtime
from app.settings import Settings
from legacy_rest.documents import load_operation
from tests.conftest import needs_redis
from tests.resolvers.protections.helpers import COST_LITERAL
from tests.support.documents import CSRF_BODY, ENABLE_SLACK, gql_error
from tests.support.http import assert_json, assert_text

# --------------------------------------------------------------------------------------------
# Documents and expected answers

QUERY = "query PricingSidebar { pricingIntegrations { slug } }"
OTHER_QUERY = "query Categories { pricingIntegrations { category } }"
VARIABLES_QUERY = "query Public($slug: String!) { publicPricing(slug: $slug) { slug name } }"
PRICING_DATA = {
    "data": {
        "pricingIntegrations": [
            {"slug": "assemblyai"},
            {"slug": "elevenlabs"},
            {"slug": "openrouter"},
            {"slug": "sendgrid"},
        ]
    }
}
PUBLIC_DATA = {"data": {"publicPricing": {"slug": "openrouter", "name": "OpenRouter"}}}
NOT_FOUND = gql_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
MISMATCH = gql_error("provided sha does not match query")
BAD_VERSION = gql_error("Unsupported persisted query version")
BAD_HASH = gql_error("persistedQuery.sha256Hash must be 64 lowercase hex digits")
NOT_ALLOWED = gql_error("Operation is not in the allowlist", "FORBIDDEN")

# Apollo Client 4's default Accept header, and the CSRF header its GET requests need here.
APOLLO_GET_HEADERS = {
    "accept": "application/graphql-response+json,application/json;q=0.9",
    "apollo-require-preflight": "true",
}
# Apollo Client 3's HttpLink defaults, which it keeps on GET requests (useGETForHashedQueries).
APOLLO_3_GET_HEADERS = {"accept": "*/*", "content-type": "application/json"}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str, *, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(text)}}


async def apq_post(
    client: httpx.AsyncClient,
    extensions: dict[str, Any],
    query: str | None = None,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    """The body Apollo's persisted-queries link posts: no ``query`` key on the first try."""
    body: dict[str, Any] = {"extensions": extensions}
    if variables is not None:
        body["variables"] = variables
    if query is not None:
        body["query"] = query
    return await client.post("/graphql", json=body)


async def assert_stored(client: httpx.AsyncClient, document: str, data: Any) -> None:
    """Sent with its text, ``document`` answers ``data``, and is then known by its hash alone."""
    assert_json(await apq_post(client, persisted(document), document), 200, data)
    assert_json(await apq_post(client, persisted(document)), 200, data)


async def assert_not_stored(client: httpx.AsyncClient, document: str, data: Any) -> None:
    """Sent with its text, ``document`` answers ``data``, but its hash alone stays unknown."""
    assert_json(await apq_post(client, persisted(document), document), 200, data)
    assert_json(await apq_post(client, persisted(document)), 200, NOT_FOUND)


async def apq_get(
    client: httpx.AsyncClient,
    extensions: dict[str, Any],
    query: str | None = None,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """``GET /graphql?extensions=…`` (and ``query``/``variables`` when given), as Apollo sends
    hashed queries with ``useGETForHashedQueries``."""
    params = {"extensions": json.dumps(extensions, separators=(",", ":"))}
    if variables is not None:
        params["variables"] = json.dumps(variables, separators=(",", ":"))
    if query is not None:
        params["query"] = query
    return await client.get("/graphql", params=params, headers=headers or APOLLO_GET_HEADERS)


@pytest.fixture
async def second_app(settings: Settings) -> AsyncIterator[Starlette]:
    """Another gateway instance (another worker or host) built from the same settings."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def second_client(second_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=second_app, client=("203.0.113.8", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# --------------------------------------------------------------------------------------------
# APQ over POST


async def test_apq_unknown_hash_answers_persisted_query_not_found(
    client: httpx.AsyncClient,
) -> None:
    assert_json(await apq_post(client, persisted(QUERY)), 200, NOT_FOUND)


async def test_apq_hash_and_text_run_and_register(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await apq_post(client, persisted(QUERY)), 200, NOT_FOUND)
    await assert_stored(client, QUERY, PRICING_DATA)


async def test_apq_registered_hash_runs_with_new_variables(
    client: httpx.AsyncClient, demo: None
) -> None:
    extensions = persisted(VARIABLES_QUERY)
    first = await apq_post(client, extensions, VARIABLES_QUERY, {"slug": "openrouter"})
    assert_json(first, 200, PUBLIC_DATA)
    again = await apq_post(client, extensions, variables={"slug": "sendgrid"})
    assert_json(again, 200, {"data": {"publicPricing": {"slug": "sendgrid", "name": "SendGrid"}}})


async def test_apq_wrong_hash_is_refused_and_not_registered(
    client: httpx.AsyncClient, demo: None
) -> None:
    lying = persisted(QUERY)  # the hash of QUERY, sent with another text
    assert_json(await apq_post(client, lying, OTHER_QUERY), 200, MISMATCH)
    assert_json(await apq_post(client, lying), 200, NOT_FOUND)
    assert_json(await apq_post(client, persisted(OTHER_QUERY)), 200, NOT_FOUND)


async def test_apq_unsupported_version_is_bad_user_input(client: httpx.AsyncClient) -> None:
    for version in (2, 0, "1", None):
        extensions = persisted(QUERY, version=version)
        assert_json(await apq_post(client, extensions), 200, BAD_VERSION)
        assert_json(await apq_post(client, extensions, QUERY), 200, BAD_VERSION)


async def test_apq_malformed_hash_is_bad_user_input(client: httpx.AsyncClient) -> None:
    digest = sha256(QUERY)
    for bad in ("abc", "", "x" * 64, digest.upper(), digest[:63], digest + "0", digest + "\n"):
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": bad}}
        assert_json(await apq_post(client, extensions), 200, BAD_HASH)
        assert_json(await apq_post(client, extensions, QUERY), 200, BAD_HASH)
    for bad_type in (None, 12345, ["x"]):
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": bad_type}}
        assert_json(await apq_post(client, extensions), 200, BAD_HASH)


async def test_apq_malformed_persisted_query_is_bad_user_input(client: httpx.AsyncClient) -> None:
    for value in ("x", 1, [], True):
        assert_json(await apq_post(client, {"persistedQuery": value}), 200, BAD_VERSION)


# Texts the gateway refuses, each with its first error: none of them may be stored.
REFUSED = {
    "junk": ("12 junk " + "x" * 1000, "Syntax Error: Unexpected Int '12'."),
    "tokens": (
        "{ " + "__typename " * 1000 + "}",
        "Syntax Error: Document contains more than 1000 tokens. Parsing aborted.",
    ),
    "unknown field": ("{ zzz }", "Cannot query field 'zzz' on type 'Query'."),
    "aliases": (
        "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }",
        "16 aliases found. Allowed: 15",
    ),
    "depth": (
        "{ deployableTools(first: 1) { edges { node { tool { integrations { required { integration"
        " { usageTrend { dailyTrend { date { a { b } } } } } } } } } } } }",
        "'anonymous' exceeds maximum operation depth of 10",
    ),
    "directives": (
        "{ " + "__typename @include(if: true) " * 51 + "}",
        "More than 50 directives. Allowed: 50",
    ),
    "cost": (COST_LITERAL % 99, "Query cost 5001 exceeds the maximum of 5000"),
}


@pytest.mark.parametrize("refused", list(REFUSED), ids=list(REFUSED))
async def test_apq_refused_text_is_not_stored(client: httpx.AsyncClient, refused: str) -> None:
    """Apollo Server's order: a text is stored only once it parsed and passed validation and the
    limits; a refused one is answered, and its hash stays unknown."""
    text, message = REFUSED[refused]
    first = await apq_post(client, persisted(text), text)
    assert first.status_code == 200
    assert first.json()["data"] is None
    assert first.json()["errors"][0]["message"] == message
    assert_json(await apq_post(client, persisted(text)), 200, NOT_FOUND)


async def assert_get_mutation_refused(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    """A mutation sent by GET with its hash and text, signed in: refused as a GET mutation."""
    response = await apq_get(
        client,
        persisted(ENABLE_SLACK),
        ENABLE_SLACK,
        headers={**APOLLO_GET_HEADERS, **demo_headers},
    )
    assert_text(response, 400, "mutations are not allowed when using GET")


async def test_apq_get_mutation_refused_is_not_stored(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    await assert_get_mutation_refused(client, demo_headers)
    assert_json(await apq_post(client, persisted(ENABLE_SLACK)), 200, NOT_FOUND)


def padded(text: str, size: int) -> str:
    """``text`` followed by a comment, ``size`` bytes in all: one more token, whatever its size."""
    return (text + " #" + "x" * size)[:size]


async def test_apq_text_over_the_size_cap_runs_but_is_not_stored(
    client: httpx.AsyncClient, demo: None
) -> None:
    """VENDO_PERSISTED_QUERY_MAX_BYTES (32 KiB): a larger text is answered, not kept; its client
    keeps sending the text."""
    large = padded(QUERY, 32 * 1024 + 1)
    await assert_not_stored(client, large, PRICING_DATA)
    at_cap = padded(QUERY, 32 * 1024)
    await assert_stored(client, at_cap, PRICING_DATA)


class TestSizeCapConfigured:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"persisted_query_max_bytes": 1024}

    async def test_apq_text_over_the_configured_cap_is_not_stored(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        large = padded(QUERY, 1025)
        await assert_not_stored(client, large, PRICING_DATA)
        await assert_stored(client, QUERY, PRICING_DATA)


async def test_apq_legacy_operation_is_known_without_registration(
    client: httpx.AsyncClient, demo: None
) -> None:
    text = load_operation("pricing_integrations")
    response = await apq_post(client, persisted(text))
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert [row["slug"] for row in response.json()["data"]["integrations"]] == [
        "assemblyai",
        "elevenlabs",
        "openrouter",
        "sendgrid",
    ]


# --------------------------------------------------------------------------------------------
# APQ over GET


async def test_apq_get_runs_the_apollo_sequence(client: httpx.AsyncClient, demo: None) -> None:
    extensions = persisted(QUERY)
    assert_json(await apq_get(client, extensions), 200, NOT_FOUND)
    assert_json(await apq_get(client, extensions, QUERY), 200, PRICING_DATA)
    assert_json(await apq_get(client, extensions), 200, PRICING_DATA)


async def test_apq_get_with_variables(client: httpx.AsyncClient, demo: None) -> None:
    extensions = persisted(VARIABLES_QUERY)
    variables = {"slug": "openrouter"}
    assert_json(await apq_get(client, extensions, variables=variables), 200, NOT_FOUND)
    assert_json(await apq_get(client, extensions, VARIABLES_QUERY, variables), 200, PUBLIC_DATA)
    assert_json(await apq_get(client, extensions, variables=variables), 200, PUBLIC_DATA)


async def test_apq_get_wrong_hash_is_refused(client: httpx.AsyncClient) -> None:
    assert_json(await apq_get(client, persisted(QUERY), OTHER_QUERY), 200, MISMATCH)


async def test_apq_get_with_apollo_client_3_headers_runs(
    client: httpx.AsyncClient, demo: None
) -> None:
    """Apollo Client 3 keeps ``accept: */*`` and ``content-type: application/json`` on its GETs:
    a hash-only GET is an operation, not a request for the GraphiQL page."""
    extensions = persisted(QUERY)
    assert_json(
        await apq_get(client, extensions, QUERY, headers=APOLLO_3_GET_HEADERS), 200, PRICING_DATA
    )
    assert_json(await apq_get(client, extensions, headers=APOLLO_3_GET_HEADERS), 200, PRICING_DATA)


async def test_apq_get_without_preflight_header_is_refused(client: httpx.AsyncClient) -> None:
    response = await apq_get(
        client, persisted(QUERY), QUERY, headers={"accept": "application/json"}
    )
    assert_json(response, 400, CSRF_BODY)


async def test_apq_get_hashed_mutation_is_refused(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    await assert_get_mutation_refused(client, demo_headers)


# --------------------------------------------------------------------------------------------
# APQ across instances


@needs_redis
async def test_apq_registration_is_seen_by_another_instance_through_redis(
    client: httpx.AsyncClient, second_client: httpx.AsyncClient, demo: None
) -> None:
    assert_json(await apq_post(second_client, persisted(QUERY)), 200, NOT_FOUND)
    assert_json(await apq_post(client, persisted(QUERY), QUERY), 200, PRICING_DATA)
    assert_json(await apq_post(second_client, persisted(QUERY)), 200, PRICING_DATA)
    assert_json(await apq_get(second_client, persisted(QUERY)), 200, PRICING_DATA)


class TestMemoryCache:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"cache_url": "memory://"}

    async def test_apq_registration_stays_in_its_worker_with_the_memory_cache(
        self, client: httpx.AsyncClient, second_client: httpx.AsyncClient, demo: None
    ) -> None:
        await assert_stored(client, QUERY, PRICING_DATA)
        assert_json(await apq_post(second_client, persisted(QUERY)), 200, NOT_FOUND)


# --------------------------------------------------------------------------------------------
# APQ memory: the memory backend and the local copies are bounded

KIB = 1024


def distinct(index: int, size: int) -> str:
    """A valid document of ``size`` bytes, its own for each index."""
    return padded(f"query Q{index} {{ pricingIntegrations {{ slug }} }}", size)


def apq_keys(runtime: Runtime) -> list[str]:
    return [key for key in runtime.cache.backend.store if ":apq:" in key]


class TestMemoryBound:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"cache_url": "memory://", "cache_max_bytes": 256 * KIB}

    async def test_apq_many_large_documents_stay_under_the_byte_cap(
        self, client: httpx.AsyncClient, runtime: Runtime, demo: None
    ) -> None:
        """40 distinct valid documents of 30 KiB (1.2 MiB in all): the store keeps the most
        recently used that fit in 256 KiB, in the backend and in the local copies alike."""
        texts = [distinct(i, 30 * KIB) for i in range(40)]
        for text in texts:
            response = await apq_post(client, persisted(text), text)
            assert response.json() == PRICING_DATA
        assert runtime.cache.backend.store.size <= 256 * KIB
        assert runtime.cache.local.entries.size <= 256 * KIB
        assert 6 <= len(apq_keys(runtime)) <= 8  # 256 KiB holds eight 30 KiB texts at most
        assert_json(await apq_post(client, persisted(texts[-1])), 200, PRICING_DATA)
        assert_json(await apq_post(client, persisted(texts[0])), 200, NOT_FOUND)

    async def test_apq_junk_and_oversized_documents_store_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        """The measured attack: ~1 MiB bodies whose hash matches — junk that does not parse, and
        valid documents past the 32 KiB cap. Nothing of them is kept."""
        for i in range(10):
            junk = f"{i} " + "x" * 1_000_000
            oversized = padded("{ __typename }", 1_000_000 + i)
            await apq_post(client, persisted(junk), junk)
            response = await apq_post(client, persisted(oversized), oversized)
            assert response.json() == {"data": {"__typename": "Query"}}
        assert apq_keys(runtime) == []
        assert runtime.cache.backend.store.size < 4 * KIB
        assert runtime.cache.local.entries.size < 4 * KIB


class TestMemoryBoundEntries:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"cache_url": "memory://", "cache_max_entries": 16}

    async def test_apq_many_small_documents_stay_under_the_entry_cap(
        self, client: httpx.AsyncClient, runtime: Runtime, demo: None
    ) -> None:
        texts = [distinct(i, 100) for i in range(40)]
        for text in texts:
            assert (await apq_post(client, persisted(text), text)).json() == PRICING_DATA
        assert len(runtime.cache.backend.store) == 16
        assert len(runtime.cache.local.entries) == 16
        assert_json(await apq_post(client, persisted(texts[-1])), 200, PRICING_DATA)
        assert_json(await apq_post(client, persisted(texts[0])), 200, NOT_FOUND)


# --------------------------------------------------------------------------------------------
# Allowlist mode


def write_manifest(path: Path, manifest_format: str, *texts: str) -> str:
    if manifest_format == "map":
        data: Any = {sha256(text): text for text in texts}
    else:
        data = {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                {"id": sha256(text), "name": text.split()[1], "type": "query", "body": text}
                for text in texts
            ],
        }
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def manifest(tmp_path: Path) -> str:
    return write_manifest(tmp_path / "operations.json", "apollo", QUERY, VARIABLES_QUERY)


@pytest.mark.parametrize("manifest_format", ["map", "apollo"])
async def test_allowlist_reads_both_manifest_formats(
    tmp_path: Path, database_url: str, redis_prefix: str, demo: None, manifest_format: str
) -> None:
    path = write_manifest(tmp_path / "ops.json", manifest_format, QUERY, VARIABLES_QUERY)
    settings = Settings(
        database_url=database_url,
        redis_prefix=redis_prefix,
        graphql_allowlist=True,
        persisted_operations_file=path,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert_json(await http.post("/graphql", json={"query": QUERY}), 200, PRICING_DATA)
            assert_json(await apq_post(http, persisted(QUERY)), 200, PRICING_DATA)
            variables = {"slug": "openrouter"}
            response = await apq_post(http, persisted(VARIABLES_QUERY), variables=variables)
            assert_json(response, 200, PUBLIC_DATA)
            refused = await http.post("/graphql", json={"query": OTHER_QUERY})
            assert_json(refused, 200, NOT_ALLOWED)
            assert (await http.get("/api/pricing/integrations")).status_code == 200


class TestAllowlist:
    @pytest.fixture
    def settings_overrides(self, manifest: str) -> dict[str, Any]:
        return {
            "graphql_allowlist": True,
            "persisted_operations_file": manifest,
            "graphql_max_batch": 2,
        }

    async def test_allowlist_registered_text_runs(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await client.post("/graphql", json={"query": QUERY})
        assert_json(response, 200, PRICING_DATA)

    async def test_allowlist_registered_hash_runs(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        assert_json(await apq_post(client, persisted(QUERY)), 200, PRICING_DATA)
        variables = {"slug": "openrouter"}
        response = await apq_post(client, persisted(VARIABLES_QUERY), variables=variables)
        assert_json(response, 200, PUBLIC_DATA)
        assert_json(await apq_get(client, persisted(QUERY)), 200, PRICING_DATA)

    async def test_allowlist_unregistered_text_is_forbidden(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/graphql", json={"query": OTHER_QUERY})
        assert_json(response, 200, NOT_ALLOWED)
        response = await client.post("/graphql", json={"query": QUERY + " "})  # not the same text
        assert_json(response, 200, NOT_ALLOWED)
        introspection = {"query": "{ __schema { types { name } } }"}
        assert_json(await client.post("/graphql", json=introspection), 200, NOT_ALLOWED)

    async def test_allowlist_unregistered_hash_is_not_found(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_json(await apq_post(client, persisted(OTHER_QUERY)), 200, NOT_FOUND)

    async def test_allowlist_refuses_registration(self, client: httpx.AsyncClient) -> None:
        extensions = persisted(OTHER_QUERY)
        assert_json(await apq_post(client, extensions, OTHER_QUERY), 200, NOT_ALLOWED)
        assert_json(await apq_post(client, extensions), 200, NOT_FOUND)
        assert_json(await client.post("/graphql", json={"query": OTHER_QUERY}), 200, NOT_ALLOWED)

    async def test_allowlist_applies_to_each_operation_of_a_batch(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await client.post("/graphql", json=[{"query": QUERY}, {"query": OTHER_QUERY}])
        assert_json(response, 200, [PRICING_DATA, NOT_ALLOWED])

    async def test_allowlist_legacy_operation_runs_by_hash(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await apq_post(client, persisted(load_operation("pricing_integrations")))
        assert response.status_code == 200
        assert "errors" not in response.json()

    async def test_allowlist_keeps_legacy_routes_working(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for path in (
            "/api/integrations",
            "/api/integrations/openrouter",
            "/api/tools/catalog",
            "/api/tools/hermes",
            "/api/tools/hermes/integrations",
            "/api/tools/hermes/usage-framing",
            "/api/pricing/integrations",
            "/api/pricing/public/openrouter",
        ):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.content != b'{"tools":[]}', path
        toggle = await client.post(
            "/api/integrations/slack", json={"enabled": True}, headers=demo_headers
        )
        assert_json(toggle, 200, {"enabled": True})
        usage = await client.get("/api/integrations/openrouter/usage", headers=demo_headers)
        assert usage.status_code == 200


async def test_allowlist_manifest_with_a_wrong_hash_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "operations.json"
    path.write_text(json.dumps({sha256(QUERY): OTHER_QUERY}), encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        graphql_allowlist=True,
        persisted_operations_file=str(path),
    )
    with pytest.raises(ValueError, match="does not match the sha256 of its text"):
        create_app(settings)
