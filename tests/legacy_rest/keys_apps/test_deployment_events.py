"""``GET /api/deployments/me/events`` (docs/CONTRACT.md §3.9, docs/decisions/0156) read by an
HTTP client (httpx, streaming) from the gateway under uvicorn on 127.0.0.1: a bound connection
updated in SQL arrives, with its log id; ``Last-Event-ID`` replays what was missed; five streams
per app and the sixth's exact 429, a closed stream freeing its slot at once (across two workers
when Redis is configured); an identity JWT refused with no SQL; a revoked key ends its stream."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

import httpx
import orjson
import pytest

from app.models import APP_KEY
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import Sessions, session_headers
from tests.legacy_rest.keys_apps.test_deployment_connections import (
    UNAUTHORIZED,
    no_jwt_decoding,  # noqa: F401  # a fixture
)
from tests.resolvers.test_subscriptions import served
from tests.support.catalog import demo_tenant_id
from tests.support.credentials import bearer, demo_key, identity_jwt, user_id_of
from tests.support.sql import counting_statements, run_sql
from tests.support.workspace import app_id_of, bindings_of, connection_of, key_row

PATH = "/api/deployments/me/events"
WITHIN = 2.0
HEARTBEAT = 0.3
TOO_MANY = {
    "error": {"code": "rate_limit_sse_streams", "message": "Too many concurrent SSE streams."}
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"events_heartbeat_seconds": HEARTBEAT}


class Events:
    """The frames of one stream: ``{"comment": …}`` or ``{"id", "event", "data"}``."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, seconds: float = WITHIN) -> dict[str, Any]:
        return await asyncio.wait_for(self._next(), seconds)

    async def _next(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        async for line in self.lines:
            if line == "":
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                fields["comment"] = line[1:].strip()
                continue
            name, _, value = line.partition(": ")
            fields[name] = orjson.loads(value) if name == "data" else value
        raise EOFError("the stream ended")

    async def event(self, seconds: float = WITHIN) -> dict[str, Any]:
        """The next event, skipping comments (heartbeats)."""
        deadline = time.monotonic() + seconds
        while True:
            frame = await self.next(max(deadline - time.monotonic(), 0.01))
            if "comment" not in frame:
                return frame


@asynccontextmanager
async def stream(base: str, key: str, last_event_id: int | None = None) -> AsyncIterator[Events]:
    headers = bearer(key)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    async with (
        httpx.AsyncClient(base_url=base, timeout=10) as http,
        http.stream("GET", PATH, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        events = Events(response)
        assert await events.next() == {"comment": "connected"}
        yield events


async def set_active(runtime: Runtime, connection_id: uuid.UUID, active: bool) -> None:
    stored = connection_id.hex if runtime.settings.is_sqlite else str(connection_id)
    flag = "true" if active else "false"
    await run_sql(runtime, f"UPDATE connections SET active = {flag} WHERE id = '{stored}'")


async def bound_connection(runtime: Runtime) -> Any:
    [(connection, _)] = await bindings_of(runtime, await app_id_of(runtime, "My Hermes"))
    return connection


def updated(event_id: str, connection: Any, active: bool) -> dict[str, Any]:
    return {
        "id": event_id,
        "event": "connection.updated",
        "data": {
            "id": str(connection.id),
            "provider": connection.provider,
            "profile": connection.profile,
            "active": active,
        },
    }


async def test_an_sql_update_of_a_bound_connection_arrives_and_heartbeats_flow(
    demo: None, settings: Settings, runtime: Runtime
) -> None:
    key = await demo_key(runtime, APP_KEY)
    connection = await bound_connection(runtime)
    unbound = await connection_of(runtime, await demo_tenant_id(runtime), "elevenlabs")
    with served(settings) as (base, _):
        async with stream(base, key) as events:
            assert await events.next() == {"comment": "heartbeat"}
            await set_active(runtime, unbound.id, False)  # not the app's: not told
            started = time.monotonic()
            await set_active(runtime, connection.id, False)
            event = await events.event()
            assert time.monotonic() - started < WITHIN
            assert event == updated(event["id"], connection, False)
            assert int(event["id"]) > 0


async def test_last_event_id_replays_what_was_missed_after_a_disconnect(
    demo: None, settings: Settings, runtime: Runtime
) -> None:
    key = await demo_key(runtime, APP_KEY)
    connection = await bound_connection(runtime)
    with served(settings) as (base, _):
        async with stream(base, key) as events:
            await set_active(runtime, connection.id, False)
            first = await events.event()
        await set_active(runtime, connection.id, True)  # while nobody listens
        await set_active(runtime, connection.id, False)
        async with stream(base, key, last_event_id=int(first["id"])) as events:
            second, third = await events.event(), await events.event()
            assert [second, third] == [
                updated(second["id"], connection, True),
                updated(third["id"], connection, False),
            ]
            assert int(first["id"]) < int(second["id"]) < int(third["id"])
            await set_active(runtime, connection.id, True)  # then live, nothing twice
            live = await events.event()
            assert live == updated(live["id"], connection, True)
            assert int(live["id"]) > int(third["id"])


def stored(runtime: Runtime, value: uuid.UUID) -> str:
    """A UUID as the database holds it (SQLite: its 32 hex digits)."""
    return value.hex if runtime.settings.is_sqlite else str(value)


def binding(
    event_id: str, name: str, app_id: uuid.UUID, connection_id: uuid.UUID
) -> dict[str, Any]:
    return {
        "id": event_id,
        "event": name,
        "data": {"app_id": str(app_id), "connection_id": str(connection_id)},
    }


async def test_bindings_written_by_sql_arrive_and_decide_which_connections_are_heard(
    demo: None, settings: Settings, runtime: Runtime
) -> None:
    key = await demo_key(runtime, APP_KEY)
    app_id = await app_id_of(runtime, "My Hermes")
    connection = await bound_connection(runtime)
    other = await connection_of(runtime, await demo_tenant_id(runtime), "elevenlabs")
    pair = f"'{stored(runtime, app_id)}', '{stored(runtime, other.id)}'"
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')" if settings.is_sqlite else "now()"
    with served(settings) as (base, _):
        async with stream(base, key) as events:
            await set_active(runtime, other.id, False)  # not bound yet: not told
            await run_sql(
                runtime,
                "INSERT INTO app_connection_bindings (app_id, connection_id, created_at) "
                f"VALUES ({pair}, {now})",
            )
            added = await events.event()
            assert added == binding(added["id"], "binding.added", app_id, other.id)
            await set_active(runtime, other.id, True)  # bound: told
            told = await events.event()
            assert told == updated(told["id"], other, True)
            await run_sql(
                runtime,
                "DELETE FROM app_connection_bindings "
                f"WHERE app_id = '{stored(runtime, app_id)}' "
                f"AND connection_id = '{stored(runtime, other.id)}'",
            )
            removed = await events.event()
            assert removed == binding(removed["id"], "binding.removed", app_id, other.id)
            await set_active(runtime, other.id, False)  # unbound again: not told
            await set_active(runtime, connection.id, False)
            last = await events.event()
            assert last == updated(last["id"], connection, False)
            assert int(added["id"]) < int(told["id"]) < int(removed["id"]) < int(last["id"])


@contextmanager
def workers(settings: Settings) -> Iterator[list[str]]:
    """Two workers when Redis is configured (the cap is counted there), else one."""
    with served(settings) as (first, _):
        if not str(settings.cache_url).startswith("redis"):
            yield [first]
            return
        with served(settings) as (second, _):
            yield [first, second]


async def test_five_streams_per_app_then_the_exact_429_and_a_closed_one_frees_its_slot(
    demo: None, settings: Settings, runtime: Runtime
) -> None:
    key = await demo_key(runtime, APP_KEY)
    with workers(settings) as bases:
        async with AsyncExitStack() as held:
            streams = [
                await held.enter_async_context(stream(bases[n % len(bases)], key)) for n in range(5)
            ]
            async with httpx.AsyncClient(base_url=bases[-1]) as http:
                refused = await http.get(PATH, headers=bearer(key))
                assert refused.status_code == 429
                assert refused.headers["vendo-error-code"] == "rate_limit_sse_streams"
                assert refused.headers["content-type"] == "application/json"
                assert orjson.loads(refused.content) == TOO_MANY
                await streams[0].response.aclose()  # one client goes away
                started = time.monotonic()
                while True:
                    async with http.stream("GET", PATH, headers=bearer(key)) as again:
                        if again.status_code == 200:
                            break
                    assert time.monotonic() - started < WITHIN, "the slot was not freed"
                    await asyncio.sleep(0.05)
                # Another app of the workspace has its own five.
                other = await demo_key(runtime, APP_KEY)
                async with stream(bases[0], other):
                    pass


async def test_an_identity_jwt_is_refused_with_no_sql(
    demo: None,
    settings: Settings,
    runtime: Runtime,
    sessions: Sessions,
    no_jwt_decoding: None,  # noqa: F811
) -> None:
    await sessions.create("demo@vendo.local")
    token = identity_jwt(await user_id_of(runtime, "demo@vendo.local"))
    app_key = await demo_key(runtime, "connection")
    with served(settings) as (base, served_runtime):
        async with httpx.AsyncClient(base_url=base) as http:
            with counting_statements(served_runtime) as statements:
                response = await http.get(PATH, headers=bearer(token))
            assert response.status_code == 401
            assert orjson.loads(response.content) == UNAUTHORIZED
            assert statements == []
            missing = await http.get(PATH)
            assert (missing.status_code, orjson.loads(missing.content)) == (
                401,
                {"error": {"message": "Missing Bearer token"}},
            )
            connection_key = await http.get(PATH, headers=bearer(app_key))
            assert connection_key.status_code == 401  # a Connection Key has no app


async def test_revoking_the_key_in_use_ends_its_stream(
    demo: None, settings: Settings, runtime: Runtime, sessions: Sessions
) -> None:
    token = await sessions.create("demo@vendo.local")
    key = await demo_key(runtime, APP_KEY)
    other = await demo_key(runtime, APP_KEY)
    row, other_row = await key_row(runtime, key), await key_row(runtime, other)
    with served(settings) as (base, served_runtime):
        async with stream(base, key) as events, stream(base, other) as bystander:
            async with httpx.AsyncClient(base_url=base) as http:
                response = await http.delete(
                    f"/api/keys/{row.id}",
                    headers={**session_headers(token), "Content-Type": "application/json"},
                )
                assert response.status_code == 200
            event = await events.event()
            assert event == {
                "id": event["id"],
                "event": "key.revoked",
                "data": {"key_id": str(row.id), "app_id": str(row.app_id)},
            }
            with pytest.raises(EOFError):
                await events.next()
            # Its slot is free; the other key's stream goes on, hearing only heartbeats.
            if not str(settings.cache_url).startswith("redis"):  # (else counted in Redis)
                await until(lambda: served_runtime.changes.slots.held(row.app_id) == 1)
            assert await bystander.next() == {"comment": "heartbeat"}
            assert other_row.app_id == row.app_id


async def until(condition: Callable[[], bool], seconds: float = WITHIN) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
