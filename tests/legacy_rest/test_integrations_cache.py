"""The anonymous catalog cache of CONTRACT.md §1 (5 minutes), and what must never be cached: signed-
in bodies, one tenant's data for another, a stale tenant state after a toggle."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import update
from starlette.applications import Starlette

from app.factory import create_app
from app.models import Integration, UsageEvent
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import REDIS_URL, Sessions, needs_redis
from tests.support.credentials import sign_up
from tests.support.documents import TOGGLE_MUTATION

CATALOG = "integrations-catalog"


# --------------------------------------------------------------------------------------------
# Helpers


async def rename(runtime: Runtime, provider: str, name: str) -> None:
    """Change the catalog behind the gateway's back: no invalidation."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == provider).values(name=name)
        )


async def set_catalog_enabled(runtime: Runtime, provider: str, enabled: bool) -> None:
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Integration).where(Integration.provider == provider).values(enabled=enabled)
        )


def names(body: dict[str, Any]) -> dict[str, str]:
    return {row["provider"]: row["name"] for row in body["integrations"]}


def rows(body: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["provider"]: row for row in body}


async def toggle(
    client: httpx.AsyncClient, headers: dict[str, str], provider: str, enabled: bool
) -> None:
    response = await client.post(
        f"/api/integrations/{provider}", json={"enabled": enabled}, headers=headers
    )
    assert response.status_code == 200, response.text


async def delivered(receiver: Runtime, sender: Runtime, *, within: float = 2.0) -> None:
    """Wait until ``receiver`` has heard of ``sender``'s latest invalidation of the catalog —
    over Redis pub/sub, which takes milliseconds (bounded here at ``within`` seconds)."""
    wanted = sender.cache.local.generations[CATALOG]
    deadline = asyncio.get_running_loop().time() + within
    while receiver.cache.local.generations.get(CATALOG, -1) < wanted:
        assert asyncio.get_running_loop().time() < deadline, "invalidation never delivered"
        await asyncio.sleep(0.005)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """Another gateway instance (another worker or host) over the same settings."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http


# --------------------------------------------------------------------------------------------
# Anonymous responses are cached


async def test_cache_anonymous_list_serves_cached_body_until_invalidated(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    first = await client.get("/api/integrations")
    assert names(first.json())["openrouter"] == "OpenRouter"

    await rename(runtime, "openrouter", "OpenRouter Renamed")
    second = await client.get("/api/integrations")
    assert second.status_code == 200
    assert second.content == first.content

    await runtime.cache.invalidate(CATALOG)
    third = await client.get("/api/integrations")
    assert third.status_code == 200
    assert names(third.json())["openrouter"] == "OpenRouter Renamed"


async def test_cache_anonymous_detail_serves_cached_body_until_invalidated(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    first = await client.get("/api/integrations/openrouter")
    assert first.json()["name"] == "OpenRouter"

    await rename(runtime, "openrouter", "OpenRouter Renamed")
    second = await client.get("/api/integrations/openrouter")
    assert second.status_code == 200
    assert second.content == first.content

    await runtime.cache.invalidate(CATALOG)
    third = await client.get("/api/integrations/openrouter")
    assert third.json()["name"] == "OpenRouter Renamed"


async def test_cache_anonymous_list_drops_disabled_integration_after_invalidation(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    first = await client.get("/api/integrations")
    assert "sendgrid" in names(first.json())
    await set_catalog_enabled(runtime, "sendgrid", False)
    assert (await client.get("/api/integrations")).content == first.content

    await runtime.cache.invalidate(CATALOG)
    assert "sendgrid" not in names((await client.get("/api/integrations")).json())
    response = await client.get("/api/integrations/sendgrid")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found"}


async def test_cache_anonymous_detail_of_newly_enabled_integration_after_invalidation(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    assert (await client.get("/api/integrations/replicate")).status_code == 404
    await set_catalog_enabled(runtime, "replicate", True)
    await runtime.cache.invalidate(CATALOG)
    response = await client.get("/api/integrations/replicate")
    assert response.status_code == 200
    assert response.json()["provider"] == "replicate"


async def test_cache_invalidating_another_tag_keeps_the_catalog(
    client: httpx.AsyncClient, runtime: Runtime, demo: None
) -> None:
    first = await client.get("/api/integrations")
    await rename(runtime, "openrouter", "OpenRouter Renamed")
    await runtime.cache.invalidate("something-else")
    assert (await client.get("/api/integrations")).content == first.content


# --------------------------------------------------------------------------------------------
# Signed-in responses are never cached


async def test_cache_signed_in_list_is_never_served_from_the_anonymous_entry(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    anonymous = await client.get("/api/integrations")
    signed_in = await client.get("/api/integrations", headers=demo_headers)
    assert isinstance(signed_in.json(), list)
    assert "tenantEnabled" in signed_in.json()[0]

    await rename(runtime, "openrouter", "OpenRouter Renamed")
    signed_in = await client.get("/api/integrations", headers=demo_headers)
    assert rows(signed_in.json())["openrouter"]["name"] == "OpenRouter Renamed"
    # The anonymous entry is untouched by signed-in traffic.
    assert (await client.get("/api/integrations")).content == anonymous.content


async def test_cache_signed_in_request_does_not_fill_the_anonymous_entry(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    signed_in = await client.get("/api/integrations", headers=demo_headers)
    assert isinstance(signed_in.json(), list)
    anonymous = await client.get("/api/integrations")
    assert list(anonymous.json()) == ["integrations"]

    detail = await client.get("/api/integrations/replicate", headers=demo_headers)
    assert detail.status_code == 200
    anonymous_detail = await client.get("/api/integrations/replicate")
    assert anonymous_detail.status_code == 404
    assert anonymous_detail.json() == {"message": "Not found"}


async def test_cache_signed_in_detail_is_never_cached(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    first = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert first.json()["name"] == "OpenRouter"
    await rename(runtime, "openrouter", "OpenRouter Renamed")
    second = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert second.json()["name"] == "OpenRouter Renamed"


async def test_cache_tenants_never_see_each_others_state(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    alice, alice_tenant = await sign_up(sessions, runtime, "alice@example.com")
    bob, _ = await sign_up(sessions, runtime, "bob@example.com")
    async with runtime.db.write() as session, session.begin():
        session.add(UsageEvent(tenant_id=alice_tenant, provider="sendgrid", cost_micros=1_500_000))

    await client.get("/api/integrations")  # an anonymous entry exists throughout
    await toggle(client, alice, "sendgrid", True)
    await toggle(client, bob, "slack", True)

    for _ in range(2):
        alice_rows = rows((await client.get("/api/integrations", headers=alice)).json())
        bob_rows = rows((await client.get("/api/integrations", headers=bob)).json())
        assert (alice_rows["sendgrid"]["tenantEnabled"], alice_rows["slack"]["tenantEnabled"]) == (
            True,
            False,
        )
        assert (bob_rows["sendgrid"]["tenantEnabled"], bob_rows["slack"]["tenantEnabled"]) == (
            False,
            True,
        )
        assert (
            alice_rows["sendgrid"]["usageThisMonth"],
            alice_rows["sendgrid"]["costThisMonth"],
        ) == (
            1,
            1_500_000,
        )
        assert (bob_rows["sendgrid"]["usageThisMonth"], bob_rows["sendgrid"]["costThisMonth"]) == (
            0,
            0,
        )
        alice_detail = await client.get("/api/integrations/sendgrid", headers=alice)
        bob_detail = await client.get("/api/integrations/sendgrid", headers=bob)
        assert alice_detail.json()["tenantEnabled"] is True
        assert bob_detail.json()["tenantEnabled"] is False
        alice_usage = await client.get("/api/integrations/sendgrid/usage", headers=alice)
        bob_usage = await client.get("/api/integrations/sendgrid/usage", headers=bob)
        assert alice_usage.json()["spend_monthly_usd"] == 1.5
        assert bob_usage.json()["spend_monthly_usd"] == 0


async def test_cache_garbage_cookie_gets_the_anonymous_shape(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    garbage = {"Cookie": "vendo_session=garbage"}
    first = await client.get("/api/integrations", headers=garbage)
    assert list(first.json()) == ["integrations"]
    assert (await client.get("/api/integrations")).content == first.content
    # …and did not poison anything for a real session.
    signed_in = await client.get("/api/integrations", headers=demo_headers)
    assert isinstance(signed_in.json(), list)
    detail = await client.get("/api/integrations/openrouter", headers=garbage)
    assert "tenantEnabled" not in detail.json()


async def test_cache_toggle_is_visible_on_the_next_signed_in_request(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    for enabled in (True, False, True):
        await toggle(client, demo_headers, "sendgrid", enabled)
        detail = await client.get("/api/integrations/sendgrid", headers=demo_headers)
        assert detail.json()["tenantEnabled"] is enabled
        listed = rows((await client.get("/api/integrations", headers=demo_headers)).json())
        assert listed["sendgrid"]["tenantEnabled"] is enabled


async def test_cache_graphql_toggle_is_visible_on_the_next_rest_request(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    await client.get("/api/integrations/telegram", headers=demo_headers)
    response = await client.post(
        "/graphql",
        json={"query": TOGGLE_MUTATION, "variables": {"slug": "telegram", "enabled": True}},
        headers=demo_headers,
    )
    assert response.json() == {
        "data": {"setIntegrationEnabled": {"enabled": True, "provisioningError": None}}
    }
    detail = await client.get("/api/integrations/telegram", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True


# --------------------------------------------------------------------------------------------
# Several instances over Redis


@needs_redis
async def test_cache_is_shared_between_app_instances(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, demo: None
) -> None:
    async with running(settings) as (other_app, other):
        first = await client.get("/api/integrations")
        await rename(runtime, "openrouter", "OpenRouter Renamed")
        # The other instance answers from the entry the first one wrote.
        assert (await other.get("/api/integrations")).content == first.content

        # An invalidation in one instance is seen by the other, once its message is delivered.
        await runtime.cache.invalidate(CATALOG)
        await delivered(other_app.state.runtime, runtime)
        seen_by_other = await other.get("/api/integrations")
        assert names(seen_by_other.json())["openrouter"] == "OpenRouter Renamed"

        await rename(runtime, "openrouter", "OpenRouter Again")
        await other_app.state.runtime.cache.invalidate(CATALOG)
        await delivered(runtime, other_app.state.runtime)
        seen_by_first = await client.get("/api/integrations")
        assert names(seen_by_first.json())["openrouter"] == "OpenRouter Again"


@needs_redis
async def test_cache_toggle_on_one_instance_is_visible_on_another(
    client: httpx.AsyncClient, settings: Settings, demo_headers: dict[str, str]
) -> None:
    async with running(settings) as (_, other):
        assert (await other.get("/api/integrations/sendgrid", headers=demo_headers)).json()[
            "tenantEnabled"
        ] is False
        await toggle(client, demo_headers, "sendgrid", True)
        detail = await other.get("/api/integrations/sendgrid", headers=demo_headers)
        assert detail.json()["tenantEnabled"] is True
        listed = rows((await other.get("/api/integrations", headers=demo_headers)).json())
        assert listed["sendgrid"]["tenantEnabled"] is True


@needs_redis
async def test_cache_anonymous_entries_live_five_minutes(
    client: httpx.AsyncClient, settings: Settings, demo: None
) -> None:
    import redis.asyncio as redis

    assert REDIS_URL is not None
    await client.get("/api/integrations")
    await client.get("/api/integrations/openrouter")
    backend = redis.Redis.from_url(REDIS_URL)
    try:
        prefix = f"{settings.redis_prefix}cache:"
        keys = [
            key.decode()
            async for key in backend.scan_iter(match=f"{prefix}*")
            if not key.decode().startswith(f"{prefix}gen:")
        ]
        assert len(keys) == 2
        for key in keys:
            ttl = await backend.ttl(key)
            assert 290 <= ttl <= 300, (key, ttl)
    finally:
        await backend.aclose()


@needs_redis
async def test_cache_shutdown_releases_redis_connections(settings: Settings, demo: None) -> None:
    """Stopping an instance closes what it opened: the cache's and the rate limits' Redis
    connections alike (a worker restart must not leak sockets)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        runtime: Runtime = application.state.runtime
        await runtime.cache.get(CATALOG, "probe")
        await runtime.limits.hit("integration", "203.0.113.9")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del runtime, application
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []
