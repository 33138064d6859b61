"""CORS on ``/api/v1/*`` only (CONTRACT.md §3.6; docs/decisions/0029)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Sessions, session_headers
from tests.legacy_rest.v1_integrations.helpers import (
    INTEGRATION_NOT_FOUND,
    PREFLIGHT_HEADERS,
    PREFLIGHT_METHODS,
    UNAUTHORIZED,
    VENDO_ORIGIN,
    cors_headers,
)
from tests.support.credentials import bearer
from tests.support.http import assert_text


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/integrations", "GET"),
        ("/api/v1/integrations/openai", "GET"),
        ("/api/v1/integrations/openai/install", "POST"),
        ("/api/v1/integrations/openai/uninstall", "POST"),
        ("/api/v1/mcp-connections", "GET"),
        ("/api/v1/native-tools", "GET"),
    ],
)
async def test_v1_preflight_answers_204_with_the_allow_headers(
    client: httpx.AsyncClient, path: str, method: str
) -> None:
    response = await client.options(
        path,
        headers={
            "Origin": VENDO_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, x-account-id",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == VENDO_ORIGIN
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == PREFLIGHT_METHODS
    assert response.headers["access-control-allow-headers"] == PREFLIGHT_HEADERS
    assert "access-control-allow-credentials" not in response.headers


async def test_v1_preflight_from_another_origin_allows_any(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/v1/integrations",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == PREFLIGHT_METHODS
    assert response.headers["access-control-allow-headers"] == PREFLIGHT_HEADERS
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origin", ["https://app.vendo.run", "https://vendo.run", "https://a.b-c.vendo.run"]
)
async def test_v1_matching_origin_is_reflected_with_vary(
    client: httpx.AsyncClient, headers: dict[str, str], origin: str
) -> None:
    response = await client.get("/api/v1/integrations", headers={**headers, "Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": origin, "vary": "Origin"}


@pytest.mark.parametrize(
    "origin",
    [
        "https://example.com",
        "http://app.vendo.run",
        "https://app.vendo.run.evil.com",
        "https://evilvendo.run",
        "https://app.vendo.run:8443",
        "null",
    ],
)
async def test_v1_other_origin_gets_star(
    client: httpx.AsyncClient, headers: dict[str, str], origin: str
) -> None:
    response = await client.get("/api/v1/integrations", headers={**headers, "Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": "*", "vary": "Origin"}


async def test_v1_cors_headers_are_on_error_answers_too(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    unauthorized = await client.get("/api/v1/integrations", headers={"Origin": VENDO_ORIGIN})
    assert_text(unauthorized, 401, UNAUTHORIZED)
    assert cors_headers(unauthorized) == {
        "access-control-allow-origin": VENDO_ORIGIN,
        "vary": "Origin",
    }
    missing = await client.get(
        "/api/v1/integrations/nope", headers={**headers, "Origin": VENDO_ORIGIN}
    )
    assert_text(missing, 404, INTEGRATION_NOT_FOUND)
    assert cors_headers(missing) == {"access-control-allow-origin": VENDO_ORIGIN, "vary": "Origin"}


async def test_v1_cors_on_install_answer(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/integrations/openai/install",
        headers={**headers, "Origin": VENDO_ORIGIN},
        json={},
    )
    assert response.status_code == 200
    assert cors_headers(response) == {"access-control-allow-origin": VENDO_ORIGIN, "vary": "Origin"}


async def test_v1_no_cors_headers_without_origin(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/integrations", headers=headers)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    unauthorized = await client.get("/api/v1/integrations")
    assert unauthorized.status_code == 401
    assert cors_headers(unauthorized) == {}


async def test_no_cors_on_api_integrations(client: httpx.AsyncClient, demo: None) -> None:
    listed = await client.get("/api/integrations", headers={"Origin": VENDO_ORIGIN})
    assert listed.status_code == 200
    assert cors_headers(listed) == {}
    preflight = await client.options(
        "/api/integrations",
        headers={"Origin": VENDO_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code != 204
    assert cors_headers(preflight) == {}
    saved = await client.post("/api/integrations", headers={"Origin": VENDO_ORIGIN}, json=[])
    assert saved.status_code == 401
    assert cors_headers(saved) == {}


async def test_no_cors_on_session_cookie_routes(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get(
        "/api/integrations/openai", headers={**demo_headers, "Origin": VENDO_ORIGIN}
    )
    assert response.status_code == 200
    assert cors_headers(response) == {}


async def test_v1_session_cookie_with_key_does_not_change_identity(
    client: httpx.AsyncClient, sessions: Sessions, app_key: str
) -> None:
    """A cookie of another user alongside the key: the key decides, and the cookie is ignored."""
    cookie = session_headers(await sessions.create("someone@example.com"))
    response = await client.get(
        "/api/v1/integrations", headers={**bearer(app_key, "demo"), **cookie}
    )
    assert response.status_code == 200
