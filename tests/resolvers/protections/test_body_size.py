"""The request body limit on both surfaces (README "Security"; docs/decisions/0034)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.resolvers.protections.helpers import DEFAULT_BODY_LIMIT
from tests.support.documents import GRAPHQL_TOO_LARGE
from tests.support.http import assert_json, assert_text


async def test_body_at_the_limit_passes_on_graphql(client: httpx.AsyncClient) -> None:
    document = b'{"query":"{ __typename }"}'
    body = b" " * (DEFAULT_BODY_LIMIT - len(document)) + document
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert_json(response, 200, {"data": {"__typename": "Query"}})


async def test_body_over_the_limit_is_413_on_graphql(client: httpx.AsyncClient) -> None:
    body = {"query": "{ __typename }", "variables": {"s": "x" * DEFAULT_BODY_LIMIT}}
    assert_json(await client.post("/graphql", json=body), 413, GRAPHQL_TOO_LARGE)


async def test_body_streamed_without_length_is_413_on_graphql(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(11):
            yield b" " * 100_000

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_json(response, 413, GRAPHQL_TOO_LARGE)


async def test_body_over_the_limit_is_413_on_legacy_routes(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    for path, text_envelope in (
        ("/api/integrations/slack", False),
        ("/api/integrations", False),
        ("/api/integrations/", False),
        ("/api/integrations/slack/regenerate", False),
        ("/api/v1/integrations/slack/install", True),
        ("/api/v1/integrations/slack/uninstall", True),
    ):
        response = await client.post(
            path,
            content=b"[" + b" " * DEFAULT_BODY_LIMIT + b"]",
            headers={**demo_headers, "content-type": "application/json"},
        )
        if text_envelope:
            assert_text(response, 413, "Request body too large")
        else:
            assert_json(response, 413, {"message": "Request body too large"})


class TestBodyLimitLowered:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"max_body_bytes": 2048}

    async def test_body_at_the_configured_limit_passes(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        document = b'{"enabled":true}'
        body = document + b" " * (2048 - len(document))
        response = await client.post(
            "/api/integrations/slack",
            content=body,
            headers={**demo_headers, "content-type": "application/json"},
        )
        assert_json(response, 200, {"enabled": True})

    async def test_body_past_the_configured_limit_is_413(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        document = b'{"enabled":true}'
        body = document + b" " * (2049 - len(document))
        response = await client.post(
            "/api/integrations/slack",
            content=body,
            headers={**demo_headers, "content-type": "application/json"},
        )
        assert_json(response, 413, {"message": "Request body too large"})
        graphql = await client.post(
            "/graphql",
            content=b'{"query":"{ __typename }"}' + b" " * 2049,
            headers={"content-type": "application/json"},
        )
        assert_json(graphql, 413, GRAPHQL_TOO_LARGE)
