"""The error responses of the OpenAPI document come from the error catalogue (app/errors.py):
every status a route answers is listed — the cross-site refusals of a cookie write (403, 415)
and the body's limits of any method that carries one (408, 413) included — each described by
the message the route answers with it."""

from __future__ import annotations

import httpx

from legacy_rest.openapi import build_openapi
from legacy_rest.routes import ROUTES
from tests.conftest import Sessions, session_headers


def _responses(path: str, method: str) -> dict[str, str]:
    operation = build_openapi(ROUTES)["paths"][path][method]
    return {status: response["description"] for status, response in operation["responses"].items()}


def test_openapi_describes_each_error_by_the_message_the_route_answers() -> None:
    assert _responses("/api/tools/{slug}", "get") == {
        "200": "OK",
        "404": "Tool not found",
        "500": "Internal error",
        "503": "Service unavailable",
    }
    assert _responses("/api/pricing/models", "get") == {
        "200": "OK",
        "500": "Internal server error",
        "502": "Failed to fetch models from OpenRouter",
        "503": "Service unavailable",
    }
    assert _responses("/api/integrations", "post") == {
        "200": "OK",
        "400": "Invalid input",
        "401": "Unauthorized",
        "403": "Forbidden; Origin not allowed",
        "408": "Request body not received in time",
        "413": "Request body too large",
        "415": "Content-Type must be application/json",
        "500": "Internal server error",
        "503": "Service unavailable",
    }
    assert _responses("/api/v1/integrations/{id}/uninstall", "post") == {
        "200": "OK",
        "400": "Invalid input",
        "401": "Unauthorized",
        "404": "Not found",
        "408": "Request body not received in time",
        "413": "Request body too large",
        "500": "Database error",
        "503": "Service unavailable",
    }


async def test_every_refusal_of_a_cookie_write_is_documented(
    client: httpx.AsyncClient, demo: None, sessions: Sessions
) -> None:
    """What the regenerate route answers before it runs (it reads no body), as documented."""
    cookie = session_headers(await sessions.create("demo@vendo.local"))
    path = "/api/integrations/openrouter/regenerate"
    documented = _responses("/api/integrations/{slug}/regenerate", "post")
    refused = [
        await client.post(path, headers={**cookie, "Origin": "https://evil.example.com"}),
        await client.post(path, headers={**cookie, "Content-Type": "text/plain"}),
        await client.post(path, content=b"x" * 1_048_577, headers={"Content-Type": "text/plain"}),
    ]
    answered = {str(r.status_code): r.json()["message"] for r in refused}
    assert answered == {
        "403": "Origin not allowed",
        "415": "Content-Type must be application/json",
        "413": "Request body too large",
    }
    assert {status: documented[status] for status in answered} == answered
