"""Key and binding changes on the change stream (docs/decisions/0155): a key revoked through the
REST route (its GraphQL mutation) or by ``vendo-gateway key revoke``, and bindings written with an
app (by the bindings table's triggers, docs/decisions/0160: once per binding), log their change in
the write's transaction — with the key's workspace and app — and reach subscribers once it
committed."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.changes import BINDING_ADDED, KEY_REVOKED, Change
from app.changes.hub import Subscription
from app.cli import main
from app.models import ApiKey, App, AppConnectionBinding, ChangeEvent, Tool
from app.repositories import seed
from app.runtime import Runtime
from app.settings import Settings
from tests.support.catalog import demo_tenant_id
from tests.support.credentials import demo_key
from tests.support.workspace import connection_of, key_row

WITHIN = 2.0
JSON = {"Content-Type": "application/json"}


async def logged(runtime: Runtime, kind: str) -> list[ChangeEvent]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(ChangeEvent).where(col(ChangeEvent.kind) == kind).order_by(col(ChangeEvent.id))
        )
        return list(rows)


async def revoked_at_seen_elsewhere(runtime: Runtime, key_id: uuid.UUID) -> object:
    async with runtime.db.read() as session:
        return await session.scalar(select(ApiKey.revoked_at).where(ApiKey.id == key_id))


async def next_change(subscription: Subscription) -> Change:
    return await asyncio.wait_for(subscription.__anext__(), WITHIN)


async def test_revoking_a_key_through_rest_logs_and_publishes_key_revoked(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant = await demo_tenant_id(runtime)
    key = await demo_key(runtime)
    row = await key_row(runtime, key)
    assert row.app_id is not None
    async with runtime.changes.hub.subscribe(tenant, [KEY_REVOKED]) as subscription:
        response = await client.delete(f"/api/keys/{row.id}", headers=JSON | demo_headers)
        assert response.status_code == 200, response.text
        change = await next_change(subscription)
        # Published after the commit: another connection already sees the key revoked.
        assert await revoked_at_seen_elsewhere(runtime, row.id) is not None
        [stored] = await logged(runtime, KEY_REVOKED)
        assert (stored.id, stored.tenant_id, stored.app_id, stored.subject, stored.payload) == (
            change.id,
            tenant,
            row.app_id,
            str(row.id),
            {"key_id": str(row.id), "app_id": str(row.app_id)},
        )
        assert (change.tenant_id, change.app_id, change.kind) == (tenant, row.app_id, KEY_REVOKED)
        again = await client.delete(f"/api/keys/{row.id}", headers=JSON | demo_headers)
        assert again.status_code == 200
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(subscription.__anext__(), 1.0)
    assert len(await logged(runtime, KEY_REVOKED)) == 1


async def test_the_cli_key_revoke_reaches_the_gateway_s_workers(
    demo: None, settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await demo_tenant_id(runtime)
    key = await demo_key(runtime)
    row = await key_row(runtime, key)
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    await runtime.changes.ready()  # the worker listens (PostgreSQL) or polls (SQLite)
    async with runtime.changes.hub.subscribe(tenant, [KEY_REVOKED]) as subscription:
        code = await asyncio.to_thread(main, ["key", "revoke", "--key", key])
        assert code == 0
        change = await next_change(subscription)
    assert (change.tenant_id, change.app_id, change.subject) == (tenant, row.app_id, str(row.id))
    [stored] = await logged(runtime, KEY_REVOKED)
    assert stored.id == change.id


async def test_bindings_written_with_an_app_log_binding_added(demo: None, runtime: Runtime) -> None:
    tenant = await demo_tenant_id(runtime)
    connection = await connection_of(runtime, tenant, "openrouter")
    async with runtime.db.read() as session:
        tool_id = await session.scalar(select(Tool.id).order_by(Tool.slug).limit(1))
    assert tool_id is not None
    before = {row.id for row in await logged(runtime, BINDING_ADDED)}
    async with runtime.changes.hub.subscribe(tenant, [BINDING_ADDED]) as subscription:
        async with runtime.db.write() as session, session.begin():
            app_id = await seed.add_app(
                session=session,
                tenant_id=tenant,
                tool_id=tool_id,
                name="Bound",
                connection_ids=[connection.id],
            )
        async with runtime.db.read() as session:
            assert await session.scalar(select(App.id).where(App.id == app_id)) == app_id
        change = await next_change(subscription)
    new = [row for row in await logged(runtime, BINDING_ADDED) if row.id not in before]
    assert [(r.id, r.tenant_id, r.app_id, r.subject, r.payload) for r in new] == [
        (
            change.id,
            tenant,
            app_id,
            str(connection.id),
            {"app_id": str(app_id), "connection_id": str(connection.id)},
        )
    ]


async def test_the_demo_seed_logs_one_binding_added_per_binding(
    demo: None, runtime: Runtime
) -> None:
    async with runtime.db.read() as session:
        bindings = (await session.execute(select(AppConnectionBinding))).scalars().all()
    logged_pairs = [(row.app_id, row.subject) for row in await logged(runtime, BINDING_ADDED)]
    assert bindings
    assert sorted(logged_pairs) == sorted((b.app_id, str(b.connection_id)) for b in bindings)
