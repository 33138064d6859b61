"""Fixtures of the /api/tools/* tests: staff and caller headers, a frozen clock."""

from __future__ import annotations

import uuid

import pytest

from app.models import CategoryFallback
from app.runtime import Runtime
from tests.conftest import Sessions, session_headers
from tests.legacy_rest.tools_routes.helpers import new_workspace
from tests.support.builders import add_rows


@pytest.fixture
async def staff_headers(demo: None, sessions: Sessions) -> dict[str, str]:
    return session_headers(await sessions.create("admin@vendo.local", staff=True))


@pytest.fixture
async def caller_headers(
    request: pytest.FixtureRequest, demo: None, sessions: Sessions
) -> dict[str, str]:
    """Headers of the caller named by ``caller`` (parametrized)."""
    caller = request.param
    if caller == "anonymous":
        return {}
    if caller == "signed-in":
        return session_headers(await sessions.create("demo@vendo.local"))
    return session_headers(await sessions.create("admin@vendo.local", staff=True))


@pytest.fixture
async def workspace(runtime: Runtime) -> uuid.UUID:
    """A fresh workspace (no demo data) and the fallback rows the framing tests use."""
    tenant_id = await new_workspace(runtime, "framing@example.com")
    await add_rows(
        runtime,
        CategoryFallback(category="robots", daily_spend_micros=2_000_000),
        CategoryFallback(category="*", daily_spend_micros=400_000),
    )
    return tenant_id
