"""A served request leaves nothing to the cyclic garbage collector: what it built is freed by
reference counting as it ends. Objects in reference cycles wait for a collection instead; ~20 a
request made each young collection of a busy worker free ~50,000 of them at once, a 10–20 ms
pause every few thousand requests (docs/PERFORMANCE.md, "Memory").

The app runs with its speed-ups on (the default) whatever ``VENDO_SPEEDUPS`` says: with them off,
graphql-core's stock executor refers to itself and keeps each request's context in a cycle by
design (docs/decisions/0162); ``FastExecutionContext`` is the speed-up that breaks it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from tests.legacy_rest.v1_integrations.helpers import SECRET_KEY
from tests.support.credentials import bearer
from tests.support.garbage import collect_keeping, collector_by_hand

ROUNDS = 20
TOOLS = "{ tools(first: 20) { nodes { slug name } totalCount } }"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY, "speedups": True}


def _asgi(
    app: Starlette, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> Callable[[], Awaitable[int]]:
    """The request sent to the app as a server would (httpx's ASGI transport leaves cycles of
    its own): returns the status."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]

    async def request() -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": list(raw),
            "client": ("203.0.113.7", 50000), "server": ("testserver", 80),
        }  # fmt: skip
        status: list[int] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        return status[0]

    return request


async def _left_in_cycles(request: Callable[[], Awaitable[int]]) -> Counter[str]:
    """What ``ROUNDS`` requests leave in cycles, after as many that warm caches, pools,
    compiled statements and validated documents (their one-off garbage is freed, not counted)."""
    for _ in range(ROUNDS):
        assert await request() == 200
    with collector_by_hand() as garbage:
        for _ in range(ROUNDS):
            assert await request() == 200
        collect_keeping()
        return Counter(type(item).__qualname__ for item in garbage)


async def test_deployment_connections_leave_no_cycles(app: Starlette, app_key: str) -> None:
    """The request's DataLoaders close over their loaders: ``close`` must break that cycle."""
    request = _asgi(app, "GET", "/api/deployments/me/connections", bearer(app_key))
    left = await _left_in_cycles(request)
    assert left == Counter()


async def test_v1_integrations_leave_no_cycles(app: Starlette, headers: dict[str, str]) -> None:
    """The account's join is built per request (its tenant): no comparator cycles in it."""
    request = _asgi(app, "GET", "/api/v1/integrations", headers)
    left = await _left_in_cycles(request)
    assert left == Counter()


async def test_tool_listing_leaves_no_cycles(app: Starlette, demo: None) -> None:
    """Public tools: the listing's filter is built once, not per request."""
    request = _asgi(app, "POST", "/graphql", {}, orjson.dumps({"query": TOOLS}))
    left = await _left_in_cycles(request)
    assert left == Counter()
