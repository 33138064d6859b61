"""The legacy routes are exempt from the GraphQL document limits: their operations are
the gateway's own (docs/decisions/0034)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models import Integration, TenantIntegration
from app.runtime import Runtime
from tests.resolvers.protections.helpers import aliases, post
from tests.support.documents import gql_error
from tests.support.http import assert_json


class TestLegacyRoutesExempt:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "graphql_max_aliases": 1,
            "graphql_max_depth": 2,
            "graphql_max_tokens": 100,
            "graphql_max_directives": 1,
            "graphql_max_cost": 1,
            "graphql_max_page_size": 1,
        }

    async def test_legacy_list_runs_under_the_lowest_limits(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        response = await client.get("/api/integrations")
        assert response.status_code == 200
        assert len(response.json()["integrations"]) == 13

    async def test_legacy_signed_in_list_runs_under_the_lowest_limits(
        self, client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        response = await client.get("/api/integrations", headers=demo_headers)
        assert response.status_code == 200
        assert len(response.json()) == 13
        toggle = await client.post(
            "/api/integrations/slack", json={"enabled": True}, headers=demo_headers
        )
        assert_json(toggle, 200, {"enabled": True})
        async with runtime.db.read() as session:
            flag = await session.scalar(
                select(TenantIntegration.enabled)
                .join(Integration, Integration.id == TenantIntegration.integration_id)
                .where(Integration.provider == "slack")
            )
        assert flag is True

    async def test_legacy_tool_routes_run_under_the_lowest_limits(
        self, client: httpx.AsyncClient, demo: None
    ) -> None:
        for path in (
            "/api/tools/catalog",
            "/api/tools/deployable",
            "/api/tools/hermes",
            "/api/tools/hermes/integrations",
            "/api/pricing/integrations",
            "/api/pricing/public/openrouter",
        ):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.content != b'{"tools":[]}', path  # not the graceful-degrade body

    async def test_graphql_clients_still_get_the_lowest_limits(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_json(await post(client, aliases(2)), 200, gql_error("2 aliases found. Allowed: 1"))
