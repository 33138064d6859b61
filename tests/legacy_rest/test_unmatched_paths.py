"""Paths and methods no route serves (legacy_rest/refusals.py): under /api a 404 or 405 in the
flat JSON envelope, and a 405's ``Allow`` naming every method served at the path, whichever
route (or alias) serves it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.http import assert_json

NOT_FOUND = {"message": "Not found"}
NOT_ALLOWED = {"message": "Method not allowed"}


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/nothing-here",
        "/api/integrations/openrouter/usage/extra",
        "/api/v1/unknown",
        "/api/tools/hermes/unknown",
        "/api/pricing",
    ],
)
async def test_unmatched_api_path_is_404_json(client: httpx.AsyncClient, path: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await client.request(method, path)
        assert_json(response, 404, NOT_FOUND)
        assert "allow" not in response.headers


async def test_unmatched_path_outside_api_keeps_starlette_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # GET (list) and POST (bulk save) are two routes of one path.
        ("OPTIONS", "/api/integrations", "GET, HEAD, POST"),
        ("DELETE", "/api/integrations", "GET, HEAD, POST"),
        ("PUT", "/api/integrations/openrouter", "GET, HEAD, POST"),
        ("OPTIONS", "/api/integrations/openrouter", "GET, HEAD, POST"),
        # The bulk save's trailing-slash alias serves POST only.
        ("GET", "/api/integrations/", "POST"),
        ("GET", "/api/integrations/openrouter/regenerate", "POST"),
        ("POST", "/api/integrations/openrouter/usage", "GET, HEAD"),
        ("POST", "/api/tools/catalog", "GET, HEAD"),
        ("PATCH", "/api/pricing/models", "GET, HEAD"),
        ("DELETE", "/api/v1/integrations/openai/install", "POST, OPTIONS"),
        # /api/v1 answers CORS preflights: OPTIONS is served there — but an OPTIONS that
        # reaches the router was not a preflight, and its own 405 does not offer it.
        ("PUT", "/api/v1/integrations", "GET, HEAD, OPTIONS"),
        ("OPTIONS", "/api/v1/integrations", "GET, HEAD"),
        ("POST", "/api/openapi.json", "GET, HEAD"),
    ],
)
async def test_unserved_method_is_405_json_with_every_served_method(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert_json(response, 405, NOT_ALLOWED)
    assert response.headers["allow"] == allow


async def test_unserved_method_outside_api_is_text_with_the_full_allow(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/graphql")
    assert response.status_code == 405
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_served_methods_still_answer(client: httpx.AsyncClient) -> None:
    """HEAD is served with GET; a CORS preflight under /api/v1 is answered."""
    response = await client.head("/api/pricing/integrations")
    assert response.status_code == 200
    preflight = {"Origin": "https://x.example", "Access-Control-Request-Method": "GET"}
    response = await client.options("/api/v1/integrations", headers=preflight)
    assert response.status_code == 204
