"""What a request loaded is freed as soon as it is answered, by reference counting — not left as
cyclic garbage (the loaders refer to themselves) for the garbage collector to find later, after
promoting it through its generations and walking it in full collections under load."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Row
from starlette.requests import Request

from app.settings import Settings
from resolvers.context import Context
from resolvers.engine.speedups.fastpath import FastExecutionContext
from resolvers.integrations.types import IntegrationType
from resolvers.tools.types import ToolType
from tests.conftest import Sessions, session_headers
from tests.support.garbage import collect_keeping, collector_by_hand

LEFT_BEHIND = (Row, IntegrationType, ToolType)
TOOLS = (
    "{ tools(first: 50) { nodes { slug integrations { required { integration { provider } } } } } }"
)
INTEGRATIONS = "{ integrations(first: 50) { nodes { provider tenantEnabled usageThisMonth } } }"
SLUG_QUERY = "query($slug: String!) { integration(slug: $slug) { provider name enabled } }"


@pytest.fixture
def cyclic_garbage() -> Callable[..., Awaitable[Counter[str]]]:
    """Runs a request with the collector off, then counts what only the collector could free
    (of the types ``kinds``)."""

    async def measure(
        request: Callable[[], Awaitable[Any]], kinds: tuple[type, ...] = LEFT_BEHIND
    ) -> Counter[str]:
        await request()  # warm: caches the first request fills are not the request's own
        with collector_by_hand() as garbage:
            await request()
            collect_keeping()
            return Counter(type(o).__name__ for o in garbage if isinstance(o, kinds))

    return measure


async def test_a_graphql_request_leaves_no_rows_for_the_garbage_collector(
    demo: None,
    client: httpx.AsyncClient,
    sessions: Sessions,
    cyclic_garbage: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Counter[str]]],
) -> None:
    headers = session_headers(await sessions.create("demo@vendo.local"))

    async def both() -> None:
        for query in (TOOLS, INTEGRATIONS):
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            assert response.status_code == 200, response.text
            assert "errors" not in response.json()

    assert await cyclic_garbage(both) == Counter()


async def test_a_legacy_route_leaves_no_rows_for_the_garbage_collector(
    demo: None,
    client: httpx.AsyncClient,
    sessions: Sessions,
    cyclic_garbage: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Counter[str]]],
) -> None:
    headers = session_headers(await sessions.create("demo@vendo.local"))

    async def signed_in_requests() -> None:
        for path in ("/api/integrations", "/api/tools/hermes/integrations", "/api/tools/hermes"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)

    assert await cyclic_garbage(signed_in_requests) == Counter()


async def test_an_answered_request_leaves_no_executor_context_or_request_behind(
    settings: Settings,
    demo: None,
    client: httpx.AsyncClient,
    sessions: Sessions,
    cyclic_garbage: Callable[..., Awaitable[Counter[str]]],
) -> None:
    """graphql-core's executor refers to itself (its ``async_helpers`` hold methods bound to
    it), and through it the request's context and connection: with the speed-ups on, the cycle
    is broken once the result is final (docs/decisions/0162), on the small lane and the normal
    path, synchronous or not, by a legacy route too."""
    if not settings.speedups:
        pytest.skip("VENDO_SPEEDUPS=false: the stock executor keeps its cycle (decision 0162)")
    headers = session_headers(await sessions.create("demo@vendo.local"))

    rounds = iter(range(1000))

    async def requests() -> None:
        # Texts new to the schema each round (a comment differs): the first of each takes the
        # normal path, the second the small lane.
        mark = f"\n# round {next(rounds)}"
        for query, variables in (
            ("{ __typename }", {}),  # answered synchronously
            (SLUG_QUERY, {"slug": "openrouter"}),  # awaits the database
            (INTEGRATIONS, {}),  # signed in, a list
        ):
            body = {"query": query + mark, "variables": variables}
            for _ in range(2):
                response = await client.post("/graphql", json=body, headers=headers)
                assert response.status_code == 200, response.text
                assert "errors" not in response.json()
        response = await client.get("/api/integrations/openrouter", headers=headers)
        assert response.status_code == 200, response.text

    left = await cyclic_garbage(requests, (Context, FastExecutionContext, Request))
    assert left == Counter()
