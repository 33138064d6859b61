"""The front door of the anonymous cache hits (``CachedAnswers``): a hit is answered before the
middleware stack and the router, with exactly the status, headers, body and log line the endpoint
gives; a credential, a miss, another method or another route goes down the stack as before."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.web import routing
from legacy_rest.endpoint import LegacyEndpoint
from tests.conftest import Sessions, session_headers


class EndpointCalls:
    """Counts the requests that reached a legacy endpoint (the slow path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = LegacyEndpoint._handle

        async def handle(endpoint: LegacyEndpoint, request: Any) -> Any:
            self.count += 1
            return await original(endpoint, request)

        monkeypatch.setattr(LegacyEndpoint, "_handle", handle)


@pytest.fixture
def endpoint_calls(monkeypatch: pytest.MonkeyPatch) -> EndpointCalls:
    return EndpointCalls(monkeypatch)


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]
    return response.status_code, headers, response.content


@pytest.mark.parametrize(
    "path",
    [
        "/api/integrations",
        "/api/integrations/openrouter",
        "/api/tools/catalog",  # also matches /api/tools/{slug}: the router's first route wins
        "/api/tools/hermes/usage-framing",  # cached for everyone
    ],
)
async def test_a_hit_is_answered_at_the_front_door_exactly_as_the_endpoint_answers(
    demo: None, client: httpx.AsyncClient, endpoint_calls: EndpointCalls, path: str
) -> None:
    miss = await client.get(path)
    assert miss.status_code == 200, miss.text
    assert endpoint_calls.count == 1
    hit = await client.get(path)
    assert endpoint_calls.count == 1  # not down the stack
    assert comparable(hit) == comparable(miss)
    assert hit.headers["x-request-id"] != miss.headers["x-request-id"]


async def test_the_front_door_keeps_the_access_line_and_the_callers_request_id(
    demo: None,
    client: httpx.AsyncClient,
    endpoint_calls: EndpointCalls,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="vendo.access")
    await client.get("/api/integrations")
    caplog.clear()
    hit = await client.get("/api/integrations", headers={"X-Request-ID": "front-door-1"})
    assert endpoint_calls.count == 1
    assert hit.headers["x-request-id"] == "front-door-1"
    [record] = [r for r in caplog.records if r.name == "vendo.access"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["request_id"] == "front-door-1"
    assert fields["route"] == "GET /api/integrations"
    assert fields["operation"] == "LegacyIntegrationList"
    assert fields["status"] == 200


async def test_a_signed_in_request_never_gets_the_anonymous_entry(
    demo: None, client: httpx.AsyncClient, sessions: Sessions, endpoint_calls: EndpointCalls
) -> None:
    anonymous = (await client.get("/api/integrations")).json()
    assert list(anonymous) == ["integrations"]  # the anonymous canonical shape
    headers = session_headers(await sessions.create("demo@vendo.local"))
    for _ in range(2):
        signed_in = await client.get("/api/integrations", headers=headers)
        assert signed_in.status_code == 200
        assert isinstance(signed_in.json(), list)  # the bare array with the tenant overlay
    assert endpoint_calls.count == 3


async def test_head_other_methods_misses_and_unknown_paths_go_down_the_stack(
    demo: None, client: httpx.AsyncClient, endpoint_calls: EndpointCalls
) -> None:
    await client.get("/api/integrations")
    head = await client.head("/api/integrations")
    assert head.status_code == 200
    assert endpoint_calls.count == 2
    assert (await client.get("/api/integrations?category=llm")).status_code == 200  # a miss
    assert endpoint_calls.count == 3
    unknown = await client.get("/api/integrations/no-such-provider")
    assert unknown.status_code == 404
    assert unknown.json() == (await client.get("/api/integrations/no-such-provider")).json()
    assert endpoint_calls.count == 5  # errors are never cached
    assert (await client.get("/api/nothing-here")).status_code == 404


async def test_the_route_memo_is_bounded(
    demo: None,
    app: Starlette,
    client: httpx.AsyncClient,
    endpoint_calls: EndpointCalls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The front door finds its route in the router's memory (app/web/routing.py): bounded,
    and a path no route answers is not remembered at all."""
    monkeypatch.setattr(routing, "MEMO_PATHS", 2)
    await client.get("/api/integrations")
    for n in range(5):
        assert (await client.get(f"/unknown/{n}")).status_code == 404
        assert (await client.get(f"/api/integrations/no-such-{n}")).status_code == 404
    assert len(app.router._matched) <= 2
    assert not any(path.startswith("/unknown/") for _, _, path in app.router._matched)
    before = endpoint_calls.count
    assert (await client.get("/api/integrations")).status_code == 200
    assert endpoint_calls.count == before  # forgotten, found again, still a front-door hit


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        # A public route reads no credential: an Authorization header changes nothing.
        ("/api/tools/hermes/usage-framing", {"Authorization": "Bearer vendo_sk_not-read-here"}),
        # The dashboard routes read the session cookie only.
        ("/api/integrations", {"Authorization": "Bearer vendo_sk_not-read-here"}),
        ("/api/integrations", {"Cookie": "theme=dark"}),
    ],
)
async def test_headers_a_route_does_not_read_keep_the_front_door(
    demo: None,
    client: httpx.AsyncClient,
    endpoint_calls: EndpointCalls,
    path: str,
    headers: dict[str, str],
) -> None:
    miss = await client.get(path)
    hit = await client.get(path, headers=headers)
    assert endpoint_calls.count == 1
    assert comparable(hit) == comparable(miss)
