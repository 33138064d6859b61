"""``GET /api/integrations``: the canonical list for anonymous callers, the workspace's
overlay signed in (CONTRACT.md §1.1; docs/decisions/0001, 0002, 0003, 0008)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from app.models import Integration
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    CANONICAL_KEYS,
    INTERNAL,
    ISO_MILLIS,
    LIST_ROW_KEYS,
    OPENROUTER_CANONICAL,
    add_rows,
    boom,
    by_provider,
    is_canonical_list,
    month_totals,
)
from tests.support.catalog import ENABLED_PROVIDERS, demo_tenant_id
from tests.support.credentials import sign_up_without_workspace
from tests.support.http import assert_json


async def test_list_anonymous_returns_canonical_shape(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/integrations")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["integrations"]
    rows = body["integrations"]
    assert [row["provider"] for row in rows] == ENABLED_PROVIDERS
    for row in rows:
        assert list(row) == CANONICAL_KEYS
    assert by_provider(rows)["openrouter"] == OPENROUTER_CANONICAL
    assert_json(response, 200, body)


async def test_list_anonymous_omits_disabled_integrations(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/integrations")
    assert "replicate" not in {row["provider"] for row in response.json()["integrations"]}


async def test_list_signed_in_returns_bare_array_with_overlay(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert isinstance(body, list)
    assert [row["provider"] for row in body] == ENABLED_PROVIDERS
    for row in body:
        assert list(row) == LIST_ROW_KEYS
        assert ISO_MILLIS.match(row["created_at"]), row["created_at"]
        assert ISO_MILLIS.match(row["updated_at"]), row["updated_at"]
        uuid.UUID(row["id"])
    rows = by_provider(body)
    tenant_id = await demo_tenant_id(runtime)

    openrouter = rows["openrouter"]
    assert {k: openrouter[k] for k in CANONICAL_KEYS} == OPENROUTER_CANONICAL
    assert openrouter["type"] is None
    assert openrouter["enabled"] is True
    async with runtime.db.read() as session:
        openrouter_id = await session.scalar(
            select(Integration.id).where(Integration.provider == "openrouter")
        )
    assert openrouter["id"] == str(openrouter_id)

    expected_overlay = {
        # byok_static connection, no flag: the fallback applies.
        "openrouter": (True, True),
        # flag true and a managed-pool connection.
        "elevenlabs": (True, True),
        # usage history but no flag and no connection.
        "assemblyai": (False, False),
        # flag false.
        "telegram": (False, False),
        "sendgrid": (False, False),
    }
    for provider, (tenant_enabled, provisioned) in expected_overlay.items():
        assert rows[provider]["tenantEnabled"] is tenant_enabled, provider
        assert rows[provider]["provisioned"] is provisioned, provider
    for provider in ("openrouter", "elevenlabs", "assemblyai"):
        count, cost = await month_totals(runtime, tenant_id, provider)
        assert count > 0
        assert (rows[provider]["usageThisMonth"], rows[provider]["costThisMonth"]) == (count, cost)
    assert (rows["sendgrid"]["usageThisMonth"], rows["sendgrid"]["costThisMonth"]) == (0, 0)


async def test_list_signed_in_row_carries_iso_utc_millisecond_timestamps(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    integration_id = uuid.uuid4()
    await add_rows(
        runtime,
        Integration(
            id=integration_id,
            provider="aaa-custom",
            name="Custom",
            description="A row with known timestamps.",
            category="email",
            type="smtp",
            icon_name="mail",
            created_at=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
            updated_at=datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC),
        ),
    )
    response = await client.get("/api/integrations", headers=demo_headers)
    assert response.json()[0] == {
        "id": str(integration_id),
        "provider": "aaa-custom",
        "name": "Custom",
        "description": "A row with known timestamps.",
        "category": "email",
        "type": "smtp",
        "enabled": True,
        "default_profile": "vendo_managed_pool",
        "supported_profiles": ["vendo_managed_pool"],
        "logo_url": None,
        "icon_name": "mail",
        "docs_url": None,
        "env_bootstrap": None,
        "created_at": "2025-01-02T03:04:05.678Z",
        "updated_at": "2025-02-03T04:05:06.000Z",
        "tenantEnabled": False,
        "provisioned": False,
        "usageThisMonth": 0,
        "costThisMonth": 0,
    }


async def test_list_signed_in_without_workspace_is_404(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    response = await client.get("/api/integrations", headers=headers)
    assert_json(response, 404, {"message": "No workspace found"})


async def test_list_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.list_integrations", boom)
    assert_json(await client.get("/api/integrations"), 500, INTERNAL)
    assert_json(await client.get("/api/integrations", headers=demo_headers), 500, INTERNAL)


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "vs_" + "A" * 43, "x" * 300, "a.b.c", ""],
    ids=["garbage", "unknown-token", "overlong", "jwt-like", "empty"],
)
async def test_list_invalid_cookie_gets_anonymous_shape(
    client: httpx.AsyncClient, demo: None, cookie: str
) -> None:
    response = await client.get("/api/integrations", headers={"Cookie": f"vendo_session={cookie}"})
    assert response.status_code == 200
    assert is_canonical_list(response.json())


async def test_list_ignores_bearer_session_token(
    client: httpx.AsyncClient, sessions: Sessions, demo: None
) -> None:
    """docs/decisions/0008: the dashboard routes accept the session cookie only; a Bearer is
    ignored."""
    token = await sessions.create("demo@vendo.local")
    response = await client.get("/api/integrations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert is_canonical_list(response.json())
