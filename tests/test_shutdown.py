"""A stop with streams open (docs/decisions/0159): ``vendo-gateway serve`` as a subprocess on a
fresh database (PostgreSQL and Redis when configured), an events stream and a WebSocket
subscription open and each having received a change; SIGTERM ends the stream with its last
chunk and closes the socket with 1001, well inside the grace time, and the process exits 0; a
client reconnecting to a new server with ``Last-Event-ID`` gets the changes written while it was
away, once each. ``/readyz`` answers 503 while the worker drains."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosedOK

from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import session_headers
from tests.legacy_rest.keys_apps.test_deployment_events import (
    Events,
    bound_connection,
    set_active,
    stream,
    updated,
)
from tests.resolvers.test_subscriptions import CONNECTION_CHANGED, receive, socket, subscribe
from tests.support.workspace import app_id_of
from tests.test_serve_workers import (
    Deployment,
    cli,
    deployment,  # noqa: F401  # a fixture
    free_port,
    run,
)

GRACE_SECONDS = 30  # what the server is given; the streams must end long before
ENDED_WITHIN = 5.0  # seconds the test waits for each stream's end
STARTUP_SECONDS = 25.0


@contextmanager
def serving(deployed: Deployment) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``vendo-gateway serve`` (one worker) until /healthz answers: its base URL and process."""
    port = free_port()
    env = deployed.env | {"VENDO_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS)}
    log = (deployed.cwd / f"serve-{port}.log").open("wb")
    server = subprocess.Popen(
        cli("serve", "--port", str(port)), cwd=deployed.cwd, env=env, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, "serve exited"
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        yield base, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        log.close()


@asynccontextmanager
async def database(deployed: Deployment) -> AsyncIterator[Runtime]:
    """The deployment's database, for the test's own reads and writes (nothing started)."""
    runtime = Runtime.create(Settings(database_url=deployed.env["VENDO_DATABASE_URL"]))
    try:
        yield runtime
    finally:
        await runtime.close()


def credentials(deployed: Deployment, app_id: uuid.UUID) -> tuple[str, str]:
    """A session of the demo user and an App Key of the app, minted with the CLI."""
    session = run(deployed, "session", "create", "--email", "demo@vendo.local")
    key = run(deployed, "key", "create", "--app", str(app_id))
    return session.splitlines()[-1], key.splitlines()[-1]


async def heard_by_both(
    db: Runtime, connection: Any, events: Events, ws: ClientConnection
) -> tuple[dict[str, Any], bool]:
    """Change the connection in SQL until the socket's subscription (whose start nothing
    announces) hears it too: the stream's last event, and the connection's state."""
    active = False
    for _ in range(10):
        await set_active(db, connection.id, active)
        seen = await events.event()
        assert seen == updated(seen["id"], connection, active)
        with contextlib.suppress(TimeoutError):
            if (await receive(ws, 1.0))["type"] == "next":
                return seen, active
        active = not active
    raise AssertionError("the subscription heard nothing")


async def rest(events: Events) -> list[dict[str, Any]]:
    """Every frame left until the stream ends; httpx raises if it ends without its last chunk."""
    frames = []
    while True:
        try:
            frames.append(await events.next(ENDED_WITHIN))
        except EOFError:
            return frames


async def test_sigterm_ends_open_streams_cleanly_and_a_reconnect_loses_nothing(
    deployment: Deployment,  # noqa: F811  # the fixture imported above
) -> None:
    run(deployment, "migrate")
    run(deployment, "seed", "--demo")
    async with database(deployment) as db:
        connection = await bound_connection(db)
        token, key = credentials(deployment, await app_id_of(db, "My Hermes"))
        with serving(deployment) as (base, server):
            async with stream(base, key) as events, socket(base, session_headers(token)) as ws:
                await subscribe(ws, CONNECTION_CHANGED)
                seen, active = await heard_by_both(db, connection, events, ws)

                server.send_signal(signal.SIGTERM)
                assert await rest(events) == [{"comment": "shutting down", "retry": "1000"}]
                with pytest.raises(ConnectionClosedOK) as closed:
                    await asyncio.wait_for(ws.recv(), ENDED_WITHIN)
                assert closed.value.rcvd is not None
                assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
                    1001,
                    "Server shutting down",
                )
            assert await asyncio.to_thread(server.wait, GRACE_SECONDS) == 0

        # While no server runs, the platform changes the connection twice.
        await set_active(db, connection.id, not active)
        await set_active(db, connection.id, active)
        with serving(deployment) as (base, server):
            async with stream(base, key, last_event_id=int(seen["id"])) as events:
                back, again = await events.event(), await events.event()
                assert back == updated(back["id"], connection, not active)
                assert again == updated(again["id"], connection, active)
                assert int(seen["id"]) < int(back["id"]) < int(again["id"])
                await set_active(db, connection.id, not active)  # live: the next, no repeat
                live = await events.event()
                assert live == updated(live["id"], connection, not active)
                assert int(live["id"]) > int(again["id"])
            server.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(server.wait, GRACE_SECONDS) == 0


async def test_readyz_answers_503_while_the_worker_drains(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    await runtime.draining.drain()
    response = await client.get("/readyz")
    assert (response.status_code, json.loads(response.content)) == (
        503,
        {"status": "unavailable", "checks": {"shutdown": "draining"}},
    )
