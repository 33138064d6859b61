"""An attack suite in the spirit of graphql-cop: each attack with the exact safe
answer the gateway documents — alias overloading, deep nesting, circular fragments, batch floods,
directive overloading, field duplication, GET-based mutations, introspection and suggestions in
production, huge variables and strings, malformed requests, and unicode and NUL bytes in every
path, query and body parameter of every legacy route."""

from __future__ import annotations

import itertools
import json
import re
import string
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.fernet import Fernet
from graphql import get_introspection_query
from sqlalchemy import select
from starlette.applications import Starlette

from app.models import App
from app.runtime import Runtime
from app.services.auth import Credential
from legacy_rest.legacy_route import SAFE_METHODS, LegacyRoute
from legacy_rest.routes import ROUTES
from resolvers.engine.document_caches import SafeParserCache, SizedValidationCache
from tests.conftest import Sessions, session_headers
from tests.support.credentials import mint_key
from tests.support.documents import CSRF_BODY, ENABLE_SLACK, gql_error
from tests.support.http import assert_json, assert_text
from tests.support.upstreams import running_upstream
from tests.upstream import Upstream

# --------------------------------------------------------------------------------------------
# Documents

SECRET_KEY = Fernet.generate_key().decode()
TYPENAME_DATA = {"data": {"__typename": "Query"}}
EXPENSIVE = "integrations(first: 100) { nodes { provider usageTrend { dailyTrend { cost } } } }"
CIRCULAR_PAIR = "query Loop { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
CIRCULAR_SELF = "query Loop { ...A } fragment A on Query { __typename ...A }"
CIRCULAR_NESTED = (
    "query Loop { integrations { nodes { ...I } } } "
    "fragment I on Integration { provider usageTrend { provider } ...J } "
    "fragment J on Integration { name ...I }"
)
TOKEN_LIMIT = "Syntax Error: Document contains more than 1000 tokens. Parsing aborted."
DOCUMENTED_STATUSES = {200, 400, 401, 403, 404, 413, 429}


def error(message: str, line: int = 1, *columns: int) -> dict[str, Any]:
    return {
        "message": message,
        "locations": [{"line": line, "column": c} for c in columns],
        "extensions": {"code": "BAD_USER_INPUT"},
    }


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables})


def short_names() -> list[str]:
    """Distinct one-to-three-letter names: the smallest keys a huge variables object can have."""
    letters = string.ascii_letters
    names = [a + b + c for a in letters for b in letters for c in letters]
    return [*letters, *(a + b for a in letters for b in letters), *names]


@pytest.fixture
async def fast_upstream() -> AsyncIterator[Upstream]:
    """A local stand-in for OpenRouter, so that no test reaches the network."""
    async with running_upstream({"data": []}) as server:
        yield server


@pytest.fixture
def settings_overrides(fast_upstream: Upstream) -> dict[str, Any]:
    return {
        "openrouter_models_url": fast_upstream.url,
        "integration_rate_limit": "10000/minute",
        "secret_keys": SECRET_KEY,
    }


@pytest.fixture
async def raw_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees what a real server would send when the app raises: a 500."""
    transport = httpx.ASGITransport(
        app=app, client=("203.0.113.9", 50000), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# --------------------------------------------------------------------------------------------
# Alias overloading


async def test_alias_overloading_of_typename_is_refused(client: httpx.AsyncClient) -> None:
    document = "query cop { " + " ".join(f"alias{i}: __typename" for i in range(100)) + " }"
    assert_json(await post(client, document), 200, gql_error("100 aliases found. Allowed: 15"))


async def test_alias_overloading_of_an_expensive_field_is_refused_before_running(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    document = "{ " + " ".join(f"a{i}: {EXPENSIVE}" for i in range(16)) + " }"
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": document}, headers=demo_headers)
    assert time.perf_counter() - started < 1.0
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["message"] == "16 aliases found. Allowed: 15"


async def test_alias_overloading_past_the_token_limit_is_refused(client: httpx.AsyncClient) -> None:
    document = "{ " + " ".join(f"a{i}: __typename" for i in range(400)) + " }"
    response = await post(client, document)
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["message"] == TOKEN_LIMIT


# --------------------------------------------------------------------------------------------
# Deep nesting


async def test_deep_nesting_past_the_parser_is_refused(client: httpx.AsyncClient) -> None:
    document = "{ " + "a { " * 400 + "b" + " }" * 400 + " }"
    started = time.perf_counter()
    response = await post(client, document)
    assert time.perf_counter() - started < 2.0
    body = {
        "data": None,
        "errors": [error("Syntax Error: Document is nested too deeply. Parsing aborted.", 1, 801)],
    }
    assert_json(response, 200, body)


async def test_deep_nesting_of_real_fields_is_refused_by_depth(client: httpx.AsyncClient) -> None:
    deep = "deployableTools { edges { node { tool { integrations { required { integration "
    deep += "{ usageTrend { dailyTrend { date { x { y { z } } } } } } } } } } } }"
    response = await post(client, "{ " + deep + " }")
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["message"] == (
        "'anonymous' exceeds maximum operation depth of 10"
    )


# --------------------------------------------------------------------------------------------
# Circular fragments


async def test_circular_fragment_pair_is_refused(client: httpx.AsyncClient) -> None:
    columns = (CIRCULAR_PAIR.index("...B") + 1, CIRCULAR_PAIR.rindex("...A") + 1)
    message = "Cannot spread fragment 'A' within itself via 'B'."
    body = {"data": None, "errors": [error(message, 1, *columns)]}
    assert_json(await post(client, CIRCULAR_PAIR), 200, body)


async def test_circular_fragment_self_is_refused(client: httpx.AsyncClient) -> None:
    column = CIRCULAR_SELF.rindex("...A") + 1
    body = {"data": None, "errors": [error("Cannot spread fragment 'A' within itself.", 1, column)]}
    assert_json(await post(client, CIRCULAR_SELF), 200, body)


async def test_circular_fragment_through_fields_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, CIRCULAR_NESTED)
    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "Cannot spread fragment 'I' within itself via 'J'."
    ]


async def test_unknown_fragment_spread_is_bad_user_input(client: httpx.AsyncClient) -> None:
    body = {"data": None, "errors": [error("Unknown fragment 'Nope'.", 1, 6)]}
    assert_json(await post(client, "{ ...Nope }"), 200, body)


# --------------------------------------------------------------------------------------------
# Batch floods


async def test_batch_flood_is_400(client: httpx.AsyncClient) -> None:
    """graphql-cop's probe (ten operations in an array) and larger: batching is off by default."""
    for size in (10, 11, 100, 1000):
        started = time.perf_counter()
        response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * size)
        assert time.perf_counter() - started < 1.0
        assert_text(response, 400, "Batching is not enabled")


async def test_batch_flood_of_mutations_is_400_and_changes_nothing(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/graphql", json=[{"query": ENABLE_SLACK}] * 11, headers=demo_headers
    )
    assert_text(response, 400, "Batching is not enabled")
    detail = await client.get("/api/integrations/slack", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False


MALFORMED_GRAPHQL_BODIES = {
    "nested batch": b'[[{"query": "{ __typename }"}]]',
    "numbers": b"[1, 2]",
    "one junk item": b'[{"query": "{ __typename }"}, "x"]',
    "null item": b"[null]",
    "string": b'"{ __typename }"',
    "null": b"null",
    "number": b"42",
    "bool": b"true",
}
NON_UTF8_GRAPHQL_BODIES = {
    "invalid byte": b'{"query": "{ __typename }", "x": "\xff"}',
    "invalid sequence": b'{"query": "\xc3\x28"}',
    "utf-16 bom": b"\xfe\xff\x00{",
}


@pytest.mark.parametrize(
    "bodies",
    [MALFORMED_GRAPHQL_BODIES, NON_UTF8_GRAPHQL_BODIES],
    ids=["malformed-batch-or-body", "non-utf8"],
)
async def test_unreadable_graphql_body_is_400(
    raw_client: httpx.AsyncClient, bodies: dict[str, bytes]
) -> None:
    statuses = {}
    for name, body in bodies.items():
        response = await raw_client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        statuses[name] = response.status_code
    assert statuses == dict.fromkeys(bodies, 400)


async def test_truncated_graphql_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __type', headers={"content-type": "application/json"}
    )
    assert_text(response, 400, "Unable to parse request body as JSON")


# --------------------------------------------------------------------------------------------
# Directive overloading


async def test_directive_overloading_with_unknown_directives_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """graphql-cop's probe: ten identical errors are answered as one, with its ten locations."""
    document = "query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }"
    columns = [24 + 3 * i for i in range(10)]
    body = {"data": None, "errors": [error("Unknown directive '@aa'.", 1, *columns)]}
    assert_json(await post(client, document), 200, body)


async def test_directive_overloading_past_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, "query cop { __typename " + "@aa" * 60 + " }")
    unknown = error("Unknown directive '@aa'.", 1, *(24 + 3 * i for i in range(60)))
    too_many = {
        "message": "More than 50 directives. Allowed: 50",
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    assert_json(response, 200, {"data": None, "errors": [unknown, too_many]})


async def test_identical_errors_on_several_lines_are_answered_once(
    client: httpx.AsyncClient,
) -> None:
    document = "query cop {\n  __typename @aa\n  __typename @aa @bb\n}"
    body = {
        "data": None,
        "errors": [
            {
                "message": "Unknown directive '@aa'.",
                "locations": [{"line": 2, "column": 14}, {"line": 3, "column": 14}],
                "extensions": {"code": "BAD_USER_INPUT"},
            },
            error("Unknown directive '@bb'.", 3, 18),
        ],
    }
    assert_json(await post(client, document), 200, body)


async def test_error_flood_is_capped_at_20_errors(client: httpx.AsyncClient) -> None:
    """Distinct errors cannot be merged: an answer carries the first 19 and says how many more
    there were."""
    fields = [f"f{i}" for i in range(60)]
    document = "{ " + " ".join(fields) + " }"
    response = await post(client, document)
    errors = [
        error(f"Cannot query field '{name}' on type 'Query'.", 1, document.index(f" {name} ") + 2)
        for name in fields[:19]
    ]
    errors.append(
        {"message": "Too many errors: 41 more not shown", "extensions": {"code": "BAD_USER_INPUT"}}
    )
    assert_json(response, 200, {"data": None, "errors": errors})


async def test_directive_overloading_past_the_token_limit_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, "query cop { __typename " + "@aa" * 1000 + " }")
    assert response.json()["errors"][0]["message"] == TOKEN_LIMIT


async def test_directive_overloading_of_known_directives_is_refused(
    client: httpx.AsyncClient,
) -> None:
    document = "{ " + "__typename @include(if: true) @skip(if: false) " * 26 + "}"
    response = await post(client, document)
    assert_json(response, 200, gql_error("More than 50 directives. Allowed: 50"))


# --------------------------------------------------------------------------------------------
# Field duplication


async def test_field_duplication_2000_times_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, "query cop { " + "__typename " * 2000 + "}")
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["message"] == TOKEN_LIMIT


async def test_field_duplication_of_a_real_field_is_refused(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await post(client, "{ integrations { nodes { " + "provider " * 2000 + "} } }")
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["message"] == TOKEN_LIMIT


async def test_field_duplication_500_times_answers_quickly(client: httpx.AsyncClient) -> None:
    started = time.perf_counter()
    response = await post(client, "query cop { " + "__typename " * 500 + "}")
    assert time.perf_counter() - started < 1.0
    assert_json(response, 200, TYPENAME_DATA)


# --------------------------------------------------------------------------------------------
# GET-based mutations and CSRF


async def test_get_mutation_without_header_is_csrf_blocked(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/graphql", params={"query": ENABLE_SLACK}, headers=demo_headers)
    assert_json(response, 400, CSRF_BODY)


async def test_get_mutation_with_header_is_refused(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get(
        "/graphql",
        params={"query": ENABLE_SLACK},
        headers={**demo_headers, "x-apollo-operation-name": "x"},
    )
    assert_text(response, 400, "mutations are not allowed when using GET")
    detail = await client.get("/api/integrations/slack", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False


async def test_post_urlencoded_query_is_csrf_blocked(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", data={"query": "{ __typename }"})
    assert_json(response, 400, CSRF_BODY)


# --------------------------------------------------------------------------------------------
# Production: introspection, suggestions, GraphiQL, tracing


class TestProduction:
    @pytest.fixture
    def settings_overrides(self, fast_upstream: Upstream) -> dict[str, Any]:
        return {"env": "production", "openrouter_models_url": fast_upstream.url}

    async def test_production_full_introspection_query_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await post(client, get_introspection_query())
        body = response.json()
        assert response.status_code == 200
        assert body["data"] is None
        assert body["errors"][0]["message"] == (
            "GraphQL introspection has been disabled, but the requested query contained the "
            "field '__schema'."
        )
        assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
        assert "queryType" not in json.dumps(body).replace("'queryType'", "")

    async def test_production_type_introspection_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        body = {
            "data": None,
            "errors": [
                error(
                    "GraphQL introspection has been disabled, but the requested query "
                    "contained the field '__type'.",
                    1,
                    3,
                )
            ],
        }
        assert_json(await post(client, '{ __type(name: "Query") { name } }'), 200, body)

    async def test_production_introspection_hidden_in_a_fragment_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        document = "{ ...F } fragment F on Query { __schema { queryType { name } } }"
        response = await post(client, document)
        assert response.json()["data"] is None
        assert "'__schema'" in response.json()["errors"][0]["message"]

    async def test_production_introspection_aliased_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await post(client, "{ innocent: __schema { queryType { name } } }")
        assert response.json()["data"] is None
        assert "'__schema'" in response.json()["errors"][0]["message"]

    async def test_production_typename_still_answers(self, client: httpx.AsyncClient) -> None:
        assert_json(await post(client, "{ __typename }"), 200, TYPENAME_DATA)

    async def test_production_graphql_cop_suggestion_probe_gets_none(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await post(client, "query cop { __schema { directive } }")
        assert "Did you mean" not in response.text
        assert response.json()["data"] is None

    async def test_production_misspellings_get_no_suggestion(
        self, client: httpx.AsyncClient
    ) -> None:
        suggested = []
        for document in (
            "{ integratons { totalCount } }",
            "{ integrations { totalCont } }",
            '{ tool(slug: "hermes") { nme } }',
            "{ integrations(frist: 1) { totalCount } }",
            "{ ... on Quer { __typename } }",
        ):
            response = await post(client, document)
            assert response.json()["data"] is None
            if "Did you mean" in response.text:
                suggested.append(document)
        assert suggested == []

    async def test_production_graphiql_is_not_served(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers={"accept": "text/html"})
        assert response.status_code == 404
        assert "graphiql" not in response.text.lower()

    async def test_production_answers_carry_no_tracing(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/graphql",
            json={"query": "{ __typename }", "extensions": {"tracing": True}},
            headers={"x-apollo-tracing": "1"},
        )
        assert_json(response, 200, TYPENAME_DATA)

    async def test_production_syntax_error_leaks_no_internals(
        self, client: httpx.AsyncClient
    ) -> None:
        body = {"data": None, "errors": [error("Syntax Error: Unexpected Name 'qwerty'.", 1, 1)]}
        assert_json(await post(client, "qwerty"), 200, body)


# --------------------------------------------------------------------------------------------
# Huge variables and strings


async def test_huge_string_variable_is_answered(client: httpx.AsyncClient, demo: None) -> None:
    document = "query($slug: String!) { integration(slug: $slug) { provider } }"
    response = await post(client, document, slug="x" * 900_000)
    assert_json(response, 200, {"data": {"integration": None}})


# Every lookup by slug at once, and its answer when nothing matches.
LOOKUPS = (
    "query($s: String!) { integration(slug: $s) { provider } tool(slug: $s) { slug } "
    "usageFraming(slug: $s) { coldStart } publicPricing(slug: $s) { slug } "
    "toolIntegrations(slug: $s, appId: $s) { required { alreadyEnabled } } }"
)
NOTHING_FOUND = {
    "data": {
        "integration": None,
        "tool": None,
        "usageFraming": None,
        "publicPricing": None,
        "toolIntegrations": {"required": []},
    }
}


async def test_huge_string_variable_into_every_lookup_is_answered(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    big = "é" * 300_000
    response = await client.post(
        "/graphql", json={"query": LOOKUPS, "variables": {"s": big}}, headers=demo_headers
    )
    assert_json(response, 200, NOTHING_FOUND)


async def test_huge_string_literal_is_answered(client: httpx.AsyncClient, demo: None) -> None:
    document = '{ integration(slug: "' + "x" * 900_000 + '") { provider } }'
    assert_json(await post(client, document), 200, {"data": {"integration": None}})


async def test_huge_comment_is_answered(client: httpx.AsyncClient) -> None:
    document = "# " + "x" * 900_000 + "\n{ __typename }"
    assert_json(await post(client, document), 200, TYPENAME_DATA)


def cache_lookups() -> tuple[int, int]:
    """Lookups (hits + misses) of the gateway's parse and validation caches (shared LRUs)."""
    parsed = SafeParserCache(maxsize=512, max_chars=0).cached_parse_document.cache_info()
    validated = SizedValidationCache(maxsize=512, max_chars=0)
    checked = validated.cached_validate_document.cache_info()
    return parsed.hits + parsed.misses, checked.hits + checked.misses


async def test_huge_documents_are_run_but_not_kept_by_the_document_caches(
    client: httpx.AsyncClient,
) -> None:
    """A document of one comment token can be 1 MiB: past 32 KiB (VENDO_PERSISTED_QUERY_MAX_BYTES)
    it is parsed and validated each time, and never kept in the caches."""
    before = cache_lookups()
    for i in range(5):
        response = await post(client, "{ __typename } #" + str(i) + "x" * 900_000)
        assert_json(response, 200, TYPENAME_DATA)
    assert cache_lookups() == before
    small = "{ __typename } # a small document is kept"
    assert_json(await post(client, small), 200, TYPENAME_DATA)
    assert cache_lookups() == (before[0] + 1, before[1] + 1)


async def test_variables_with_100k_keys_within_the_body_limit_are_answered(
    client: httpx.AsyncClient,
) -> None:
    variables = dict.fromkeys(itertools.islice(short_names(), 100_000), 0)
    body = json.dumps({"query": "{ __typename }", "variables": variables}, separators=(",", ":"))
    assert len(body) < 1_048_576
    started = time.perf_counter()
    response = await client.post(
        "/graphql", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert time.perf_counter() - started < 5.0
    assert_json(response, 200, TYPENAME_DATA)


async def test_json_variable_with_100k_keys_is_answered(client: httpx.AsyncClient) -> None:
    value = dict.fromkeys(itertools.islice(short_names(), 100_000), 0)
    document = "query($v: JSON) { __typename }"
    response = await client.post("/graphql", json={"query": document, "variables": {"v": value}})
    body = {
        "data": None,
        "errors": [error("Variable '$v' is never used.", 1, 7)],
    }
    assert_json(response, 200, body)


async def test_thousands_of_variable_definitions_are_refused(client: httpx.AsyncClient) -> None:
    definitions = ", ".join(f"$v{i}: Int" for i in range(300))
    response = await post(client, f"query({definitions}) {{ __typename }}")
    assert response.json()["errors"][0]["message"] == TOKEN_LIMIT


async def test_huge_bulk_save_description_is_400(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    staff = session_headers(await sessions.create("admin@vendo.local", staff=True))
    body = [
        {
            "name": "huge",
            "type": "sendgrid",
            "description": "x" * 900_000,
            "configuration": {"api_key": "SG.x"},
        }
    ]
    response = await client.post("/api/integrations", json=body, headers=staff)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid integrations"


# --------------------------------------------------------------------------------------------
# Unicode and NUL in GraphQL arguments

# NUL, emoji, a right-to-left override, full-width letters, a combining accent, an encoded NUL.
UNICODE_TRICKS = [
    "\x00",
    "a\x00b",
    "😀",
    "\u202eevil",
    "ｓｌａｃｋ",
    "e\u0301",
    "%00",
]

EVIL_STRINGS = [
    *UNICODE_TRICKS,
    "' OR '1'='1",
    "\r\n\t",
    "\uffff",
    "\U0010ffff",
    "x" * 5000,
]


async def test_graphql_lookups_with_evil_strings_find_nothing(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    account = "query($s: String!) { account(id: $s) { slug } }"
    toggle = "mutation($s: String!) { setIntegrationEnabled(slug: $s, enabled: true) { enabled } }"
    for value in EVIL_STRINGS:
        variables = {"s": value}
        response = await client.post(
            "/graphql", json={"query": LOOKUPS, "variables": variables}, headers=demo_headers
        )
        assert_json(response, 200, NOTHING_FOUND)
        for query in (account, toggle):
            answer = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=demo_headers
            )
            assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND", repr(value)


# --------------------------------------------------------------------------------------------
# Unicode and NUL in every path, query and body parameter of every legacy route

LEGACY_EVIL = [
    *UNICODE_TRICKS,
    "..",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "\r\n",
    "\uffff",
    "x" * 3000,
]


# Path parameters of a plain request: a real slug and integration; ids of the workspace's rows
# (random in the demo data) are an unknown UUID.
PLAIN_PARAMETERS = {"slug": "openrouter", "id": "openai"}
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


def legacy_paths() -> list[tuple[str, LegacyRoute]]:
    return [(path, route) for route in ROUTES for path in (route.path, *route.aliases)]


def body_variants(route: LegacyRoute, value: str) -> list[Any]:
    if route.path == "/api/integrations/{slug}":
        return [{"enabled": True, value: value}, {"enabled": value}]
    if route.path == "/api/integrations":
        item = {
            "name": value,
            "type": "sendgrid",
            "description": value,
            "configuration": {"api_key": value, value: value},
            "tags": [{"key": value, "value": value}],
            "apis": [{"integrationName": value, "api": value}],
        }
        return [[item], {value: value}]
    if route.path.endswith("/install"):
        return [{"params": {value: value}, "secrets": {value: value}}, {"params": [value]}]
    return [{value: value}]


@pytest.fixture
async def legacy_headers(
    runtime: Runtime, sessions: Sessions, demo: None
) -> dict[str, dict[str, str]]:
    """Credentials that get each kind of route past its 401."""
    async with runtime.db.read() as session:
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
    key = await mint_key(runtime, app_id=app_id)
    return {
        "staff": session_headers(await sessions.create("admin@vendo.local", staff=True)),
        "session": session_headers(await sessions.create("demo@vendo.local")),
        "key": {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"},
        "none": {},
    }


def credential_for(route: LegacyRoute) -> str:
    accept = route.auth.accept
    if Credential.JWT in accept and Credential.SESSION in accept:
        return "staff"
    if Credential.SESSION in accept:
        return "session"
    if Credential.APP_KEY in accept:
        return "key"
    return "none"


def assert_safe(response: httpx.Response, what: str) -> None:
    assert response.status_code in DOCUMENTED_STATUSES, (what, response.status_code, response.text)
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("path", "route"), legacy_paths(), ids=[f"{r.method} {p}" for p, r in legacy_paths()]
)
async def test_legacy_route_survives_unicode_and_nul_everywhere(
    raw_client: httpx.AsyncClient,
    legacy_headers: dict[str, dict[str, str]],
    path: str,
    route: LegacyRoute,
) -> None:
    headers = legacy_headers[credential_for(route)]

    async def call(
        url: str, body: Any = None, extra: dict[str, Any] | None = None
    ) -> httpx.Response:
        # A cookie write declares JSON even without a body (legacy_rest/cookie_writes.py).
        declared = {"Content-Type": "application/json"} if route.method not in SAFE_METHODS else {}
        return await raw_client.request(
            route.method, url, json=body, headers={**headers, **declared, **(extra or {})}
        )

    for value in LEGACY_EVIL:
        # A dot segment is percent-encoded, or the client resolves it to another path.
        encoded = quote(value, safe="") if value != ".." else "%2E%2E"
        url = re.sub(r"{\w+}", encoded.replace("\\", "\\\\"), path)
        plain = re.sub(r"{(\w+)}", lambda m: PLAIN_PARAMETERS.get(m[1], UNKNOWN_UUID), path)
        if url != path:
            assert_safe(await call(url), f"path {value!r}")
        query = {"appId": value, "category": value, "status": value, "slug": value, value: value}
        assert_safe(
            await call(plain + "?" + httpx.QueryParams(query).__str__()), f"query {value!r}"
        )
        if route.method == "POST":
            for body in body_variants(route, value):
                assert_safe(await call(plain, body), f"body {value!r} {str(body)[:40]}")
        if credential_for(route) == "key" and "\r" not in value and "\n" not in value:
            account = {"X-Account-ID": value.encode("utf-8")}
            assert_safe(await call(plain, extra=account), f"X-Account-ID {value!r}")
