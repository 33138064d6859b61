"""CORS on /api/v1/balance and /api/billing/balance (none on /api/cli/balance), and the per-IP
limits of all three: 60 a minute each for the first two, 30 for the CLI's, then 429 in the
route's envelope — shared by every worker through Redis when configured (docs/CONTRACT.md §3.6,
§3.8)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from app.factory import create_app
from app.settings import Settings
from tests.conftest import needs_redis
from tests.legacy_rest.wallet_routes.helpers import (
    BILLING,
    CLI,
    RATE_LIMITED,
    V1,
    VENDO_ORIGIN,
)
from tests.support.credentials import bearer
from tests.support.http import assert_json

PREFLIGHT = {
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


# --------------------------------------------------------------------------------------------
# CORS


@pytest.mark.parametrize("path", [V1, BILLING])
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(VENDO_ORIGIN, VENDO_ORIGIN), ("https://vendo.run", "https://vendo.run"),
     ("https://example.com", "*"), ("https://vendo.run.evil.com", "*")],
)  # fmt: skip
async def test_balance_preflight_answers_the_reference_policy(
    client: httpx.AsyncClient, path: str, origin: str, allowed: str
) -> None:
    response = await client.options(path, headers={"Origin": origin, **PREFLIGHT})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == allowed
    assert response.headers["vary"] == "Origin"
    assert response.headers["access-control-allow-methods"] == "GET, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("path", [V1, BILLING])
@pytest.mark.parametrize(
    ("origin", "allowed"), [(VENDO_ORIGIN, VENDO_ORIGIN), ("https://x.io", "*")]
)
async def test_balance_answers_carry_cors_headers_success_or_not(
    client: httpx.AsyncClient, demo_app_key: str, path: str, origin: str, allowed: str
) -> None:
    for headers in (bearer(demo_app_key), {}):
        response = await client.get(path, headers={"Origin": origin, **headers})
        assert response.status_code in (200, 401)
        assert response.headers["access-control-allow-origin"] == allowed
        assert response.headers["vary"] == "Origin"


async def test_cli_balance_allows_no_cross_origin_access(
    client: httpx.AsyncClient, demo_app_key: str
) -> None:
    response = await client.get(CLI, headers={"Origin": VENDO_ORIGIN, **bearer(demo_app_key)})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(CLI, headers={"Origin": VENDO_ORIGIN, **PREFLIGHT})
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers


async def test_rest_of_v1_keeps_its_own_cors_policy(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/v1/integrations", headers={"Origin": VENDO_ORIGIN, **PREFLIGHT}
    )
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert response.headers["access-control-allow-headers"] == (
        "Authorization, Content-Type, X-Account-ID"
    )


@pytest.mark.parametrize("path", [V1, BILLING])
async def test_balance_other_methods_are_405_allowing_get_and_options(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(path)
    assert_json(response, 405, {"message": "Method not allowed"})
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


# --------------------------------------------------------------------------------------------
# Per-IP limits


@pytest.mark.parametrize(("path", "budget"), [(V1, 60), (BILLING, 60), (CLI, 30)])
async def test_balance_limit_per_ip_then_429(
    client: httpx.AsyncClient, demo_app_key: str, path: str, budget: int
) -> None:
    for _ in range(budget):
        assert (await client.get(path, headers=bearer(demo_app_key))).status_code == 200
    refused = await client.get(path, headers=bearer(demo_app_key))
    body = {"message": RATE_LIMITED}
    assert_json(refused, 429, body if path == CLI else {"error": body})
    # Anonymous calls spend the same budget: refused before the credential is read.
    assert_json(await client.get(path), 429, body if path == CLI else {"error": body})


async def test_balance_limits_are_per_route_and_per_ip(
    app: Starlette, client: httpx.AsyncClient, demo_app_key: str
) -> None:
    for _ in range(60):
        await client.get(V1, headers=bearer(demo_app_key))
    assert (await client.get(V1, headers=bearer(demo_app_key))).status_code == 429
    assert (await client.get(BILLING, headers=bearer(demo_app_key))).status_code == 200
    assert (await client.get(CLI, headers=bearer(demo_app_key))).status_code == 200
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await other.get(V1, headers=bearer(demo_app_key))).status_code == 200


async def test_balance_limit_does_not_spend_graphql(
    client: httpx.AsyncClient, demo_app_key: str
) -> None:
    for _ in range(31):
        await client.get(CLI, headers=bearer(demo_app_key))
    query = {"query": "{ workspace { wallet { balanceMicros } } }"}
    for _ in range(3):
        response = await client.post("/graphql", json=query, headers=bearer(demo_app_key))
        assert "errors" not in response.json(), response.text


@pytest.fixture
async def second_worker(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another app on the same settings (database, Redis): a second worker."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@needs_redis
async def test_balance_limit_is_shared_by_workers_through_redis(
    client: httpx.AsyncClient, second_worker: httpx.AsyncClient, demo_app_key: str
) -> None:
    for turn in range(30):
        worker = client if turn % 2 else second_worker
        assert (await worker.get(CLI, headers=bearer(demo_app_key))).status_code == 200
    for worker in (client, second_worker):
        assert_json(
            await worker.get(CLI, headers=bearer(demo_app_key)), 429, {"message": RATE_LIMITED}
        )
