"""CSRF and CORS on /graphql (docs/decisions/0037-graphql-csrf-and-cors.md): Apollo Server's
preflight rule case by case, what a cross-site page can (not) do with the victim's session
cookie, and the configured-origins-only CORS policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models import Integration, Tenant, TenantIntegration
from app.runtime import Runtime
from tests.support.browser import FORM_CONTENT_TYPES
from tests.support.documents import CSRF_BODY
from tests.support.http import assert_json, assert_text

# --------------------------------------------------------------------------------------------
# Documents

TYPENAME = b'{"query": "{ __typename }"}'
TYPENAME_DATA = {"data": {"__typename": "Query"}}
ENABLE_TELEGRAM = 'mutation { setIntegrationEnabled(slug: "telegram", enabled: true) { enabled } }'
GRAPHIQL_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ALLOWED = "https://app.example.com"
OTHER_ALLOWED = "https://admin.example.com"
PREFLIGHT_ALLOW_HEADERS = (
    "Content-Type, Authorization, Apollo-Require-Preflight, X-Apollo-Operation-Name, X-Request-ID"
)

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
OTHER_ORIGINS = [
    "https://evil.example.com",
    "https://app.example.com.evil.net",
    "https://evilapp.example.com",
    "http://app.example.com",
    "https://APP.example.com",
    "https://app.example.com:8443",
    "null",
    "",
]
SIMPLE_CONTENT_TYPES = [
    "text/plain",
    "text/plain; charset=utf-8",
    *FORM_CONTENT_TYPES,
    "Multipart/Form-Data; boundary=x",
]


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def preflight(client: httpx.AsyncClient, origin: str, request_headers: str) -> httpx.Response:
    """A browser's CORS preflight of a POST to /graphql: always 204 with an empty body."""
    response = await client.options(
        "/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": request_headers,
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    return response


async def telegram_flag(runtime: Runtime) -> bool | None:
    async with runtime.db.read() as session:
        return await session.scalar(
            select(TenantIntegration.enabled)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .join(Tenant, Tenant.id == TenantIntegration.tenant_id)
            .where(Tenant.slug == "demo", Integration.provider == "telegram")
        )


# --------------------------------------------------------------------------------------------
# Apollo's rule, case by case


async def test_csrf_post_without_content_type_is_blocked(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=TYPENAME)
    assert "content-type" not in response.request.headers
    assert_json(response, 400, CSRF_BODY)


async def test_csrf_post_with_simple_content_type_is_blocked(client: httpx.AsyncClient) -> None:
    for content_type in SIMPLE_CONTENT_TYPES:
        response = await client.post(
            "/graphql", content=TYPENAME, headers={"content-type": content_type}
        )
        assert_json(response, 400, CSRF_BODY)


async def test_csrf_post_with_json_content_type_runs(client: httpx.AsyncClient) -> None:
    for content_type in ("application/json", "application/json; charset=utf-8"):
        response = await client.post(
            "/graphql", content=TYPENAME, headers={"content-type": content_type}
        )
        assert_json(response, 200, TYPENAME_DATA)


async def test_csrf_post_with_empty_content_type_is_blocked(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=TYPENAME, headers={"content-type": ""})
    assert_json(response, 400, CSRF_BODY)


@pytest.mark.parametrize(
    ("value", "content_types", "refused"),
    [
        # With the header the request is no longer a CSRF suspect; the content type itself is
        # then refused by Strawberry, which reads JSON only.
        (
            "Anything",
            (None, "text/plain", "application/x-www-form-urlencoded"),
            lambda response: assert_text(response, 400, "Unsupported content type"),
        ),
        # An empty header does not count.
        (
            "",
            (None, "text/plain", "multipart/form-data; boundary=x"),
            lambda response: assert_json(response, 400, CSRF_BODY),
        ),
    ],
    ids=["lifts-the-block", "empty-does-not-lift-the-block"],
)
async def test_csrf_preflight_header_on_non_json_post(
    client: httpx.AsyncClient,
    value: str,
    content_types: tuple[str | None, ...],
    refused: Callable[[httpx.Response], None],
) -> None:
    for header in PREFLIGHT_HEADERS:
        for content_type in content_types:
            headers = {header: value}
            if content_type is not None:
                headers["content-type"] = content_type
            response = await client.post("/graphql", content=TYPENAME, headers=headers)
            refused(response)


async def test_csrf_preflight_header_with_json_runs(client: httpx.AsyncClient) -> None:
    for header in PREFLIGHT_HEADERS:
        response = await client.post(
            "/graphql", content=TYPENAME, headers={"content-type": "application/json", header: "1"}
        )
        assert_json(response, 200, TYPENAME_DATA)


async def test_csrf_get_query_without_header_is_blocked(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert_json(response, 400, CSRF_BODY)


async def test_csrf_get_query_asking_for_html_is_still_blocked(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": GRAPHIQL_ACCEPT}
    )
    assert_json(response, 400, CSRF_BODY)


async def test_csrf_get_query_with_header_runs(client: httpx.AsyncClient) -> None:
    for header in PREFLIGHT_HEADERS:
        response = await client.get(
            "/graphql", params={"query": "{ __typename }"}, headers={header: "true"}
        )
        assert_json(response, 200, TYPENAME_DATA)


async def test_csrf_get_query_with_empty_header_is_blocked(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"apollo-require-preflight": ""}
    )
    assert_json(response, 400, CSRF_BODY)


async def test_csrf_graphiql_page_is_still_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": GRAPHIQL_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<!doctype html>" in response.text.lower()


# --------------------------------------------------------------------------------------------
# What a cross-site page can do with the victim's cookie: nothing


def form_attacks() -> list[tuple[str, dict[str, Any]]]:
    """The requests an HTML form or an <img> on another site can make, cookie attached."""
    smuggled = json.dumps({"query": ENABLE_TELEGRAM, "x": "="})
    return [
        ("urlencoded form", {"data": {"query": ENABLE_TELEGRAM}}),
        ("multipart form", {"files": {"query": (None, ENABLE_TELEGRAM)}}),
        (
            "text/plain form smuggling JSON",
            {"content": smuggled.encode(), "headers": {"content-type": "text/plain"}},
        ),
        ("fetch no-cors without content type", {"content": smuggled.encode()}),
    ]


async def test_csrf_cross_site_form_with_cookie_cannot_toggle(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    assert await telegram_flag(runtime) is False
    for name, request_kwargs in form_attacks():
        headers = {**request_kwargs.pop("headers", {}), **demo_headers}
        headers["origin"] = "https://evil.example.net"
        response = await client.post("/graphql", headers=headers, **request_kwargs)
        assert response.status_code == 400, name
        assert_json(response, 400, CSRF_BODY)
        assert await telegram_flag(runtime) is False, name


async def test_csrf_same_mutation_as_json_does_toggle(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    """The control: the attacks above fail because of the rule, not because of the mutation."""
    response = await client.post("/graphql", json={"query": ENABLE_TELEGRAM}, headers=demo_headers)
    assert_json(response, 200, {"data": {"setIntegrationEnabled": {"enabled": True}}})
    assert await telegram_flag(runtime) is True


GET_MUTATIONS = {
    # An <img src> of the mutation: no preflight header, so the CSRF rule blocks it.
    "image-tag": ({"query": ENABLE_TELEGRAM}, {"accept": "image/avif,image/webp,*/*"}),
    # With the header the rule lets it through, and GET refuses mutations.
    "preflight-header": ({"query": ENABLE_TELEGRAM}, {"apollo-require-preflight": "true"}),
    "hidden-behind-operation-name": (
        {
            "query": "query Q { __typename } " + ENABLE_TELEGRAM.replace("mutation", "mutation M"),
            "operationName": "M",
        },
        {"apollo-require-preflight": "true"},
    ),
}


@pytest.mark.parametrize(("params", "headers"), GET_MUTATIONS.values(), ids=GET_MUTATIONS.keys())
async def test_csrf_get_mutation_is_refused(
    client: httpx.AsyncClient,
    runtime: Runtime,
    demo_headers: dict[str, str],
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    response = await client.get("/graphql", params=params, headers={**demo_headers, **headers})
    if "apollo-require-preflight" in headers:
        assert_text(response, 400, "mutations are not allowed when using GET")
    else:
        assert_json(response, 400, CSRF_BODY)
    assert await telegram_flag(runtime) is False


# --------------------------------------------------------------------------------------------
# CORS on /graphql


class TestCorsConfigured:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_cors_origins": f"{ALLOWED}, {OTHER_ALLOWED}"}

    async def test_cors_allowed_origin_is_reflected_with_credentials(
        self, client: httpx.AsyncClient
    ) -> None:
        for origin in (ALLOWED, OTHER_ALLOWED):
            response = await client.post(
                "/graphql",
                content=TYPENAME,
                headers={"content-type": "application/json", "origin": origin},
            )
            assert_json(response, 200, TYPENAME_DATA)
            assert cors_headers(response) == {
                "access-control-allow-origin": origin,
                "access-control-allow-credentials": "true",
            }
            assert response.headers["vary"] == "Origin"

    async def test_cors_other_origin_gets_no_allow_origin(self, client: httpx.AsyncClient) -> None:
        for origin in OTHER_ORIGINS:
            response = await client.post(
                "/graphql",
                content=TYPENAME,
                headers={"content-type": "application/json", "origin": origin},
            )
            assert_json(response, 200, TYPENAME_DATA)  # the browser, not the server, withholds it
            assert cors_headers(response) == {}, origin
            assert response.headers["vary"] == "Origin"

    async def test_cors_preflight_from_allowed_origin(self, client: httpx.AsyncClient) -> None:
        response = await preflight(client, ALLOWED, "content-type, apollo-require-preflight")
        assert cors_headers(response) == {
            "access-control-allow-origin": ALLOWED,
            "access-control-allow-credentials": "true",
            "access-control-allow-methods": "GET, POST, OPTIONS",
            "access-control-allow-headers": PREFLIGHT_ALLOW_HEADERS,
            "access-control-max-age": "600",
        }
        assert response.headers["vary"] == "Origin"

    async def test_cors_preflight_from_other_origin_allows_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        for origin in OTHER_ORIGINS:
            response = await preflight(client, origin, "content-type")
            assert cors_headers(response) == {}, origin
            assert response.headers["vary"] == "Origin"

    async def test_cors_allowed_origin_with_cookie_still_needs_json(
        self, client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        """CORS allows reading answers; it does not lift the CSRF rule."""
        response = await client.post(
            "/graphql",
            data={"query": ENABLE_TELEGRAM},
            headers={**demo_headers, "origin": ALLOWED},
        )
        assert_json(response, 400, CSRF_BODY)
        assert await telegram_flag(runtime) is False

    async def test_cors_of_graphql_does_not_reach_legacy_routes(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await client.get("/api/integrations", headers={"origin": ALLOWED})
        assert response.status_code == 200
        assert cors_headers(response) == {}


class TestCorsDefault:
    async def test_cors_default_sends_no_cors_header(self, client: httpx.AsyncClient) -> None:
        for origin in (ALLOWED, "https://app.vendo.run", "null"):
            response = await client.post(
                "/graphql",
                content=TYPENAME,
                headers={"content-type": "application/json", "origin": origin},
            )
            assert_json(response, 200, TYPENAME_DATA)
            assert cors_headers(response) == {}, origin

    async def test_cors_default_preflight_allows_nothing(self, client: httpx.AsyncClient) -> None:
        response = await client.options(
            "/graphql",
            headers={"origin": ALLOWED, "access-control-request-method": "POST"},
        )
        assert response.status_code == 204
        assert cors_headers(response) == {}

    async def test_cors_default_same_origin_request_has_no_cors_header(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/graphql", content=TYPENAME, headers={"content-type": "application/json"}
        )
        assert_json(response, 200, TYPENAME_DATA)
        assert cors_headers(response) == {}
        assert "vary" not in response.headers
