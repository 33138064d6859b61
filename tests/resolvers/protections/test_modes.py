"""Production and development modes, and the legacy routes' exemption from the document
limits: their operations are the gateway's own (docs/decisions/0034, 0035)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models import Integration, TenantIntegration
from app.runtime import Runtime
from tests.resolvers.protections.helpers import (
    HTML,
    INTROSPECTION,
    MISSPELT_ARGUMENT,
    MISSPELT_FIELD,
    MISSPELT_TYPE,
    MISSPELT_VARIABLE_TYPE,
    PRICING_INTEGRATIONS,
    aliases,
    post,
)
from tests.support.documents import gql_error
from tests.support.http import assert_json
from tests.support.sql import run_sql

# --------------------------------------------------------------------------------------------
# Production and development modes


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"env": "production"}

    @pytest.fixture
    async def meters_gone(self, runtime: Runtime, demo: None) -> AsyncIterator[None]:
        """A real internal error: a column the pricing resolvers read is gone (renamed, and put
        back afterwards so that the next test's reset finds it). A whole table missing would be
        a database not migrated: 503."""
        await run_sql(runtime, "ALTER TABLE meters RENAME COLUMN public TO public_gone")
        yield
        await run_sql(runtime, "ALTER TABLE meters RENAME COLUMN public_gone TO public")

    async def test_production_refuses_introspection(self, client: httpx.AsyncClient) -> None:
        prefix = "GraphQL introspection has been disabled, but the requested query contained "
        body = {
            "data": None,
            "errors": [
                {
                    "message": prefix + "the field '__schema'.",
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
                {
                    "message": prefix + "the field 'types'.",
                    "locations": [{"line": 1, "column": 14}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
            ],
        }
        assert_json(await post(client, INTROSPECTION), 200, body)

    async def test_production_has_no_field_suggestion(self, client: httpx.AsyncClient) -> None:
        body = {
            "data": None,
            "errors": [
                {
                    "message": "Cannot query field 'integratons' on type 'Query'.",
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ],
        }
        assert_json(await post(client, MISSPELT_FIELD), 200, body)

    @pytest.mark.parametrize("document", [MISSPELT_ARGUMENT, MISSPELT_TYPE, MISSPELT_VARIABLE_TYPE])
    async def test_production_has_no_suggestion_in_any_message(
        self, client: httpx.AsyncClient, document: str
    ) -> None:
        response = await post(client, document)
        assert response.status_code == 200
        messages = [e["message"] for e in response.json()["errors"]]
        assert messages
        assert not [m for m in messages if "Did you mean" in m], messages

    async def test_production_graphiql_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 404

    async def test_production_masks_internal_error_with_request_id(
        self,
        client: httpx.AsyncClient,
        meters_gone: None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        response = await post(client, PRICING_INTEGRATIONS)
        request_id = response.headers["x-request-id"]
        assert len(request_id) == 32
        body = {
            "data": None,
            "errors": [
                {
                    "message": "Internal server error",
                    "locations": [{"line": 1, "column": 3}],
                    "path": ["pricingIntegrations"],
                    "extensions": {"code": "INTERNAL", "requestId": request_id},
                }
            ],
        }
        assert_json(response, 200, body)
        assert "meters" not in response.text
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1
        assert request_id in errors[0].getMessage()
        assert errors[0].exc_info is not None  # the traceback goes to the log, not the client

    async def test_production_masked_error_keeps_the_callers_request_id(
        self,
        client: httpx.AsyncClient,
        meters_gone: None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        response = await client.post(
            "/graphql",
            json={"query": PRICING_INTEGRATIONS},
            headers={"X-Request-ID": "trace-42:abc.DEF_9"},
        )
        assert response.headers["x-request-id"] == "trace-42:abc.DEF_9"
        assert response.json()["errors"][0]["extensions"] == {
            "code": "INTERNAL",
            "requestId": "trace-42:abc.DEF_9",
        }
        assert any(
            "trace-42:abc.DEF_9" in r.getMessage()
            for r in caplog.records
            if r.levelno == logging.ERROR
        )

    async def test_production_masked_error_replaces_an_unsafe_request_id(
        self, client: httpx.AsyncClient, meters_gone: None
    ) -> None:
        response = await client.post(
            "/graphql",
            json={"query": PRICING_INTEGRATIONS},
            headers={"X-Request-ID": "bad id\twith spaces"},
        )
        request_id = response.headers["x-request-id"]
        assert request_id != "bad id\twith spaces"
        assert len(request_id) == 32
        assert response.json()["errors"][0]["extensions"]["requestId"] == request_id


class TestDevelopment:
    async def test_development_keeps_field_suggestions(self, client: httpx.AsyncClient) -> None:
        message = (
            "Cannot query field 'integratons' on type 'Query'. "
            "Did you mean 'integrations', 'integration', or 'toolIntegrations'?"
        )
        body = {
            "data": None,
            "errors": [
                {
                    "message": message,
                    "locations": [{"line": 1, "column": 3}],
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ],
        }
        assert_json(await post(client, MISSPELT_FIELD), 200, body)

    async def test_development_keeps_introspection(self, client: httpx.AsyncClient) -> None:
        response = await post(client, "{ __schema { queryType { name } } }")
        assert_json(response, 200, {"data": {"__schema": {"queryType": {"name": "Query"}}}})

    async def test_development_serves_graphiql(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", headers=HTML)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"


# --------------------------------------------------------------------------------------------
# The legacy routes are exempt


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
