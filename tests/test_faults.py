"""Faults (docs/decisions/0038, 0040, 0041): the database unreachable
or locked → 503 in each route's own envelope within a bounded time, and recovery without a
restart; Redis unreachable → answers still right with the cache bypassed, rate limits failing
open to per-worker memory, the outage logged once; a slow upstream bounded by its timeout; bad
REST bodies → 400, never 500.

The outages are real: a TCP proxy (tests/tcp_proxy.py) stands between the gateway and PostgreSQL
or Redis and is stopped, black-holed and started again; SQLite is locked from another
connection."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.models import App, Integration, Tenant, TenantIntegration
from app.runtime import Runtime
from tests.conftest import POSTGRES_URL, REDIS_URL, Sessions, needs_postgres, needs_redis
from tests.support.credentials import mint_key, sign_up
from tests.support.documents import ENABLE_SLACK, GRAPHQL_UNAVAILABLE
from tests.support.http import assert_json, assert_text
from tests.support.sql import WriteLock
from tests.tcp_proxy import TcpProxy
from tests.upstream import Upstream

SECRET_KEY = Fernet.generate_key().decode()
UNAVAILABLE_FLAT = {"message": "Service unavailable"}
UNAVAILABLE_STRING = {"error": "Service unavailable"}
CONNECT_TIMEOUT = 1.0
STATEMENT_TIMEOUT = 1.0
SLACK = 1.5
INTEGRATIONS_QUERY = "{ integrations { totalCount } }"


# (name, the request, the check of its answer while the dependency is down)
Probe = tuple[str, Callable[[], Awaitable[httpx.Response]], Callable[[httpx.Response], None]]


def graphql_unavailable_at(field: str) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [
            {
                "message": "Service unavailable",
                "locations": [{"line": 1, "column": 3 if field == "integrations" else 12}],
                "path": [field],
                "extensions": {"code": "UNAVAILABLE"},
            }
        ],
    }


def ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text


async def timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await call
    return response, time.perf_counter() - started


@asynccontextmanager
async def proxy_in_front_of(url: str, default_port: int) -> AsyncIterator[TcpProxy]:
    """A started TCP proxy to the host and port of ``url``; stopped on the way out."""
    target = urlparse(url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or default_port)
    await proxy.start()
    yield proxy
    await proxy.stop()


def through(url: str, proxy: TcpProxy) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    parsed = urlparse(url)
    netloc = parsed.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    new = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return parsed._replace(netloc=new).geturl()


# --------------------------------------------------------------------------------------------
# PostgreSQL unreachable (a real TCP proxy in front of 127.0.0.1:5432)


@pytest.fixture
async def pg_proxy() -> AsyncIterator[TcpProxy]:
    async with proxy_in_front_of(POSTGRES_URL or "postgresql://127.0.0.1:5432/x", 5432) as proxy:
        yield proxy


@needs_postgres
class TestPostgresUnreachable:
    @pytest.fixture
    def settings_overrides(self, database_url: str, pg_proxy: TcpProxy) -> dict[str, Any]:
        return {
            "database_url": through(database_url, pg_proxy),
            "db_connect_timeout_seconds": CONNECT_TIMEOUT,
            "db_statement_timeout_seconds": STATEMENT_TIMEOUT,
            "secret_keys": SECRET_KEY,
        }

    @pytest.fixture
    async def credentials(
        self, runtime: Runtime, sessions: Sessions, demo: None
    ) -> dict[str, dict[str, str]]:
        session, _ = await sign_up(sessions, runtime, "pg-fault@example.com")
        demo_session = {"Cookie": f"vendo_session={await sessions.create('demo@vendo.local')}"}
        async with runtime.db.read() as db:
            app_id = await db.scalar(select(App.id).where(App.name == "My Hermes"))
        key = await mint_key(runtime, app_id=app_id)
        return {
            "session": session,
            "demo": demo_session,
            "key": {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"},
        }

    def routes(self, client: httpx.AsyncClient, creds: dict[str, dict[str, str]]) -> list[Probe]:
        """A route of each envelope, with the check of its 503 answer."""

        def flat(r: httpx.Response) -> None:
            assert_json(r, 503, UNAVAILABLE_FLAT)

        return [
            (
                "list signed in",
                lambda: client.get("/api/integrations", headers=creds["demo"]),
                flat,
            ),
            ("list anonymous", lambda: client.get("/api/integrations"), flat),
            (
                "usage",
                lambda: client.get("/api/integrations/openrouter/usage", headers=creds["demo"]),
                flat,
            ),
            (
                "toggle",
                lambda: client.post(
                    "/api/integrations/slack", json={"enabled": True}, headers=creds["demo"]
                ),
                flat,
            ),
            ("public pricing", lambda: client.get("/api/pricing/public/openrouter"), flat),
            (
                "tool detail",
                lambda: client.get("/api/tools/hermes"),
                lambda r: assert_json(r, 503, UNAVAILABLE_STRING),
            ),
            (
                "tools catalog",
                lambda: client.get("/api/tools/catalog"),
                lambda r: assert_json(r, 200, {"tools": []}),
            ),
            (
                "deployable",
                lambda: client.get("/api/tools/deployable"),
                lambda r: assert_json(r, 200, {"tools": []}),
            ),
            (
                "v1 list",
                lambda: client.get("/api/v1/integrations", headers=creds["key"]),
                lambda r: assert_text(r, 503, "Service unavailable"),
            ),
            (
                "v1 install",
                lambda: client.post(
                    "/api/v1/integrations/openai/install", json={}, headers=creds["key"]
                ),
                lambda r: assert_text(r, 503, "Service unavailable"),
            ),
            (
                "graphql signed in",
                lambda: client.post(
                    "/graphql", json={"query": INTEGRATIONS_QUERY}, headers=creds["session"]
                ),
                lambda r: assert_json(r, 503, GRAPHQL_UNAVAILABLE),
            ),
            (
                "graphql anonymous",
                lambda: client.post("/graphql", json={"query": INTEGRATIONS_QUERY}),
                lambda r: assert_json(r, 200, graphql_unavailable_at("integrations")),
            ),
        ]

    async def test_postgres_down_answers_503_per_envelope_then_recovers(
        self,
        client: httpx.AsyncClient,
        pg_proxy: TcpProxy,
        credentials: dict[str, dict[str, str]],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        routes = self.routes(client, credentials)
        for name, call, _ in routes:  # warm the pool: every route works through the proxy
            if name not in ("list anonymous", "tools catalog"):  # (those would be cached)
                assert (await call()).status_code == 200, name
        await pg_proxy.stop()
        for name, call, check in routes:
            response, elapsed = await timed(call())
            check(response)
            assert elapsed < CONNECT_TIMEOUT + SLACK, f"{name}: answered after {elapsed:.2f} s"
        # Every route failed, and the outage was logged once, with no traceback.
        assert fault_records(caplog, "database unreachable") == [
            "database unreachable (ConnectionRefusedError): answering 503 until it is back"
        ]
        assert not [r for r in caplog.records if r.exc_info], "an outage is not a bug"
        await pg_proxy.start()
        for name, call, _ in routes:
            response, elapsed = await timed(call())
            assert response.status_code == 200, (name, response.text)
            assert response.content != b'{"tools":[]}', name
            assert elapsed < SLACK, f"{name}: recovered after {elapsed:.2f} s"
        assert fault_records(caplog, "database reachable again") == ["database reachable again"]

    async def test_postgres_black_hole_answers_503_within_the_connect_timeout(
        self,
        client: httpx.AsyncClient,
        pg_proxy: TcpProxy,
        credentials: dict[str, dict[str, str]],
    ) -> None:
        """Connections accepted and never answered (a dead network): the connect timeout
        bounds every answer."""
        routes = self.routes(client, credentials)
        await pg_proxy.stop()
        await pg_proxy.start(blackhole=True)
        uncached = ("list signed in", "list anonymous", "v1 list", "v1 install")
        for name, call, check in [r for r in routes if r[0] in uncached or "graphql" in r[0]]:
            response, elapsed = await timed(call())
            check(response)
            assert elapsed < CONNECT_TIMEOUT + SLACK, f"{name}: answered after {elapsed:.2f} s"
        await pg_proxy.stop()
        await pg_proxy.start()
        for name, call, _ in routes:
            response = await call()
            assert response.status_code == 200, (name, response.text)

    async def test_postgres_partition_answers_503_within_the_statement_timeout(
        self,
        client: httpx.AsyncClient,
        pg_proxy: TcpProxy,
        credentials: dict[str, dict[str, str]],
    ) -> None:
        """The pooled connections stay open but nothing comes back (a partition, not a crash):
        the answer is bounded by the statement timeout (VENDO_DB_STATEMENT_TIMEOUT_SECONDS),
        then the gateway heals when the network does."""
        routes = self.routes(client, credentials)
        name, call, check = routes[0]
        assert (await call()).status_code == 200  # a pooled connection through the proxy
        pg_proxy.freeze()
        try:
            response, elapsed = await timed(
                asyncio.wait_for(call(), timeout=STATEMENT_TIMEOUT + SLACK)
            )
        except TimeoutError:
            pytest.fail(f"{name}: no answer within {STATEMENT_TIMEOUT + SLACK} s of a partition")
        finally:
            pg_proxy.thaw()
        check(response)
        assert elapsed >= STATEMENT_TIMEOUT * 0.9  # it was the statement timeout that answered
        assert elapsed < STATEMENT_TIMEOUT + SLACK
        recovered = await call()
        assert recovered.status_code == 200, recovered.text


# --------------------------------------------------------------------------------------------
# SQLite locked past the busy timeout


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's write lock")
class TestSqliteLocked:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"db_busy_timeout_ms": 200, "secret_keys": SECRET_KEY}

    @pytest.fixture
    async def lock(self, runtime: Runtime) -> AsyncIterator[WriteLock]:
        lock = WriteLock(runtime.settings.database_url)
        yield lock
        await lock.release()

    @pytest.fixture
    async def writes(
        self, client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
    ) -> list[Probe]:
        demo_session = {"Cookie": f"vendo_session={await sessions.create('demo@vendo.local')}"}
        staff = {
            "Cookie": f"vendo_session={await sessions.create('admin@vendo.local', staff=True)}"
        }
        async with runtime.db.read() as db:
            app_id = await db.scalar(select(App.id).where(App.name == "My Hermes"))
        key = await mint_key(runtime, app_id=app_id)
        v1 = {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"}
        save = [{"name": "locked-mail", "type": "sendgrid", "configuration": {"api_key": "SG.x"}}]

        def flat(r: httpx.Response) -> None:
            assert_json(r, 503, UNAVAILABLE_FLAT)

        def text(r: httpx.Response) -> None:
            assert_text(r, 503, "Service unavailable")

        return [
            (
                "toggle",
                lambda: client.post(
                    "/api/integrations/slack", json={"enabled": True}, headers=demo_session
                ),
                flat,
            ),
            ("bulk save", lambda: client.post("/api/integrations", json=save, headers=staff), flat),
            (
                "v1 install",
                lambda: client.post(
                    "/api/v1/integrations/openai/install", json={"params": {"a": 1}}, headers=v1
                ),
                text,
            ),
            (
                "v1 uninstall",
                lambda: client.post("/api/v1/integrations/openai/uninstall", headers=v1),
                text,
            ),
            (
                "graphql mutation",
                lambda: client.post("/graphql", json={"query": ENABLE_SLACK}, headers=demo_session),
                lambda r: assert_json(r, 200, graphql_unavailable_at("setIntegrationEnabled")),
            ),
            # WAL: readers are not blocked by the writer.
            ("read", lambda: client.get("/api/integrations", headers=demo_session), ok),
        ]

    async def test_sqlite_locked_writes_answer_503_then_recover(
        self, writes: list[Probe], lock: WriteLock
    ) -> None:
        await lock.acquire()
        for name, call, check in writes:
            response, elapsed = await timed(call())
            check(response)
            assert elapsed < 0.2 + SLACK, f"{name}: answered after {elapsed:.2f} s"
        await lock.release()
        for name, call, _ in writes:
            response, elapsed = await timed(call())
            assert response.status_code == 200, (name, response.text)
            assert elapsed < SLACK, f"{name}: recovered after {elapsed:.2f} s"

    async def test_sqlite_locked_write_leaves_nothing_half_written(
        self, writes: list[Probe], lock: WriteLock, runtime: Runtime
    ) -> None:
        await lock.acquire()
        _, call, check = writes[1]
        check(await call())
        await lock.release()
        async with runtime.db.read() as session:
            found = await session.scalar(
                select(Integration.id).where(Integration.provider == "locked-mail")
            )
        assert found is None


# --------------------------------------------------------------------------------------------
# Redis unreachable (a real TCP proxy in front of 127.0.0.1:6379)


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    async with proxy_in_front_of(REDIS_URL or "redis://127.0.0.1:6379/0", 6379) as proxy:
        yield proxy


def fault_records(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "vendo.faults" and words in r.getMessage()
    ]


def once_per_dependency(messages: list[str], marker: str) -> set[str]:
    """The dependencies named in ``messages``, each of which must appear exactly once."""
    names = [m.split(marker, 1)[0] for m in messages]
    assert len(names) == len(set(names)), messages
    return set(names)


@needs_redis
class TestRedisUnreachable:
    @pytest.fixture
    def settings_overrides(self, redis_proxy: TcpProxy) -> dict[str, Any]:
        url = through(REDIS_URL or "", redis_proxy)
        return {
            "cache_url": url,
            "rate_limit_storage": url,
            "integration_rate_limit": "5/minute",
            "secret_keys": SECRET_KEY,
        }

    async def test_redis_down_keeps_answers_right_and_logs_once(
        self,
        client: httpx.AsyncClient,
        redis_proxy: TcpProxy,
        sessions: Sessions,
        runtime: Runtime,
        demo: None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        signed_in, _ = await sign_up(sessions, runtime, "redis-fault@example.com")
        anonymous = await client.get("/api/integrations")
        catalog = await client.get("/api/tools/catalog")
        framing = await client.get("/api/tools/hermes/usage-framing")
        assert (await client.get("/api/integrations")).content == anonymous.content  # cached
        await redis_proxy.stop()
        for _ in range(10):
            for path, expected in (
                ("/api/integrations", anonymous),
                ("/api/tools/catalog", catalog),
                ("/api/tools/hermes/usage-framing", framing),
            ):
                response, elapsed = await timed(client.get(path))
                assert response.status_code == 200
                assert response.content == expected.content, path
                assert elapsed < 2.0, f"{path}: answered after {elapsed:.2f} s"
            toggle = await client.post(
                "/api/integrations/slack", json={"enabled": True}, headers=signed_in
            )
            assert toggle.status_code in (200, 429)
        unreachable = fault_records(caplog, "unreachable")
        assert once_per_dependency(unreachable, " unreachable") >= {
            "cache backend",
            "rate-limit storage",
        }
        assert fault_records(caplog, "reachable again") == []

        await redis_proxy.start()
        outage = once_per_dependency(unreachable, " unreachable")
        deadline = time.perf_counter() + 8.0  # the invalidation channel reconnects with backoff
        while time.perf_counter() < deadline:
            assert (await client.get("/api/integrations")).content == anonymous.content
            await client.post("/api/integrations/slack", json={"enabled": True}, headers=signed_in)
            recovered = {m.split(" reachable again")[0] for m in fault_records(caplog, "again")}
            if recovered >= outage:
                break
            await asyncio.sleep(0.2)
        for _ in range(5):
            assert (await client.get("/api/integrations")).content == anonymous.content
        again = fault_records(caplog, "reachable again")
        assert once_per_dependency(again, " reachable again") == once_per_dependency(
            unreachable, " unreachable"
        )
        assert fault_records(caplog, "unreachable") == unreachable

    async def test_redis_down_rate_limit_fails_open_to_worker_memory(
        self,
        client: httpx.AsyncClient,
        redis_proxy: TcpProxy,
        sessions: Sessions,
        runtime: Runtime,
        demo: None,
    ) -> None:
        headers, _ = await sign_up(sessions, runtime, "limits-fault@example.com")

        async def toggles(count: int) -> list[int]:
            statuses = []
            for _ in range(count):
                response = await client.post(
                    "/api/integrations/slack", json={"enabled": True}, headers=headers
                )
                statuses.append(response.status_code)
            return statuses

        assert await toggles(2) == [200, 200]  # counted in Redis: 2 of 5
        await redis_proxy.stop()
        # Per-worker memory: a window of its own, and the limit still applies within it.
        assert await toggles(6) == [200] * 5 + [429]
        rate_limited = await client.post(
            "/api/integrations/slack", json={"enabled": True}, headers=headers
        )
        assert_json(rate_limited, 429, {"message": "Rate limit exceeded"})
        await redis_proxy.start()
        # Redis again: its window still holds the 2 calls made before the outage.
        assert await toggles(4) == [200, 200, 200, 429]

    @pytest.mark.parametrize(
        "path",
        [
            "/api/integrations",  # the anonymous answer, cached in Redis
            "/api/tools/hermes/integrations",  # every enabled integration: the catalog snapshot
        ],
    )
    async def test_redis_down_catalog_write_is_seen_during_and_after_the_outage(
        self,
        client: httpx.AsyncClient,
        redis_proxy: TcpProxy,
        sessions: Sessions,
        demo: None,
        path: str,
    ) -> None:
        """A cached answer, or the worker's catalog snapshot (app/cache/snapshots.py), is only
        served while the cache can say it is current: a write during the outage shows at once, and
        after it."""
        staff = {
            "Cookie": f"vendo_session={await sessions.create('admin@vendo.local', staff=True)}"
        }
        before = await client.get(path)  # cached, or the snapshot taken
        assert "outage-mail" not in before.text
        await redis_proxy.stop()
        save = [{"name": "outage-mail", "type": "sendgrid", "configuration": {"api_key": "SG.x"}}]
        saved = await client.post("/api/integrations", json=save, headers=staff)
        assert saved.status_code == 200, saved.text
        during = await client.get(path)
        assert "outage-mail" in during.text
        await redis_proxy.start()
        after = await client.get(path)
        assert "outage-mail" in after.text, "a catalog write made during the outage is hidden"

    async def test_redis_black_hole_answers_within_the_cache_timeout(
        self,
        client: httpx.AsyncClient,
        redis_proxy: TcpProxy,
        demo: None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        expected = await client.get("/api/integrations")
        await redis_proxy.stop()
        await redis_proxy.start(blackhole=True)
        for _ in range(3):
            response, elapsed = await timed(client.get("/api/integrations"))
            assert response.content == expected.content
            # Each Redis call gives up after cache_timeout_seconds (0.5 s).
            assert elapsed < 3 * 0.5 + SLACK, f"answered after {elapsed:.2f} s"
        assert "cache backend" in once_per_dependency(
            fault_records(caplog, "unreachable"), " unreachable"
        )


# --------------------------------------------------------------------------------------------
# A slow upstream


class TestSlowUpstream:
    @pytest.fixture
    def settings_overrides(self, slow_upstream: Upstream) -> dict[str, Any]:
        return {"openrouter_models_url": slow_upstream.url, "openrouter_timeout_seconds": 0.3}

    async def test_slow_upstream_is_bounded_by_its_timeout_on_the_route(
        self, client: httpx.AsyncClient, slow_upstream: Upstream
    ) -> None:
        response, elapsed = await timed(client.get("/api/pricing/models"))
        assert_json(response, 502, {"message": "Failed to fetch models from OpenRouter"})
        assert slow_upstream.hits == 1
        assert elapsed < 0.3 + SLACK, f"answered after {elapsed:.2f} s"

    async def test_slow_upstream_is_bounded_by_its_timeout_on_graphql(
        self, client: httpx.AsyncClient
    ) -> None:
        response, elapsed = await timed(
            client.post("/graphql", json={"query": "{ pricingModels { cached } }"})
        )
        body = response.json()
        assert response.status_code == 200
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "UPSTREAM_FAILED"}
        assert elapsed < 0.3 + SLACK, f"answered after {elapsed:.2f} s"


# --------------------------------------------------------------------------------------------
# Bad REST bodies: 400, never 500


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


MALFORMED_BODIES = {
    "truncated": b'{"enabled": tr',
    "truncated object": b'{"params": {"a": ',
    "non-utf-8": b'{"enabled": true, "x": "\xff\xfe"}',
    "latin-1": '{"enabled": true, "x": "café"}'.encode("latin-1"),
    "utf-16": '{"enabled": true}'.encode("utf-16"),
    "utf-8 bom": b'\xef\xbb\xbf{"enabled": true}',
    "lone surrogate": b'{"enabled": true, "x": "\\ud800"}',
    "nested past the parser": b"[" * 5000 + b"]" * 5000,
    "infinity": b'{"enabled": true, "n": 1e400}',
    "nan": b'{"enabled": true, "n": NaN}',
    "trailing garbage": b'{"enabled": true} x',
    "single quotes": b"{'enabled': true}",
    "comment": b'{"enabled": true /* x */}',
}


@pytest.fixture
async def body_routes(
    runtime: Runtime, sessions: Sessions, demo: None
) -> dict[str, tuple[str, dict[str, str], bool]]:
    """path → (path, headers, text envelope) of every route that reads a body."""
    demo_session = {"Cookie": f"vendo_session={await sessions.create('demo@vendo.local')}"}
    staff = {"Cookie": f"vendo_session={await sessions.create('admin@vendo.local', staff=True)}"}
    async with runtime.db.read() as db:
        app_id = await db.scalar(select(App.id).where(App.name == "My Hermes"))
    key = await mint_key(runtime, app_id=app_id)
    v1 = {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"}
    return {
        "toggle": ("/api/integrations/slack", demo_session, False),
        "bulk save": ("/api/integrations", staff, False),
        "install": ("/api/v1/integrations/openai/install", v1, True),
    }


class TestBadBodies:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"secret_keys": SECRET_KEY, "integration_rate_limit": "1000/minute"}

    @pytest.mark.parametrize("route", ["toggle", "bulk save", "install"])
    async def test_malformed_body_is_400(
        self,
        client: httpx.AsyncClient,
        body_routes: dict[str, tuple[str, dict[str, str], bool]],
        route: str,
    ) -> None:
        path, headers, text = body_routes[route]
        for name, body in MALFORMED_BODIES.items():
            response = await client.post(
                path, content=body, headers={**headers, "content-type": "application/json"}
            )
            assert response.status_code == 400, (name, response.text)
            if text:
                assert_text(response, 400, "Invalid JSON body")
            else:
                assert_json(response, 400, {"message": "Invalid JSON body"})

    async def test_form_body_on_a_json_route_is_415_or_400(
        self,
        client: httpx.AsyncClient,
        body_routes: dict[str, tuple[str, dict[str, str], bool]],
    ) -> None:
        """With the session cookie, a form's content type is refused before the body is read
        (legacy_rest/cookie_writes.py); labelled JSON, the same bytes are invalid JSON."""
        path, headers, _ = body_routes["toggle"]
        for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
            extra = {"content-type": content_type} if content_type else {}
            response = await client.post(
                path, content=b"enabled=true", headers={**headers, **extra}
            )
            assert_json(response, 415, {"message": "Content-Type must be application/json"})
        response = await client.post(
            path, content=b"enabled=true", headers={**headers, "content-type": "application/json"}
        )
        assert_json(response, 400, {"message": "Invalid JSON body"})

    @pytest.mark.parametrize("depth", [32, 100, 300, 900])
    async def test_deeply_nested_install_params_are_400(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        body_routes: dict[str, tuple[str, dict[str, str], bool]],
        depth: int,
    ) -> None:
        """Valid JSON nested deeper than params may (32 levels): a documented 400, and no row
        stored that could then break a read."""
        path, headers, _ = body_routes["install"]
        response = await client.post(path, json={"params": nested(depth)}, headers=headers)
        assert_text(response, 400, "params must not nest more than 32 levels")
        detail = await client.get("/api/v1/integrations/openai", headers=headers)
        assert detail.status_code == 200, detail.text
        listing = await client.get("/api/v1/integrations", headers=headers)
        assert listing.status_code == 200, listing.text

    async def test_install_params_32_levels_deep_are_stored(
        self, client: httpx.AsyncClient, body_routes: dict[str, tuple[str, dict[str, str], bool]]
    ) -> None:
        path, headers, _ = body_routes["install"]
        response = await client.post(path, json={"params": nested(31)}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["params"] == nested(31)

    async def test_deeply_nested_bodies_of_the_other_routes_are_400(
        self,
        client: httpx.AsyncClient,
        body_routes: dict[str, tuple[str, dict[str, str], bool]],
    ) -> None:
        for depth in (100, 300, 900):
            path, headers, _ = body_routes["toggle"]
            response = await client.post(path, json={"enabled": nested(depth)}, headers=headers)
            assert_json(
                response, 400, {"message": 'Body must be a JSON object with a boolean "enabled"'}
            )
            path, headers, _ = body_routes["bulk save"]
            item = {"name": "deep", "type": "sendgrid", "configuration": {"api_key": nested(depth)}}
            response = await client.post(path, json=[item], headers=headers)
            assert response.status_code == 400, response.text
            assert response.json()["message"] == "Invalid integrations"

    async def test_nul_in_install_params_is_400(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        body_routes: dict[str, tuple[str, dict[str, str], bool]],
    ) -> None:
        path, headers, _ = body_routes["install"]
        for params in ({"a": "x\u0000y"}, {"a\u0000": "y"}, {"a": ["\u0000"]}):
            response = await client.post(path, json={"params": params}, headers=headers)
            assert_text(response, 400, "params must not contain NUL characters")
        async with runtime.db.read() as session:
            state = await session.scalar(
                select(TenantIntegration.status)
                .join(Integration, Integration.id == TenantIntegration.integration_id)
                .join(Tenant, Tenant.id == TenantIntegration.tenant_id)
                .where(Tenant.slug == "demo", Integration.provider == "openai")
            )
        assert state in (None, "available")

    async def test_huge_integer_in_install_params_never_500(
        self,
        client: httpx.AsyncClient,
        body_routes: dict[str, tuple[str, dict[str, str], bool]],
    ) -> None:
        path, headers, _ = body_routes["install"]
        for raw in (b"123456789012345678901234567890", b"18446744073709551616", b"-1e308"):
            body = b'{"params": {"n": ' + raw + b"}}"
            response = await client.post(
                path, content=body, headers={**headers, "content-type": "application/json"}
            )
            assert response.status_code in (200, 400), (raw, response.text)
            detail = await client.get("/api/v1/integrations/openai", headers=headers)
            assert detail.status_code == 200, detail.text
