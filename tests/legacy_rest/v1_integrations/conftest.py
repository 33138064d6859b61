"""Fixtures of the /api/v1 tests: secrets at rest configured, the demo workspace's ids, an
App Key acting for the demo account."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.models import (
    App,
    Connection,
    Tenant,
)
from app.runtime import Runtime
from tests.legacy_rest.v1_integrations.helpers import SECRET_KEY, Demo
from tests.support.credentials import bearer, mint_key


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY}


@pytest.fixture
async def ids(runtime: Runtime, demo: None) -> Demo:
    async with runtime.db.read() as session:
        tenant = (await session.execute(select(Tenant).where(Tenant.slug == "demo"))).scalar_one()
        admin = (await session.execute(select(Tenant).where(Tenant.slug == "admin"))).scalar_one()
        app_id = await session.scalar(select(App.id).where(App.name == "My Hermes"))
        connection_id = await session.scalar(
            select(Connection.id).where(
                Connection.tenant_id == tenant.id, Connection.provider == "openrouter"
            )
        )
    assert app_id is not None
    assert connection_id is not None
    return Demo(tenant.id, tenant.owner_id, app_id, connection_id, admin.id, admin.owner_id)


@pytest.fixture
async def app_key(runtime: Runtime, ids: Demo) -> str:
    return await mint_key(runtime, app_id=ids.app_id)


@pytest.fixture
async def headers(app_key: str) -> dict[str, str]:
    """An App Key of the demo workspace, acting for the demo account."""
    return bearer(app_key, "demo")
