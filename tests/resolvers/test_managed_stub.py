"""The managed-pool stub a toggle of elevenlabs or assemblyai writes (CONTRACT.md §1), through its
whole life: enabling writes it, disabling deactivates it with the flag, enabling again brings
the same row back. ``tenantEnabled`` is the flag or an active connection, ``provisioned`` an
active connection: a workspace whose only connection is the stub reads the two alike after
every toggle, on REST and GraphQL. Connections the tenant made itself are never touched."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.models import (
    BYOK_STATIC,
    MANAGED_POOL,
    App,
    AppConnectionBinding,
    Connection,
    Integration,
    Tenant,
    TenantIntegration,
    utcnow,
)
from app.repositories import integrations
from app.runtime import Runtime
from tests.conftest import GraphQLClient, Sessions
from tests.support.credentials import sign_up

MANAGED = ["elevenlabs", "assemblyai"]
TOGGLE = """
mutation Toggle($slug: String!, $enabled: Boolean!) {
  setIntegrationEnabled(slug: $slug, enabled: $enabled) { enabled provisioningError }
}
"""
READS = """
query Reads($slug: String!) {
  integration(slug: $slug) { tenantEnabled provisioned }
  integrations(first: 100) { nodes { provider tenantEnabled provisioned } }
}
"""


async def connections(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> list[Any]:
    """(id, profile, active) of the workspace's connections for a provider, oldest first."""
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(Connection.id, Connection.profile, Connection.active)
            .where(Connection.tenant_id == tenant_id, Connection.provider == provider)
            .order_by(Connection.created_at)
        )
        return [tuple(row) for row in rows]


async def toggle(
    client: httpx.AsyncClient, gql: GraphQLClient, via: str, slug: str, enabled: bool, headers: Any
) -> None:
    if via == "rest":
        response = await client.post(
            f"/api/integrations/{slug}", json={"enabled": enabled}, headers=headers
        )
        assert (response.status_code, response.json()) == (200, {"enabled": enabled})
    else:
        result = await gql(TOGGLE, {"slug": slug, "enabled": enabled}, headers=headers)
        assert result == {
            "data": {"setIntegrationEnabled": {"enabled": enabled, "provisioningError": None}}
        }


async def everywhere(
    client: httpx.AsyncClient, gql: GraphQLClient, slug: str, headers: Any
) -> list[tuple[bool, bool | None]]:
    """(tenantEnabled, provisioned) of one integration as each read shows it: the signed-in
    REST list and detail (the detail has no ``provisioned``), GraphQL's list and detail."""
    listed = (await client.get("/api/integrations", headers=headers)).json()
    row = next(item for item in listed if item["provider"] == slug)
    detail = (await client.get(f"/api/integrations/{slug}", headers=headers)).json()
    data = (await gql(READS, {"slug": slug}, headers=headers))["data"]
    node = next(item for item in data["integrations"]["nodes"] if item["provider"] == slug)
    one = data["integration"]
    return [
        (row["tenantEnabled"], row["provisioned"]),
        (detail["tenantEnabled"], None),
        (node["tenantEnabled"], node["provisioned"]),
        (one["tenantEnabled"], one["provisioned"]),
    ]


def shown(enabled: bool) -> list[tuple[bool, bool | None]]:
    return [(enabled, enabled), (enabled, None), (enabled, enabled), (enabled, enabled)]


@pytest.mark.parametrize("via", ["rest", "graphql"])
@pytest.mark.parametrize("slug", MANAGED)
async def test_disable_deactivates_the_stub_and_enable_brings_it_back(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    slug: str,
    via: str,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, f"{slug}-{via}@example.com")
    await toggle(client, gql, via, slug, True, headers)
    [(stub, profile, active)] = await connections(runtime, tenant_id, slug)
    assert (profile, active) == (MANAGED_POOL, True)
    assert await everywhere(client, gql, slug, headers) == shown(True)

    await toggle(client, gql, via, slug, False, headers)
    assert await connections(runtime, tenant_id, slug) == [(stub, MANAGED_POOL, False)]
    assert await everywhere(client, gql, slug, headers) == shown(False)

    await toggle(client, gql, via, slug, True, headers)
    assert await connections(runtime, tenant_id, slug) == [(stub, MANAGED_POOL, True)]
    assert await everywhere(client, gql, slug, headers) == shown(True)


async def test_disable_leaves_the_tenants_own_connections(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
) -> None:
    """Only the stub goes: a byok connection stays active (so ``provisioned`` stays true while
    the flag, which wins, says the workspace switched the integration off)."""
    headers, tenant_id = await sign_up(sessions, runtime, "own-key@example.com")
    async with runtime.db.write() as session, session.begin():
        session.add(Connection(tenant_id=tenant_id, provider="elevenlabs", profile=BYOK_STATIC))
    await toggle(client, gql, "rest", "elevenlabs", True, headers)
    await toggle(client, gql, "rest", "elevenlabs", False, headers)
    rows = await connections(runtime, tenant_id, "elevenlabs")
    assert sorted((profile, active) for _, profile, active in rows) == [
        (BYOK_STATIC, True),
        (MANAGED_POOL, False),
    ]
    assert await everywhere(client, gql, "elevenlabs", headers) == [
        (False, True),
        (False, None),
        (False, True),
        (False, True),
    ]


async def test_disable_of_another_provider_leaves_its_managed_pool_connection(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
) -> None:
    """The toggle writes stubs for elevenlabs and assemblyai only; a managed-pool connection of
    another provider was made otherwise and is the tenant's to keep."""
    headers, tenant_id = await sign_up(sessions, runtime, "deepgram@example.com")
    async with runtime.db.write() as session, session.begin():
        session.add(Connection(tenant_id=tenant_id, provider="deepgram", profile=MANAGED_POOL))
    await toggle(client, gql, "rest", "deepgram", False, headers)
    rows = await connections(runtime, tenant_id, "deepgram")
    assert [(profile, active) for _, profile, active in rows] == [(MANAGED_POOL, True)]


async def voice_notes(runtime: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    """The demo app bound to the demo workspace's elevenlabs stub, and that stub."""
    async with runtime.db.read() as session:
        row = (
            await session.execute(
                select(App.id, Connection.id)
                .join(AppConnectionBinding, AppConnectionBinding.app_id == App.id)
                .join(Connection, Connection.id == AppConnectionBinding.connection_id)
                .where(App.name == "Voice notes", Connection.provider == "elevenlabs")
            )
        ).one()
    return row[0], row[1]


async def test_apps_bound_to_the_stub_follow_the_toggle(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    """Enabling again reactivates the same row, so an app bound to it is bound again (a new row
    would leave the binding on the dead one)."""
    app_id, stub = await voice_notes(runtime)

    async def bound() -> bool:
        response = await client.get(
            f"/api/tools/scribe/integrations?appId={app_id}", headers=demo_headers
        )
        rows = [*response.json()["required"], *response.json()["optional"]]
        return next(row["alreadyEnabled"] for row in rows if row["provider"] == "elevenlabs")

    assert await bound() is True
    for enabled in (False, True):
        response = await client.post(
            "/api/integrations/elevenlabs", json={"enabled": enabled}, headers=demo_headers
        )
        assert response.json() == {"enabled": enabled}
        assert await bound() is enabled
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    assert tenant_id is not None
    assert await connections(runtime, tenant_id, "elevenlabs") == [(stub, MANAGED_POOL, True)]


async def test_a_late_enable_does_not_reactivate_what_a_later_disable_turned_off(
    runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    """An enable writes its stub in a transaction after its flag's. A disable committed in
    between (flag and stub together) wins: the enable's stub step finds the flag off."""
    _, tenant_id = await sign_up(sessions, runtime, "double-click@example.com")
    async with runtime.db.read() as session:
        integration_id = await session.scalar(
            select(Integration.id).where(Integration.provider == "assemblyai")
        )
    assert integration_id is not None

    async def set_flag(enabled: bool) -> None:
        async with runtime.db.write() as session, session.begin():
            await integrations.set_tenant_enabled(
                session=session,
                tenant_id=tenant_id,
                integration_id=integration_id,
                enabled=enabled,
                now=utcnow(),
            )
            if not enabled:
                await integrations.deactivate_managed_connection(
                    session=session, tenant_id=tenant_id, provider="assemblyai"
                )

    async def stub_step() -> bool:
        async with runtime.db.write() as session, session.begin():
            return await integrations.activate_managed_connection(
                session=session,
                tenant_id=tenant_id,
                integration_id=integration_id,
                provider="assemblyai",
                now=utcnow(),
            )

    await set_flag(True)
    assert await stub_step() is True
    await set_flag(True)  # the late enable's flag …
    await set_flag(False)  # … a disable …
    assert await stub_step() is False  # … then the late enable's stub step
    rows = await connections(runtime, tenant_id, "assemblyai")
    assert [(profile, active) for _, profile, active in rows] == [(MANAGED_POOL, False)]


@pytest.mark.parametrize("slug", MANAGED)
async def test_concurrent_toggles_leave_flag_and_stub_agreeing(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
    slug: str,
) -> None:
    """Enables and disables in flight at once (a user clicking fast, two tabs): whichever flag
    commits last, the stub and every read agree with it, and one stub row at most exists."""
    headers, tenant_id = await sign_up(sessions, runtime, f"fast-{slug}@example.com")
    for round_ in range(3):
        flags = [index % 2 == round_ % 2 for index in range(8)]
        responses = await asyncio.gather(
            *(
                client.post(f"/api/integrations/{slug}", json={"enabled": f}, headers=headers)
                for f in flags
            )
        )
        assert [r.json() for r in responses] == [{"enabled": f} for f in flags]
        rows = await connections(runtime, tenant_id, slug)
        assert len(rows) <= 1  # none when every enable found a later disable committed
        assert all(profile == MANAGED_POOL for _, profile, _ in rows)
        active = any(active for _, _, active in rows)
        async with runtime.db.read() as session:
            flag = await session.scalar(
                select(TenantIntegration.enabled)
                .join(Integration, Integration.id == TenantIntegration.integration_id)
                .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == slug)
            )
        assert active is flag
        assert await everywhere(client, gql, slug, headers) == shown(flag)
