"""The ``integrationLimiter`` shared by the toggle and regenerate, REST and GraphQL
(CONTRACT.md §3.8; docs/decisions/0012)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    BAD_BODY,
    JSON_TYPE,
    NO_REGENERATION,
    RATE_LIMITED,
    UNAUTHORIZED,
)
from tests.support.catalog import demo_tenant_id, tenant_flag
from tests.support.credentials import sign_up_without_workspace
from tests.support.documents import REGENERATE_MUTATION, TOGGLE_MUTATION
from tests.support.http import assert_json


class TestIntegrationLimiter:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"integration_rate_limit": "3/minute"}

    async def test_limiter_fourth_toggle_is_429(
        self, client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        for enabled in (True, False, True):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": enabled}, headers=demo_headers
            )
            assert_json(response, 200, {"enabled": enabled})
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": False}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)
        # The refused toggle was not applied.
        assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is True

    async def test_limiter_toggle_and_regenerate_share_the_budget(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        response = await client.post(
            "/api/integrations/sendgrid/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 400, NO_REGENERATION)
        await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        response = await client.post(
            "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_is_checked_before_not_found(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        sessions: Sessions,
        demo_headers: dict[str, str],
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
            )
        response = await client.post(
            "/api/integrations/no-such-thing", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)
        response = await client.post(
            "/api/integrations/no-such-thing/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)
        nomad = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
        response = await client.post(
            "/api/integrations/openrouter/regenerate", headers={**nomad, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_after_401_and_400_checks(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
        assert_json(response, 401, UNAUTHORIZED)
        assert_json(await client.post("/api/integrations/sendgrid/regenerate"), 401, UNAUTHORIZED)
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": 1}, headers=demo_headers
        )
        assert_json(response, 400, BAD_BODY)

    async def test_limiter_unauthenticated_and_invalid_calls_spend_nothing(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(5):
            response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
            assert response.status_code == 401
            response = await client.post("/api/integrations/sendgrid/regenerate")
            assert response.status_code == 401
            response = await client.post(
                "/api/integrations/sendgrid", content=b"{", headers={**demo_headers, **JSON_TYPE}
            )
            assert response.status_code == 400
        for _ in range(3):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert_json(response, 200, {"enabled": True})
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_reads_do_not_spend(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(5):
            await client.get("/api/integrations", headers=demo_headers)
            await client.get("/api/integrations/sendgrid", headers=demo_headers)
            await client.get("/api/integrations/sendgrid/usage", headers=demo_headers)
        for _ in range(3):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert response.status_code == 200

    async def test_limiter_is_per_client_ip(
        self, app: Starlette, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert response.status_code == 429
        transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            response = await other.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        assert_json(response, 200, {"enabled": True})

    async def test_limiter_graphql_mutation_draws_on_the_same_budget(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(2):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert response.status_code == 200
        variables = {"slug": "sendgrid", "enabled": False}
        payload = {"query": TOGGLE_MUTATION, "variables": variables}
        first = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert first == {
            "data": {"setIntegrationEnabled": {"enabled": False, "provisioningError": None}}
        }
        second = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert second["data"] is None
        assert [error["extensions"]["code"] for error in second["errors"]] == ["RATE_LIMITED"]
        assert second["errors"][0]["message"] == "Rate limit exceeded"
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_graphql_regenerate_spends_and_is_refused(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
            )
        payload = {"query": REGENERATE_MUTATION, "variables": {"slug": "openrouter"}}
        body = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert [error["extensions"]["code"] for error in body["errors"]] == ["RATE_LIMITED"]
