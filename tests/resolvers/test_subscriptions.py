"""GraphQL subscriptions over graphql-transport-ws, with a real client (``websockets``) against
the gateway under uvicorn on 127.0.0.1: a toggle made through REST reaches the workspace's
subscribers and no other workspace's; connection rows written straight into the database reach
``connectionChanged`` within 2 s (PostgreSQL: the triggers' NOTIFY; SQLite: the log's poll)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.changes import CONNECTION, Change
from app.factory import create_app
from app.models import utcnow
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import REDIS_URL, Sessions, needs_postgres, needs_redis, session_headers
from tests.support.servers import gateway
from tests.tcp_proxy import TcpProxy
from tests.test_faults import through

PROTOCOL = "graphql-transport-ws"
INTEGRATION_CHANGED = "subscription { integrationChanged { provider tenantEnabled provisioned } }"
CONNECTION_CHANGED = "subscription { connectionChanged { id provider profile active } }"
WITHIN = 2.0  # seconds: how soon a change must reach a subscriber


@contextmanager
def served(settings: Settings, *, wait: bool = True) -> Iterator[tuple[str, Runtime]]:
    """The gateway under uvicorn: its base URL and its runtime (to see its subscribers). With
    ``wait``, once its change listeners listen (``listening``: when something of the test's
    loop, a proxy, stands in the way)."""
    app: Starlette = create_app(settings)
    with gateway(settings, app) as base:
        runtime: Runtime = app.state.runtime
        if wait:
            wait_until(lambda: listening(runtime))
        yield base, runtime


def listening(runtime: Runtime) -> bool:
    relay = runtime.changes.relay
    return runtime.changes.watcher.listening.is_set() and (
        relay is None or relay.listening.is_set()
    )


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def socket(
    base: str, headers: dict[str, str] | None = None, payload: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    url = base.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers or {}) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        assert await receive(ws, 5) == {"type": "connection_ack"}
        yield ws


async def subscribe(ws: ClientConnection, query: str, id: str = "1") -> None:
    await ws.send(json.dumps({"id": id, "type": "subscribe", "payload": {"query": query}}))


async def receive(ws: ClientConnection, seconds: float = WITHIN) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), seconds)
    assert isinstance(frame, str)  # text frames, as the protocol (and browsers) want
    return json.loads(frame)  # type: ignore[no-any-return]


async def drain(ws: ClientConnection) -> None:
    """Read until the server closes the socket."""
    while True:
        await receive(ws, 5)


async def toggle(base: str, token: str, slug: str, enabled: bool) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.post(
            f"/api/integrations/{slug}",
            json={"enabled": enabled},
            headers={**session_headers(token), "Content-Type": "application/json"},
        )
    assert response.status_code == 200, response.text


def subscribers(runtime: Runtime) -> int:
    return runtime.changes.hub.count


async def test_a_rest_toggle_reaches_the_workspace_and_no_other(
    demo: None, sessions: Sessions, settings: Settings
) -> None:
    demo_token = await sessions.create("demo@vendo.local")
    other_token = await sessions.create("someone@example.com")
    with served(settings) as (base, runtime):
        async with (
            socket(base, session_headers(demo_token)) as mine,
            socket(base, session_headers(other_token)) as theirs,
        ):
            await subscribe(mine, INTEGRATION_CHANGED)
            await subscribe(theirs, INTEGRATION_CHANGED)
            await until(lambda: subscribers(runtime) == 2)
            started = time.monotonic()
            await toggle(base, demo_token, "telegram", True)
            assert await receive(mine) == {
                "id": "1",
                "type": "next",
                "payload": {
                    "data": {
                        "integrationChanged": {
                            "provider": "telegram",
                            "tenantEnabled": True,
                            "provisioned": False,
                        }
                    }
                },
            }
            assert time.monotonic() - started < WITHIN
            with pytest.raises(TimeoutError):
                await receive(theirs, 1.0)


async def test_connection_init_authorization_and_anonymous_callers(
    demo: None, sessions: Sessions, settings: Settings
) -> None:
    token = await sessions.create("demo@vendo.local")
    with served(settings) as (base, runtime):
        async with socket(base, payload={"Authorization": f"Bearer {token}"}) as ws:
            await subscribe(ws, INTEGRATION_CHANGED)
            await until(lambda: subscribers(runtime) == 1)
            await toggle(base, token, "telegram", True)
            message = await receive(ws)
            assert message["payload"]["data"]["integrationChanged"]["provider"] == "telegram"
        async with socket(base) as anonymous:
            await subscribe(anonymous, CONNECTION_CHANGED, id="a")
            assert await receive(anonymous) == {
                "id": "a",
                "type": "error",
                "payload": [
                    {
                        "message": "Unauthorized",
                        "locations": [{"line": 1, "column": 16}],
                        "path": ["connectionChanged"],
                        "extensions": {"code": "UNAUTHENTICATED"},
                    }
                ],
            }
        url = base.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=[PROTOCOL]) as refused:
            bad = {"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}
            await refused.send(json.dumps(bad))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(refused.recv(), 5)
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")


async def _demo_tenant(runtime: Runtime) -> uuid.UUID:
    async with runtime.db.connect() as connection:
        value = (
            await connection.execute(text("SELECT id FROM tenants WHERE slug = 'demo'"))
        ).scalar_one()
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def test_connection_rows_written_by_sql_reach_subscribers(
    demo: None, sessions: Sessions, settings: Settings, runtime: Runtime
) -> None:
    """Another system's writes: an INSERT and an UPDATE, in SQL, on another connection."""
    token = await sessions.create("demo@vendo.local")
    tenant = await _demo_tenant(runtime)
    connection_id = uuid.uuid4()
    sqlite = runtime.settings.is_sqlite
    stored = connection_id.hex if sqlite else str(connection_id)
    tenant_value = tenant.hex if sqlite else str(tenant)
    with served(settings) as (base, served_runtime):
        async with socket(base, session_headers(token)) as ws:
            await subscribe(ws, CONNECTION_CHANGED)
            await until(lambda: subscribers(served_runtime) == 1)
            started = time.monotonic()
            async with runtime.db.write() as session, session.begin():
                await session.execute(
                    text(
                        "INSERT INTO connections (id, tenant_id, provider, profile, active, "
                        "created_at) VALUES (:id, :tenant, 'anthropic', 'byok_static', true, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"id": stored, "tenant": tenant_value},
                )
            assert await receive(ws) == {
                "id": "1",
                "type": "next",
                "payload": {
                    "data": {
                        "connectionChanged": {
                            "id": str(connection_id),
                            "provider": "anthropic",
                            "profile": "byok_static",
                            "active": True,
                        }
                    }
                },
            }
            assert time.monotonic() - started < WITHIN
            started = time.monotonic()
            async with runtime.db.write() as session, session.begin():
                await session.execute(
                    text("UPDATE connections SET active = false WHERE id = :id"), {"id": stored}
                )
            update = await receive(ws)
            assert update["payload"]["data"]["connectionChanged"]["active"] is False
            assert time.monotonic() - started < WITHIN


async def test_a_multipart_http_subscription_receives_a_toggle(
    demo: None, sessions: Sessions, settings: Settings
) -> None:
    """What Apollo Client does without a WebSocket: a POST answered multipart/mixed."""
    token = await sessions.create("demo@vendo.local")
    with served(settings) as (base, runtime):
        async with (
            httpx.AsyncClient(base_url=base, timeout=10) as http,
            http.stream(
                "POST",
                "/graphql",
                json={"query": INTEGRATION_CHANGED},
                headers={
                    **session_headers(token),
                    "Accept": 'multipart/mixed;subscriptionSpec="1.0",application/json',
                },
            ) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("multipart/mixed")
            await until(lambda: subscribers(runtime) == 1)
            await toggle(base, token, "telegram", True)
            seen = ""
            async for chunk in response.aiter_text():
                seen += chunk
                if "telegram" in seen:
                    break
    part = next(p for p in seen.split("--graphql") if "telegram" in p)
    body = json.loads(part.split("\r\n\r\n", 1)[1].strip())
    assert body == {
        "payload": {
            "data": {
                "integrationChanged": {
                    "provider": "telegram",
                    "tenantEnabled": True,
                    "provisioned": False,
                }
            }
        }
    }


ALIASED = "subscription { connectionChanged { " + " ".join(f"a{i}: id" for i in range(16)) + " } }"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (ALIASED, "16 aliases found. Allowed: 15"),
        (
            "subscription { connectionChanged { nope } }",
            "Cannot query field 'nope' on type 'ConnectionChange'.",
        ),
    ],
)
async def test_document_protections_apply_to_subscriptions(
    demo: None, sessions: Sessions, settings: Settings, document: str, message: str | None
) -> None:
    token = await sessions.create("demo@vendo.local")
    with served(settings) as (base, runtime):
        async with socket(base, session_headers(token)) as ws:
            await subscribe(ws, document)
            answer = await receive(ws)
    assert answer["type"] == "error"
    assert [error["message"] for error in answer["payload"]] == [message]
    assert subscribers(runtime) == 0


class TestCaps:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"subscriptions_per_connection": 2, "subscriptions_per_workspace": 3}

    async def test_a_socket_and_a_workspace_hold_so_many_subscriptions(
        self, demo: None, sessions: Sessions, settings: Settings
    ) -> None:
        token = await sessions.create("demo@vendo.local")
        with served(settings) as (base, runtime):
            async with (
                socket(base, session_headers(token)) as first,
                socket(base, session_headers(token)) as second,
            ):
                for id in ("1", "2"):
                    await subscribe(first, CONNECTION_CHANGED, id=id)
                await subscribe(first, CONNECTION_CHANGED, id="3")
                assert await receive(first) == {
                    "id": "3",
                    "type": "error",
                    "payload": [{"message": "Subscription limit reached"}],
                }
                await until(lambda: subscribers(runtime) == 2)
                await subscribe(second, CONNECTION_CHANGED, id="4")
                await until(lambda: subscribers(runtime) == 3)
                await subscribe(second, CONNECTION_CHANGED, id="5")
                assert await receive(second) == {
                    "id": "5",
                    "type": "error",
                    "payload": [
                        {
                            "message": "Too many subscriptions for this workspace",
                            "locations": [{"line": 1, "column": 16}],
                            "path": ["connectionChanged"],
                            "extensions": {"code": "RATE_LIMITED"},
                        }
                    ],
                }
                await first.send(json.dumps({"id": "1", "type": "complete"}))
                await until(lambda: subscribers(runtime) == 2)  # a slot freed at once


class TestSlowSubscriber:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"subscription_queue_size": 3}

    async def test_a_subscriber_that_falls_behind_is_closed_with_a_reason(
        self, demo: None, sessions: Sessions, settings: Settings, runtime: Runtime
    ) -> None:
        """More changes land at once than the subscription may keep unread: the socket is
        closed with 1008 and the reason, and the worker holds nothing for it."""
        token = await sessions.create("demo@vendo.local")
        tenant = await _demo_tenant(runtime)
        with served(settings) as (base, serving):
            async with socket(base, session_headers(token)) as ws:
                await subscribe(ws, CONNECTION_CHANGED)
                await until(lambda: subscribers(serving) == 1)
                burst = [
                    Change(
                        id=10_000 + n,
                        tenant_id=tenant,
                        app_id=None,
                        kind=CONNECTION,
                        subject="",
                        payload={
                            "id": str(uuid.uuid4()),
                            "provider": "anthropic",
                            "profile": "byok_static",
                            "active": True,
                        },
                        created_at=utcnow(),
                    )
                    for n in range(5)
                ]
                loop = serving.changes.watcher._task.get_loop()  # type: ignore[union-attr]
                loop.call_soon_threadsafe(lambda: [serving.changes.hub.deliver(c) for c in burst])
                with pytest.raises(ConnectionClosed) as closed:
                    await drain(ws)
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
                1008,
                "Subscriber too slow: more than 3 changes unread",
            )
            assert subscribers(serving) == 0


async def test_a_page_on_another_origin_cannot_open_a_socket(
    demo: None, sessions: Sessions, settings: Settings
) -> None:
    token = await sessions.create("demo@vendo.local")
    with served(settings) as (base, _):
        url = base.replace("http://", "ws://") + "/graphql"
        headers = {**session_headers(token), "Origin": "https://evil.example"}
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers):
                pass
    assert refused.value.response.status_code == 403


@needs_postgres
@needs_redis
async def test_a_worker_that_lost_redis_catches_up_when_it_returns(
    demo: None, sessions: Sessions, settings: Settings
) -> None:
    """Two gateways on one PostgreSQL and Redis; the subscriber's reaches Redis through a proxy,
    which is stopped (Redis gone, for it) while the other takes a toggle, then started again:
    the change, which only travelled on Redis, arrives once the subscriber's gateway is back."""
    token = await sessions.create("demo@vendo.local")
    assert REDIS_URL is not None
    target = urlparse(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    behind = settings.model_copy(update={"cache_url": through(REDIS_URL, proxy)})
    try:
        with served(settings) as (other, _), served(behind, wait=False) as (base, runtime):
            await until(lambda: listening(runtime))
            relay = runtime.changes.relay
            assert relay is not None
            async with socket(base, session_headers(token)) as ws:
                await subscribe(ws, INTEGRATION_CHANGED)
                await until(lambda: subscribers(runtime) == 1)
                await proxy.stop()
                await until(lambda: not relay.listening.is_set())
                await toggle(other, token, "telegram", True)
                with pytest.raises(TimeoutError):
                    await receive(ws, 1.0)  # it travelled on Redis only
                await proxy.start()
                message = await receive(ws, 10.0)
                assert relay.listening.is_set()
    finally:
        await proxy.stop()
    assert message["payload"]["data"]["integrationChanged"] == {
        "provider": "telegram",
        "tenantEnabled": True,
        "provisioned": False,
    }


@needs_postgres
async def test_the_database_listener_catches_up_after_an_outage(
    demo: None, sessions: Sessions, settings: Settings, runtime: Runtime
) -> None:
    """The gateway reaches PostgreSQL through a proxy, which is stopped (the listening
    connection dies) while another system inserts a connection row, then started again: the
    row's change, whose NOTIFY nobody heard, arrives once the listener is back."""
    token = await sessions.create("demo@vendo.local")
    tenant = await _demo_tenant(runtime)
    target = urlparse(settings.database_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    behind = settings.model_copy(update={"database_url": through(settings.database_url, proxy)})
    connection_id = uuid.uuid4()
    try:
        with served(behind, wait=False) as (base, serving):
            await until(lambda: listening(serving))
            watcher = serving.changes.watcher
            async with socket(base, session_headers(token)) as ws:
                await subscribe(ws, CONNECTION_CHANGED)
                await until(lambda: subscribers(serving) == 1)
                await proxy.stop()
                await until(lambda: not watcher.listening.is_set())
                async with runtime.db.write() as session, session.begin():
                    await session.execute(
                        text(
                            "INSERT INTO connections (id, tenant_id, provider, profile, active, "
                            "created_at) VALUES (:id, :tenant, 'anthropic', 'byok_static', true, "
                            "now())"
                        ),
                        {"id": connection_id, "tenant": tenant},
                    )
                with pytest.raises(TimeoutError):
                    await receive(ws, 1.0)  # its NOTIFY went to no one
                await proxy.start()
                message = await receive(ws, 15.0)
    finally:
        await proxy.stop()
    assert message["payload"]["data"]["connectionChanged"] == {
        "id": str(connection_id),
        "provider": "anthropic",
        "profile": "byok_static",
        "active": True,
    }


async def test_a_catalog_save_reaches_every_workspace(
    demo: None, sessions: Sessions, settings: Settings
) -> None:
    """A bulk save changes the catalog, which every workspace sees: each subscriber is told,
    with its own workspace's state."""
    staff = await sessions.create("admin@vendo.local", staff=True)
    tokens = [await sessions.create(e) for e in ("demo@vendo.local", "someone@example.com")]
    save = (
        "mutation Save($items: JSON) "
        "{ saveIntegrations(integrations: $items) { integrations { name } } }"
    )
    item = {
        "name": "live-made",
        "type": "ollama",
        "configuration": {"endpoint": "http://127.0.0.1:11434"},
        "apis": [{"integrationName": "live-made", "api": "llama3", "description": "Llama 3"}],
    }
    with served(settings) as (base, runtime):
        async with (
            socket(base, session_headers(tokens[0])) as mine,
            socket(base, session_headers(tokens[1])) as theirs,
        ):
            for ws in (mine, theirs):
                await subscribe(ws, INTEGRATION_CHANGED)
            await until(lambda: subscribers(runtime) == 2)
            async with httpx.AsyncClient(base_url=base) as http:
                saved = await http.post(
                    "/graphql",
                    json={
                        "query": save,
                        "variables": {"items": [item]},
                    },
                    headers=session_headers(staff),
                )
            assert saved.json() == {
                "data": {"saveIntegrations": {"integrations": [{"name": "live-made"}]}}
            }
            told = [await receive(ws) for ws in (mine, theirs)]
    assert [message["payload"]["data"]["integrationChanged"] for message in told] == [
        {"provider": "live-made", "tenantEnabled": False, "provisioned": False}
    ] * 2
