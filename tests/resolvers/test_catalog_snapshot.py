"""The integrations catalog and the tools' active releases a worker keeps between requests
(app/cache/snapshots.py): read once, then served without SQL while their cache tag's generation is
unchanged and they are younger than ``VENDO_CATALOG_SNAPSHOT_SECONDS``; a write through the
gateway is seen on the next request (on another instance once the invalidation message lands),
a write behind its back once the snapshot is too old; ``0`` reads them on every request."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from app.cache import snapshots
from app.cache.shared import INTEGRATIONS_CATALOG
from app.cache.snapshots import Snapshots
from app.models import Integration, utcnow
from app.runtime import Runtime
from app.settings import Settings
from resolvers.loaders import CATALOG, Loaders
from tests.conftest import GraphQLClient, Sessions, needs_redis
from tests.legacy_rest.test_integrations_cache import delivered, running
from tests.support.clock import Clock
from tests.support.sql import counting_statements

HERMES = "/api/tools/hermes/integrations"  # Hermes offers every enabled integration


def optional(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [entry["provider"] for entry in response.json()["optional"]]


def catalog_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM integrations" in s and "JOIN" not in s]


async def rename_behind_the_gateway(runtime: Runtime, provider: str, name: str) -> None:
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == provider).values(name=name)
        )


def names(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    return {e["provider"]: e["name"] for e in body["required"] + body["optional"]}


async def staff_headers(sessions: Sessions) -> dict[str, str]:
    token = await sessions.create("admin@vendo.local", staff=True)
    return {"Cookie": f"vendo_session={token}"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The snapshots' clock, moved on by the test rather than slept through."""
    clock = Clock()
    monkeypatch.setattr(snapshots, "time", SimpleNamespace(monotonic=clock))
    return clock


SAVE = [{"name": "snapshot-mail", "type": "sendgrid", "configuration": {"api_key": "SG.x"}}]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": Fernet.generate_key().decode()}


async def test_catalog_is_read_once_then_kept(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    with counting_statements(runtime) as first:
        listed = optional(await client.get(HERMES))
    assert len(catalog_reads(first)) == 1
    with counting_statements(runtime) as later:
        for _ in range(3):
            assert optional(await client.get(HERMES)) == listed
    assert catalog_reads(later) == []


async def test_write_through_the_gateway_is_seen_on_the_next_request(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    before = optional(await client.get(HERMES))
    assert "snapshot-mail" not in before
    saved = await client.post("/api/integrations", json=SAVE, headers=await staff_headers(sessions))
    assert saved.status_code == 200, saved.text
    after = optional(await client.get(HERMES))
    assert after == sorted([*before, "snapshot-mail"])


async def test_write_behind_the_gateway_waits_for_an_invalidation(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    assert names(await client.get(HERMES))["openrouter"] == "OpenRouter"
    await rename_behind_the_gateway(runtime, "openrouter", "OpenRouter Renamed")
    assert names(await client.get(HERMES))["openrouter"] == "OpenRouter"  # the snapshot
    await runtime.cache.invalidate(INTEGRATIONS_CATALOG)
    assert names(await client.get(HERMES))["openrouter"] == "OpenRouter Renamed"


class TestShortLived:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"catalog_snapshot_seconds": 0.2}

    async def test_write_behind_the_gateway_is_seen_once_the_snapshot_is_too_old(
        self, client: httpx.AsyncClient, runtime: Runtime, demo: None, clock: Clock
    ) -> None:
        assert names(await client.get(HERMES))["openrouter"] == "OpenRouter"
        await rename_behind_the_gateway(runtime, "openrouter", "OpenRouter Renamed")
        assert names(await client.get(HERMES))["openrouter"] == "OpenRouter"
        clock.advance(0.2)  # the snapshot is now as old as it may be: read again
        assert names(await client.get(HERMES))["openrouter"] == "OpenRouter Renamed"


class TestOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"catalog_snapshot_seconds": 0}

    async def test_every_request_reads_the_catalog(
        self, client: httpx.AsyncClient, runtime: Runtime, demo: None
    ) -> None:
        with counting_statements(runtime) as statements:
            for _ in range(3):
                await client.get(HERMES)
        assert len(catalog_reads(statements)) == 3
        await rename_behind_the_gateway(runtime, "openrouter", "OpenRouter Renamed")
        assert names(await client.get(HERMES))["openrouter"] == "OpenRouter Renamed"


@needs_redis
async def test_write_on_one_instance_is_seen_by_another(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    sessions: Sessions,
    demo: None,
) -> None:
    async with running(settings) as (other_app, other):
        before = optional(await other.get(HERMES))  # the other instance's snapshot
        saved = await client.post(
            "/api/integrations", json=SAVE, headers=await staff_headers(sessions)
        )
        assert saved.status_code == 200, saved.text
        await delivered(other_app.state.runtime, runtime)
        assert optional(await other.get(HERMES)) == sorted([*before, "snapshot-mail"])


# --------------------------------------------------------------------------------------------
# Active releases, kept by tool

RELEASE = "query($slug: String!) { tool(slug: $slug) { activeRelease { version } } }"


def release_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM releases" in s]


async def deactivate_behind_the_gateway(runtime: Runtime, slug: str) -> None:
    from app.models import Release, Tool

    async with runtime.db.write() as session, session.begin():
        tool_id = (await session.execute(select(Tool.id).where(Tool.slug == slug))).scalar_one()
        await session.execute(
            update(Release).where(Release.tool_id == tool_id).values(active=False)
        )


async def active_version(gql: GraphQLClient, slug: str) -> str | None:
    result = await gql(RELEASE, {"slug": slug})
    assert "errors" not in result, result
    release = result["data"]["tool"]["activeRelease"]
    return None if release is None else release["version"]


async def test_active_releases_are_read_once_then_kept(
    client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    with counting_statements(runtime) as first:
        catalog = await client.get("/api/tools/catalog")
        version = await active_version(gql, "hermes")
    assert catalog.status_code == 200
    assert version is not None
    assert len(release_reads(first)) == 1  # the catalog's page took every release it shows
    with counting_statements(runtime) as later:
        assert await active_version(gql, "hermes") == version
    assert release_reads(later) == []


async def test_a_tool_without_an_active_release_is_kept_as_such(
    gql: GraphQLClient, runtime: Runtime, demo: None
) -> None:
    await deactivate_behind_the_gateway(runtime, "hermes")
    with counting_statements(runtime) as first:
        assert await active_version(gql, "hermes") is None
    assert len(release_reads(first)) == 1
    with counting_statements(runtime) as later:
        assert await active_version(gql, "hermes") is None
    assert release_reads(later) == []


class TestShortLivedReleases:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"catalog_snapshot_seconds": 0.2}

    async def test_a_release_changed_behind_the_gateway_shows_once_too_old(
        self, gql: GraphQLClient, runtime: Runtime, demo: None, clock: Clock
    ) -> None:
        version = await active_version(gql, "hermes")
        assert version is not None
        await deactivate_behind_the_gateway(runtime, "hermes")
        assert await active_version(gql, "hermes") == version  # the snapshot
        clock.advance(0.2)  # the snapshot is now as old as it may be: read again
        assert await active_version(gql, "hermes") is None


async def test_snapshots_kept_are_bounded(runtime: Runtime) -> None:
    """Least recently used first out: a flood of keys cannot grow a worker's memory."""
    snapshots = Snapshots(runtime.cache, max_age=60, max_kept=3)
    loads: list[list[int]] = []

    async def load(keys: list[int]) -> dict[int, str]:
        loads.append(keys)
        return {key: f"v{key}" for key in keys}

    assert await snapshots.get_many("tag", "set", [1, 2, 3], load) == {1: "v1", 2: "v2", 3: "v3"}
    assert await snapshots.get_many("tag", "set", [1], load) == {1: "v1"}  # kept; 1 now newest
    assert await snapshots.get_many("tag", "set", [4], load) == {4: "v4"}  # 2 goes
    assert await snapshots.get_many("tag", "set", [1, 2, 3, 4], load) == {
        1: "v1",
        2: "v2",
        3: "v3",
        4: "v4",
    }
    assert loads == [[1, 2, 3], [4], [2]]


async def test_keys_found_nothing_are_kept_only_with_a_missing_value(runtime: Runtime) -> None:
    snapshots = Snapshots(runtime.cache, max_age=60)
    loads: list[list[int]] = []

    async def load(keys: list[int]) -> dict[int, str]:
        loads.append(keys)
        return {key: f"v{key}" for key in keys if key % 2}

    for _ in range(2):
        assert await snapshots.get_many("tag", "plain", [1, 2], load) == {1: "v1"}
        assert await snapshots.get_many("tag", "kept", [1, 2], load, missing=None) == {
            1: "v1",
            2: None,
        }
    assert loads == [[1, 2], [1, 2], [2]]


async def subscribed(runtime: Runtime) -> None:
    """Wait until the worker knows generations without asking (on Redis: once it has
    subscribed to invalidations; at once in memory)."""
    deadline = asyncio.get_running_loop().time() + 5
    while not runtime.cache.local.coherent:
        assert asyncio.get_running_loop().time() < deadline, "never subscribed"
        await asyncio.sleep(0.005)


async def test_a_current_catalog_snapshot_is_taken_without_an_await(
    runtime: Runtime, demo: None
) -> None:
    """While the worker's catalog snapshot is current and it knows the catalog's generation
    without a round trip, a request's loaders take the snapshot at once (``ready`` answers None:
    nothing to await, no statement); once the catalog is invalidated, they read it again."""

    def loaders() -> Loaders:
        return Loaders(db=runtime.db, tenant_id=None, now=utcnow(), snapshots=runtime.snapshots)

    await subscribed(runtime)
    first = loaders()
    waiting = first.ready(CATALOG)
    assert waiting is not None  # nothing kept yet: read
    with counting_statements(runtime) as statements:
        await waiting
    assert len(catalog_reads(statements)) == 1
    kept = first.catalog_now()
    second = loaders()
    with counting_statements(runtime) as statements:
        assert second.ready(CATALOG) is None
    assert statements == []
    assert second.catalog_now() is kept
    await runtime.cache.invalidate(INTEGRATIONS_CATALOG)
    third = loaders()
    waiting = third.ready(CATALOG)
    assert waiting is not None
    with counting_statements(runtime) as statements:
        await waiting
    assert len(catalog_reads(statements)) == 1
    assert third.catalog_now() is not kept


async def test_peek_answers_only_a_current_snapshot(runtime: Runtime) -> None:
    """``peek`` follows ``get``'s rules without awaiting: nothing when snapshots are off, once
    the tag is invalidated, or once the snapshot is too old."""

    async def load() -> str:
        return "value"

    off = Snapshots(runtime.cache, max_age=0)
    assert await off.get("tag", "set", load) == "value"
    assert off.peek("tag", "set") is None
    await subscribed(runtime)
    snapshots = Snapshots(runtime.cache, max_age=60)
    assert snapshots.peek("tag", "set") is None  # nothing kept yet
    assert await snapshots.get("tag", "set", load) == "value"
    assert snapshots.peek("tag", "set") == "value"
    await runtime.cache.invalidate("tag")
    assert snapshots.peek("tag", "set") is None
    brief = Snapshots(runtime.cache, max_age=0.05)
    assert await brief.get("tag", "set", load) == "value"
    await asyncio.sleep(0.1)
    assert brief.peek("tag", "set") is None
