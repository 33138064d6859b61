"""Concurrency: concurrent requests over the ASGI client against the real
database — 50 toggles of one integration by one tenant end in a consistent state, concurrent bulk
saves of one new name create one integration, and concurrent writers of every kind never show a
client "database is locked" (nor any 5xx) with the default busy timeout."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.sql import Insert

from app.models import (
    MANAGED_POOL,
    App,
    Connection,
    Integration,
    TenantIntegration,
)
from app.runtime import Runtime
from tests.conftest import Sessions, session_headers
from tests.support.credentials import mint_key, sign_up
from tests.support.http import assert_json

SECRET_KEY = Fernet.generate_key().decode()
TOGGLES = 50


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The limiter would answer 429 to most of 50 toggles: these tests are about the database.
    return {"integration_rate_limit": "10000/minute", "secret_keys": SECRET_KEY}


class CommitLog:
    """The ``enabled`` value of each committed tenant_integrations upsert, in commit order
    (recorded from the engine's own events, not guessed from response order)."""

    def __init__(self) -> None:
        self.pending: dict[int, bool] = {}
        self.committed: list[bool] = []

    def before_execute(self, conn: SyncConnection, clause: Any, *_: Any) -> None:
        if isinstance(clause, Insert) and clause.table.name == "tenant_integrations":
            self.pending[id(conn)] = bool(clause.compile().params["enabled"])

    def commit(self, conn: SyncConnection) -> None:
        if (value := self.pending.pop(id(conn), None)) is not None:
            self.committed.append(value)

    def rollback(self, conn: SyncConnection) -> None:
        self.pending.pop(id(conn), None)


@pytest.fixture
def commit_log(runtime: Runtime) -> Iterator[CommitLog]:
    log = CommitLog()
    engine = runtime.db.engine.sync_engine
    hooks = [("before_execute", log.before_execute), ("commit", log.commit)]
    hooks.append(("rollback", log.rollback))
    for name, hook in hooks:
        event.listen(engine, name, hook)
    yield log
    for name, hook in hooks:
        event.remove(engine, name, hook)


async def state_rows(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> list[Any]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(TenantIntegration)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == provider)
        )
        return list(rows)


async def managed_connections(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> int:
    async with runtime.db.read() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Connection)
            .where(
                Connection.tenant_id == tenant_id,
                Connection.provider == provider,
                Connection.profile == MANAGED_POOL,
                Connection.active.is_(True),  # type: ignore[attr-defined]
            )
        )
    return int(count or 0)


def mixed_flags(count: int, seed: int) -> list[bool]:
    flags = [i % 2 == 0 for i in range(count)]
    random.Random(seed).shuffle(flags)
    return flags


# --------------------------------------------------------------------------------------------
# 50 concurrent toggles


@pytest.mark.parametrize("provider", ["elevenlabs", "slack"])
async def test_toggles_50_concurrent_end_consistent(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    commit_log: CommitLog,
    demo: None,
    provider: str,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, f"racer-{provider}@example.com")
    flags = mixed_flags(TOGGLES, seed=5)

    async def toggle(enabled: bool) -> httpx.Response:
        return await client.post(
            f"/api/integrations/{provider}", json={"enabled": enabled}, headers=headers
        )

    responses = await asyncio.gather(*(toggle(flag) for flag in flags))
    for flag, response in zip(flags, responses, strict=True):
        assert_json(response, 200, {"enabled": flag})

    assert len(commit_log.committed) == TOGGLES
    assert sorted(commit_log.committed) == sorted(flags)
    rows = await state_rows(runtime, tenant_id, provider)
    assert len(rows) == 1
    assert rows[0].enabled is commit_log.committed[-1]
    # The managed-pool stub is active exactly while the last committed flag is on.
    pool = await managed_connections(runtime, tenant_id, provider)
    assert pool == (int(commit_log.committed[-1]) if provider == "elevenlabs" else 0)
    detail = await client.get(f"/api/integrations/{provider}", headers=headers)
    assert detail.json()["tenantEnabled"] is commit_log.committed[-1]


async def test_toggles_concurrent_over_rest_and_graphql_end_consistent(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    commit_log: CommitLog,
    demo: None,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "two-doors@example.com")
    flags = mixed_flags(TOGGLES, seed=11)
    mutation = (
        'mutation($on: Boolean!) { setIntegrationEnabled(slug: "assemblyai", enabled: $on) '
        "{ enabled provisioningError } }"
    )

    async def toggle(i: int, enabled: bool) -> bool:
        if i % 2:
            response = await client.post(
                "/api/integrations/assemblyai", json={"enabled": enabled}, headers=headers
            )
            assert_json(response, 200, {"enabled": enabled})
        else:
            response = await client.post(
                "/graphql", json={"query": mutation, "variables": {"on": enabled}}, headers=headers
            )
            assert_json(
                response,
                200,
                {
                    "data": {
                        "setIntegrationEnabled": {"enabled": enabled, "provisioningError": None}
                    }
                },
            )
        return enabled

    await asyncio.gather(*(toggle(i, flag) for i, flag in enumerate(flags)))
    rows = await state_rows(runtime, tenant_id, "assemblyai")
    assert len(rows) == 1
    assert rows[0].enabled is commit_log.committed[-1]
    pool = await managed_connections(runtime, tenant_id, "assemblyai")
    assert pool == int(commit_log.committed[-1])


# --------------------------------------------------------------------------------------------
# Concurrent bulk saves of one new name


@pytest.mark.parametrize("savers", [2, 6])
async def test_bulk_saves_of_one_new_name_create_one_integration(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, savers: int
) -> None:
    staff = session_headers(await sessions.create("admin@vendo.local", staff=True))
    name = f"twin-mail-{savers}"

    async def save(i: int) -> httpx.Response:
        body = [
            {
                "name": name,
                "type": "sendgrid",
                "description": f"saver {i}",
                "configuration": {"api_key": f"SG.{i}"},
            }
        ]
        return await client.post("/api/integrations", json=body, headers=staff)

    responses = await asyncio.gather(*(save(i) for i in range(savers)))
    assert [r.status_code for r in responses] == [200] * savers, [r.text for r in responses]
    saved = [r.json()["integrations"][0] for r in responses]
    assert len({row["id"] for row in saved}) == 1
    assert sorted(row["created"] for row in saved) == [False] * (savers - 1) + [True]
    async with runtime.db.read() as session:
        rows = list(await session.scalars(select(Integration).where(Integration.provider == name)))
    assert len(rows) == 1
    assert str(rows[0].id) == saved[0]["id"]


async def test_bulk_saves_sharing_names_in_opposite_orders_do_not_deadlock(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions
) -> None:
    staff = session_headers(await sessions.create("admin@vendo.local", staff=True))
    names = [f"pair-{i}" for i in range(4)]

    def body(order: list[str]) -> list[dict[str, Any]]:
        return [
            {"name": n, "type": "sendgrid", "configuration": {"api_key": "SG.x"}} for n in order
        ]

    responses = await asyncio.wait_for(
        asyncio.gather(
            *(
                client.post(
                    "/api/integrations",
                    json=body(names if i % 2 else names[::-1]),
                    headers=staff,
                )
                for i in range(6)
            )
        ),
        timeout=20,
    )
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    async with runtime.db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Integration).where(Integration.provider.in_(names))  # type: ignore[attr-defined]
        )
    assert count == 4


# --------------------------------------------------------------------------------------------
# Every kind of writer at once, default busy timeout


async def test_concurrent_writers_never_see_database_is_locked(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    assert runtime.settings.db_busy_timeout_ms == 5000
    staff = session_headers(await sessions.create("admin@vendo.local", staff=True))
    tenants = [await sign_up(sessions, runtime, f"writer-{i}@example.com") for i in range(3)]
    demo_headers = session_headers(await sessions.create("demo@vendo.local"))
    async with runtime.db.read() as session:
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
    key = await mint_key(runtime, app_id=app_id)
    v1 = {"Authorization": f"Bearer {key}", "X-Account-ID": "demo"}
    providers = ["slack", "elevenlabs", "assemblyai", "telegram"]

    calls = []
    for i in range(40):
        headers = tenants[i % 3][0] if i % 4 else demo_headers
        provider = providers[i % len(providers)]
        calls.append(
            client.post(
                f"/api/integrations/{provider}", json={"enabled": bool(i % 3)}, headers=headers
            )
        )
    for i in range(20):
        target = ["openai", "sendgrid"][i % 2]
        action = "install" if i % 3 else "uninstall"
        payload = (
            {"params": {"n": i}, "secrets": {"api_key": f"k{i}"}} if action == "install" else None
        )
        calls.append(
            client.post(f"/api/v1/integrations/{target}/{action}", json=payload, headers=v1)
        )
    for i in range(10):
        batch = [
            {
                "name": f"busy-{(i + j) % 5}",
                "type": "sendgrid",
                "configuration": {"api_key": f"SG.{i}"},
            }
            for j in range(3)
        ]
        calls.append(client.post("/api/integrations", json=batch, headers=staff))
    for i in range(10):
        calls.append(
            client.post(
                "/graphql",
                json={
                    "query": 'mutation($on: Boolean!) { setIntegrationEnabled(slug: "resend", '
                    "enabled: $on) { enabled } }",
                    "variables": {"on": bool(i % 2)},
                },
                headers=tenants[i % 3][0],
            )
        )
    order = list(range(len(calls)))
    random.Random(3).shuffle(order)
    shuffled = [calls[i] for i in order]
    responses = await asyncio.gather(*shuffled)
    failures = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 200]
    assert failures == []
    assert not [r.text for r in responses if "locked" in r.text.lower()]
    assert not [r.text for r in responses if '"errors"' in r.text]
