"""Reference 01 over HTTP: the five integrations routes, their bodies, their error tables and the
choices of docs/DECISIONS.md: order of checks, body validation, soft warning, the limiter."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, text, update
from starlette.applications import Starlette

import app.models.base
from app.models import (
    BYOK_STATIC,
    MANAGED_POOL,
    Connection,
    Integration,
    Session,
    Tenant,
    TenantIntegration,
    UsageEvent,
    User,
)
from app.repositories import accounts
from app.runtime import Runtime
from tests.conftest import Sessions, session_headers

# --------------------------------------------------------------------------------------------
# Documents and expected shapes

# A cookie write must say it sends JSON (legacy_rest/cookie_writes.py), even with no body.
JSON_TYPE = {"Content-Type": "application/json"}
TOGGLE_MUTATION = """
mutation Toggle($slug: String!, $enabled: Boolean!) {
  setIntegrationEnabled(slug: $slug, enabled: $enabled) { enabled provisioningError }
}
"""

REGENERATE_MUTATION = """
mutation Regenerate($slug: String!) {
  regenerateIntegrationKey(slug: $slug) { key }
}
"""

CANONICAL_KEYS = [
    "provider",
    "name",
    "description",
    "category",
    "default_profile",
    "supported_profiles",
    "logo_url",
    "icon_name",
    "docs_url",
    "env_bootstrap",
]
ROW_KEYS = [
    "id",
    "provider",
    "name",
    "description",
    "category",
    "type",
    "enabled",
    "default_profile",
    "supported_profiles",
    "logo_url",
    "icon_name",
    "docs_url",
    "env_bootstrap",
    "created_at",
    "updated_at",
]
LIST_ROW_KEYS = [*ROW_KEYS, "tenantEnabled", "provisioned", "usageThisMonth", "costThisMonth"]
DETAIL_ROW_KEYS = [*ROW_KEYS, "tenantEnabled"]
USAGE_KEYS = ["provider", "dailyTrend", "spend_daily_usd", "spend_weekly_usd", "spend_monthly_usd"]

ENABLED_PROVIDERS = [
    "anthropic",
    "assemblyai",
    "deepgram",
    "elevenlabs",
    "openai",
    "openrouter",
    "pinecone",
    "qdrant",
    "resend",
    "sendgrid",
    "slack",
    "telegram",
    "twilio",
]

OPENROUTER_CANONICAL = {
    "provider": "openrouter",
    "name": "OpenRouter",
    "description": "Unified gateway for LLM providers.",
    "category": "llm",
    "default_profile": "vendo_managed_pool",
    "supported_profiles": ["vendo_managed_pool", "byok_static"],
    "logo_url": "https://vendo.run/logos/openrouter.svg",
    "icon_name": None,
    "docs_url": "https://openrouter.ai/docs",
    "env_bootstrap": {"vars": ["OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"], "restart": "gateway"},
}

UNAUTHORIZED = {"message": "Unauthorized"}
NOT_FOUND = {"message": "Not found"}
INTERNAL = {"message": "Internal server error"}
RATE_LIMITED = {"message": "Rate limit exceeded"}
INVALID_JSON = {"message": "Invalid JSON body"}
BAD_BODY = {"message": 'Body must be a JSON object with a boolean "enabled"'}
NOT_PROVISIONED = {"message": "Integration not provisioned"}
NO_REGENERATION = {"message": "This integration does not support key regeneration"}
OPENROUTER_NO_REGENERATION = {
    "message": "OpenRouter does not support regeneration; managed by shared upstream credential"
}
PROVISIONING_FAILED = {"enabled": True, "error": "Failed to provision the managed connection"}

ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# A frozen "now" for exact usage figures: Saturday 31 May 2025. The month started 30 days earlier
# (outside the 30-day trend, which starts on 2 May); the ISO week started on Monday 26 May.
FROZEN_NOW = datetime(2025, 5, 31, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Helpers


def assert_json(response: httpx.Response, status: int, body: Any) -> None:
    """Exact status, exact body, JSON content type, compact encoding."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body
    compact = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert response.content == compact.encode()


def is_canonical_list(body: Any) -> bool:
    return isinstance(body, dict) and list(body) == ["integrations"]


async def sign_up(
    sessions: Sessions, runtime: Runtime, email: str
) -> tuple[dict[str, str], uuid.UUID]:
    """A new user with a production workspace: their session headers and their tenant id."""
    token = await sessions.create(email)
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(
            select(Tenant.id).join(User, User.id == Tenant.owner_id).where(User.email == email)
        )
    assert tenant_id is not None
    return session_headers(token), tenant_id


async def sign_up_without_workspace(
    sessions: Sessions, runtime: Runtime, email: str
) -> dict[str, str]:
    token = await sessions.create(email)
    async with runtime.db.write() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == email))
        await session.execute(delete(Tenant).where(Tenant.owner_id == user_id))
    return session_headers(token)


async def demo_tenant_id(runtime: Runtime) -> uuid.UUID:
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
    assert tenant_id is not None
    return tenant_id


async def add_rows(runtime: Runtime, *rows: Any) -> None:
    async with runtime.db.write() as session, session.begin():
        session.add_all(rows)


async def run_sql(runtime: Runtime, *statements: str) -> None:
    async with runtime.db.write() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


async def connections_of(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> list[Connection]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Connection).where(
                Connection.tenant_id == tenant_id, Connection.provider == provider
            )
        )
        return list(rows)


async def tenant_flag(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> bool | None:
    async with runtime.db.read() as session:
        return await session.scalar(
            select(TenantIntegration.enabled)
            .join(Integration, Integration.id == TenantIntegration.integration_id)
            .where(TenantIntegration.tenant_id == tenant_id, Integration.provider == provider)
        )


async def expire_session(runtime: Runtime, headers: dict[str, str]) -> None:
    token = headers["Cookie"].split("=", 1)[1]
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Session)
            .where(Session.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def revoke_session(runtime: Runtime, headers: dict[str, str]) -> None:
    token = headers["Cookie"].split("=", 1)[1]
    async with runtime.db.write() as session, session.begin():
        count = await accounts.revoke_sessions(
            session=session,
            now=datetime.now(UTC),
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
        )
    assert count == 1


async def month_totals(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> tuple[int, int]:
    now = datetime.now(UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    async with runtime.db.read() as session:
        row = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(UsageEvent.cost_micros), 0)).where(
                    UsageEvent.tenant_id == tenant_id,
                    UsageEvent.provider == provider,
                    UsageEvent.occurred_at >= month_start,
                )
            )
        ).one()
    return int(row[0]), int(row[1])


async def wait_for_lock_waiters(runtime: Runtime, count: int, tasks: list[Any]) -> None:
    """PostgreSQL: wait (up to 10 s) until ``count`` sessions wait on a lock, or the tasks end."""
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline and not all(t.done() for t in tasks):
        async with runtime.db.engine.connect() as probe:
            waiting = await probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)


def usd(micros: int) -> float:
    """USD rounded half-up to cents."""
    return float((Decimal(micros) / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def by_provider(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["provider"]: row for row in rows}


async def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret database detail")


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every ``utcnow()`` of the gateway answers FROZEN_NOW."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return FROZEN_NOW if tz is None else FROZEN_NOW.astimezone(tz)

    monkeypatch.setattr(app.models.base, "datetime", FrozenDatetime)
    return FROZEN_NOW


@pytest.fixture
async def failing_connection_inserts(runtime: Runtime, demo: None) -> AsyncIterator[None]:
    """A real database failure: a trigger that aborts every insert into ``connections``."""
    if runtime.settings.is_sqlite:
        create = [
            "CREATE TRIGGER vendo_test_boom BEFORE INSERT ON connections "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS vendo_test_boom"]
    else:
        create = [
            "CREATE OR REPLACE FUNCTION vendo_test_boom() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$",
            "CREATE TRIGGER vendo_test_boom BEFORE INSERT ON connections "
            "FOR EACH ROW EXECUTE FUNCTION vendo_test_boom()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS vendo_test_boom ON connections",
            "DROP FUNCTION IF EXISTS vendo_test_boom()",
        ]
    await run_sql(runtime, *create)
    yield
    await run_sql(runtime, *drop)


# --------------------------------------------------------------------------------------------
# GET /api/integrations


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


async def test_list_expired_session_gets_anonymous_shape(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await expire_session(runtime, demo_headers)
    response = await client.get("/api/integrations", headers=demo_headers)
    assert response.status_code == 200
    assert is_canonical_list(response.json())


async def test_list_revoked_session_gets_anonymous_shape(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await revoke_session(runtime, demo_headers)
    response = await client.get("/api/integrations", headers=demo_headers)
    assert response.status_code == 200
    assert is_canonical_list(response.json())


async def test_list_ignores_bearer_session_token(
    client: httpx.AsyncClient, sessions: Sessions, demo: None
) -> None:
    """DECISIONS: the dashboard routes accept the session cookie only; a Bearer is ignored."""
    token = await sessions.create("demo@vendo.local")
    response = await client.get("/api/integrations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert is_canonical_list(response.json())


# --------------------------------------------------------------------------------------------
# GET /api/integrations/{slug}


async def test_detail_anonymous_returns_canonical_row(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/api/integrations/openrouter")
    assert_json(response, 200, OPENROUTER_CANONICAL)
    assert list(response.json()) == CANONICAL_KEYS


async def test_detail_anonymous_unknown_slug_is_404(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await client.get("/api/integrations/no-such-thing"), 404, NOT_FOUND)


async def test_detail_anonymous_disabled_integration_is_404(
    client: httpx.AsyncClient, demo: None
) -> None:
    assert_json(await client.get("/api/integrations/replicate"), 404, NOT_FOUND)


async def test_detail_signed_in_shows_disabled_integration_with_tenant_enabled(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/replicate", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == DETAIL_ROW_KEYS
    assert body["provider"] == "replicate"
    assert body["enabled"] is False
    assert body["tenantEnabled"] is False


async def test_detail_signed_in_row_shape(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/openrouter", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == DETAIL_ROW_KEYS
    listed = by_provider((await client.get("/api/integrations", headers=demo_headers)).json())
    expected = {key: listed["openrouter"][key] for key in DETAIL_ROW_KEYS}
    assert body == expected
    assert body["tenantEnabled"] is True


async def test_detail_signed_in_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/no-such-thing", headers=demo_headers)
    assert_json(response, 404, NOT_FOUND)


async def test_detail_openrouter_falls_back_to_byok_static_until_toggled(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant_id = await demo_tenant_id(runtime)
    assert await tenant_flag(runtime, tenant_id, "openrouter") is None
    detail = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True

    toggle = await client.post(
        "/api/integrations/openrouter", json={"enabled": False}, headers=demo_headers
    )
    assert_json(toggle, 200, {"enabled": False})
    detail = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=demo_headers)).json())
    assert listed["openrouter"]["tenantEnabled"] is False
    # The connection is still there: provisioned, but switched off by the tenant.
    assert listed["openrouter"]["provisioned"] is True

    await client.post("/api/integrations/openrouter", json={"enabled": True}, headers=demo_headers)
    detail = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True


async def test_detail_openrouter_fallback_needs_an_active_byok_static_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "router@example.com")
    await add_rows(
        runtime,
        Connection(tenant_id=tenant_id, provider="openrouter", profile=MANAGED_POOL),
        Connection(tenant_id=tenant_id, provider="openrouter", profile=BYOK_STATIC, active=False),
    )
    detail = await client.get("/api/integrations/openrouter", headers=headers)
    assert detail.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed["openrouter"]["tenantEnabled"], listed["openrouter"]["provisioned"]) == (
        False,
        True,
    )

    await add_rows(
        runtime, Connection(tenant_id=tenant_id, provider="openrouter", profile=BYOK_STATIC)
    )
    detail = await client.get("/api/integrations/openrouter", headers=headers)
    assert detail.json()["tenantEnabled"] is True


async def test_detail_other_provider_falls_back_to_any_active_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "speech@example.com")
    await add_rows(
        runtime,
        Connection(tenant_id=tenant_id, provider="deepgram", profile=MANAGED_POOL),
        Connection(tenant_id=tenant_id, provider="twilio", profile=BYOK_STATIC, active=False),
    )
    deepgram = await client.get("/api/integrations/deepgram", headers=headers)
    assert deepgram.json()["tenantEnabled"] is True
    twilio = await client.get("/api/integrations/twilio", headers=headers)
    assert twilio.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed["deepgram"]["tenantEnabled"], listed["deepgram"]["provisioned"]) == (True, True)
    assert (listed["twilio"]["tenantEnabled"], listed["twilio"]["provisioned"]) == (False, False)


async def test_detail_signed_in_without_workspace_has_tenant_enabled_false(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    response = await client.get("/api/integrations/openrouter", headers=headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == DETAIL_ROW_KEYS
    assert body["tenantEnabled"] is False


async def test_detail_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.get_integration", boom)
    assert_json(await client.get("/api/integrations/openrouter"), 500, INTERNAL)
    response = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert_json(response, 500, INTERNAL)


@pytest.mark.parametrize("cookie", ["garbage", "vs_" + "A" * 43], ids=["garbage", "unknown"])
async def test_detail_invalid_cookie_is_anonymous(
    client: httpx.AsyncClient, demo: None, cookie: str
) -> None:
    headers = {"Cookie": f"vendo_session={cookie}"}
    assert_json(
        await client.get("/api/integrations/openrouter", headers=headers), 200, OPENROUTER_CANONICAL
    )
    assert_json(await client.get("/api/integrations/replicate", headers=headers), 404, NOT_FOUND)


async def test_detail_expired_session_is_anonymous(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await expire_session(runtime, demo_headers)
    response = await client.get("/api/integrations/replicate", headers=demo_headers)
    assert_json(response, 404, NOT_FOUND)


async def test_detail_revoked_session_is_anonymous(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await revoke_session(runtime, demo_headers)
    response = await client.get("/api/integrations/openrouter", headers=demo_headers)
    assert_json(response, 200, OPENROUTER_CANONICAL)


# --------------------------------------------------------------------------------------------
# POST /api/integrations/{slug}


async def test_toggle_enables_and_disables(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    tenant_id = await demo_tenant_id(runtime)
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 200, {"enabled": True})
    assert await tenant_flag(runtime, tenant_id, "sendgrid") is True
    detail = await client.get("/api/integrations/sendgrid", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is True

    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": False}, headers=demo_headers
    )
    assert_json(response, 200, {"enabled": False})
    assert await tenant_flag(runtime, tenant_id, "sendgrid") is False
    detail = await client.get("/api/integrations/sendgrid", headers=demo_headers)
    assert detail.json()["tenantEnabled"] is False


async def test_toggle_without_session_is_401(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
    assert_json(response, 401, UNAUTHORIZED)


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "vs_" + "A" * 43, "x" * 300, "a.b.c"],
    ids=["garbage", "unknown", "long", "jwt"],
)
async def test_toggle_invalid_cookie_is_401(
    client: httpx.AsyncClient, demo: None, cookie: str
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        json={"enabled": True},
        headers={"Cookie": f"vendo_session={cookie}"},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_toggle_expired_session_is_401(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await expire_session(runtime, demo_headers)
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 401, UNAUTHORIZED)
    assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is None


async def test_toggle_revoked_session_is_401(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await revoke_session(runtime, demo_headers)
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_toggle_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 404, NOT_FOUND)


async def test_toggle_without_workspace_is_404(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=headers
    )
    assert_json(response, 404, NOT_FOUND)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"{'enabled': true}", b"enabled=true", b"\xff\xfe", b'{"enabled": tru}'],
    ids=["truncated", "single-quotes", "form", "binary", "bad-literal"],
)
async def test_toggle_malformed_json_is_400(
    client: httpx.AsyncClient, demo_headers: dict[str, str], raw: bytes
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        content=raw,
        headers={**demo_headers, "content-type": "application/json"},
    )
    assert_json(response, 400, INVALID_JSON)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"true",
        b"42",
        b'"enabled"',
        b"[true]",
        b'[{"enabled": true}]',
        b"{}",
        b'{"enable": true}',
        b'{"enabled": "true"}',
        b'{"enabled": 1}',
        b'{"enabled": 0}',
        b'{"enabled": null}',
        b'{"enabled": [true]}',
    ],
    ids=[
        "empty",
        "null",
        "boolean",
        "number",
        "string",
        "array",
        "array-of-object",
        "missing",
        "misspelt",
        "string-true",
        "one",
        "zero",
        "null-enabled",
        "list-enabled",
    ],
)
async def test_toggle_body_not_object_with_boolean_enabled_is_400(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str], raw: bytes
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        content=raw,
        headers={**demo_headers, "content-type": "application/json"},
    )
    assert_json(response, 400, BAD_BODY)
    assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is None


async def test_toggle_checks_session_before_body(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_toggle_checks_body_before_slug(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing", json={"enabled": "yes"}, headers=demo_headers
    )
    assert_json(response, 400, BAD_BODY)


async def test_toggle_ignores_extra_body_keys(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/sendgrid",
        json={"enabled": True, "note": "ignored"},
        headers=demo_headers,
    )
    assert_json(response, 200, {"enabled": True})


@pytest.mark.parametrize("provider", ["elevenlabs", "assemblyai"])
async def test_toggle_managed_pool_provider_writes_exactly_one_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, f"{provider}@example.com")
    assert await connections_of(runtime, tenant_id, provider) == []
    for _ in range(2):
        response = await client.post(
            f"/api/integrations/{provider}", json={"enabled": True}, headers=headers
        )
        assert_json(response, 200, {"enabled": True})
    rows = await connections_of(runtime, tenant_id, provider)
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, True)]
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed[provider]["tenantEnabled"], listed[provider]["provisioned"]) == (True, True)


async def test_toggle_concurrent_enables_write_exactly_one_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    """DECISIONS: the managed-pool stub is written once per workspace — also when a user
    double-clicks (several toggles in flight at once)."""
    headers, tenant_id = await sign_up(sessions, runtime, "double-click@example.com")
    toggles = 6

    def send() -> Any:
        return client.post("/api/integrations/elevenlabs", json={"enabled": True}, headers=headers)

    if runtime.settings.is_sqlite:  # one writer at a time: the calls simply overlap
        responses = await asyncio.gather(*(send() for _ in range(toggles)))
    else:
        # Make the overlap certain: hold back inserts into `connections` (reads still pass)
        # until every toggle is waiting, then let them all go at once.
        async with runtime.db.engine.connect() as blocker:
            transaction = await blocker.begin()
            await blocker.execute(text("LOCK TABLE connections IN SHARE MODE"))
            tasks = [asyncio.create_task(send()) for _ in range(toggles)]
            await wait_for_lock_waiters(runtime, toggles, tasks)
            await transaction.rollback()
        responses = await asyncio.gather(*tasks)
    for response in responses:
        assert_json(response, 200, {"enabled": True})
    rows = await connections_of(runtime, tenant_id, "elevenlabs")
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, True)]


@pytest.mark.parametrize("provider", ["elevenlabs", "assemblyai"])
async def test_toggle_off_deactivates_the_managed_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    """Reference 01: tenantEnabled is the flag or an active connection; the stub the enable
    wrote goes inactive with the flag (one row, reactivated by the next enable)."""
    headers, tenant_id = await sign_up(sessions, runtime, f"{provider}@example.com")
    for enabled in (True, False, True, False):
        response = await client.post(
            f"/api/integrations/{provider}", json={"enabled": enabled}, headers=headers
        )
        assert_json(response, 200, {"enabled": enabled})
    rows = await connections_of(runtime, tenant_id, provider)
    assert [(row.profile, row.active) for row in rows] == [(MANAGED_POOL, False)]
    detail = await client.get(f"/api/integrations/{provider}", headers=headers)
    assert detail.json()["tenantEnabled"] is False
    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert (listed[provider]["tenantEnabled"], listed[provider]["provisioned"]) == (False, False)


async def test_toggle_disable_of_managed_pool_provider_writes_no_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "quiet@example.com")
    response = await client.post(
        "/api/integrations/assemblyai", json={"enabled": False}, headers=headers
    )
    assert_json(response, 200, {"enabled": False})
    assert await connections_of(runtime, tenant_id, "assemblyai") == []


async def test_toggle_demo_elevenlabs_keeps_its_single_connection(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/elevenlabs", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 200, {"enabled": True})
    rows = await connections_of(runtime, await demo_tenant_id(runtime), "elevenlabs")
    assert len(rows) == 1


@pytest.mark.parametrize("provider", ["sendgrid", "openrouter", "deepgram"])
async def test_toggle_other_provider_writes_no_connection(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "plain@example.com")
    response = await client.post(
        f"/api/integrations/{provider}", json={"enabled": True}, headers=headers
    )
    assert_json(response, 200, {"enabled": True})
    assert await connections_of(runtime, tenant_id, provider) == []


@pytest.mark.parametrize("provider", ["elevenlabs", "assemblyai"])
async def test_toggle_provisioning_failure_is_soft_warning_and_toggle_persists(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    failing_connection_inserts: None,
    provider: str,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "unlucky@example.com")
    response = await client.post(
        f"/api/integrations/{provider}", json={"enabled": True}, headers=headers
    )
    assert_json(response, 200, PROVISIONING_FAILED)
    assert list(response.json()) == ["enabled", "error"]
    assert b"boom" not in response.content
    assert await tenant_flag(runtime, tenant_id, provider) is True
    assert await connections_of(runtime, tenant_id, provider) == []
    detail = await client.get(f"/api/integrations/{provider}", headers=headers)
    assert detail.json()["tenantEnabled"] is True


async def test_toggle_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.set_tenant_enabled", boom)
    response = await client.post(
        "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
    )
    assert_json(response, 500, INTERNAL)


async def test_toggle_ignores_bearer_session_token(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    """DECISIONS: the dashboard routes accept the session cookie only; a Bearer is ignored."""
    token = await sessions.create("demo@vendo.local")
    response = await client.post(
        "/api/integrations/sendgrid",
        json={"enabled": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_json(response, 401, UNAUTHORIZED)
    assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is None


# --------------------------------------------------------------------------------------------
# POST /api/integrations/{slug}/regenerate


async def test_regenerate_without_session_is_401(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await client.post("/api/integrations/openrouter/regenerate"), 401, UNAUTHORIZED)
    # 401 comes before 404.
    response = await client.post("/api/integrations/no-such-thing/regenerate")
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_invalid_cookie_is_401(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.post(
        "/api/integrations/openrouter/regenerate",
        headers={"Cookie": "vendo_session=garbage", **JSON_TYPE},
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_expired_session_is_401(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await expire_session(runtime, demo_headers)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_revoked_session_is_401(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await revoke_session(runtime, demo_headers)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_regenerate_without_workspace_is_404_before_slug_check(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    for slug in ("openrouter", "no-such-thing"):
        response = await client.post(
            f"/api/integrations/{slug}/regenerate", headers={**headers, **JSON_TYPE}
        )
        assert_json(response, 404, {"message": "No workspace"})


async def test_regenerate_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/no-such-thing/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 404, {"message": "Integration not found"})


@pytest.mark.parametrize("provider", ["openrouter", "sendgrid", "elevenlabs"])
async def test_regenerate_never_enabled_is_not_provisioned(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None, provider: str
) -> None:
    headers, _ = await sign_up(sessions, runtime, "fresh@example.com")
    response = await client.post(
        f"/api/integrations/{provider}/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NOT_PROVISIONED)


async def test_regenerate_switched_off_without_connection_is_not_provisioned(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    # The demo workspace's telegram flag is false and it holds no telegram connection.
    response = await client.post(
        "/api/integrations/telegram/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, NOT_PROVISIONED)


async def test_regenerate_openrouter_has_specific_message(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, OPENROUTER_NO_REGENERATION)


async def test_regenerate_enabled_integration_is_unsupported(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, _ = await sign_up(sessions, runtime, "fresh@example.com")
    await client.post("/api/integrations/sendgrid", json={"enabled": True}, headers=headers)
    response = await client.post(
        "/api/integrations/sendgrid/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)
    await client.post("/api/integrations/openrouter", json={"enabled": True}, headers=headers)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, OPENROUTER_NO_REGENERATION)


async def test_regenerate_connection_alone_counts_as_provisioned(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "fresh@example.com")
    await add_rows(
        runtime, Connection(tenant_id=tenant_id, provider="deepgram", profile=MANAGED_POOL)
    )
    response = await client.post(
        "/api/integrations/deepgram/regenerate", headers={**headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)


async def test_regenerate_demo_elevenlabs_is_unsupported(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/integrations/elevenlabs/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 400, NO_REGENERATION)


async def test_regenerate_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.integrations.get_integration", boom)
    response = await client.post(
        "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
    )
    assert_json(response, 500, INTERNAL)


# --------------------------------------------------------------------------------------------
# GET /api/integrations/{slug}/usage


async def test_usage_without_session_is_401(client: httpx.AsyncClient, demo: None) -> None:
    assert_json(await client.get("/api/integrations/openrouter/usage"), 401, UNAUTHORIZED)
    assert_json(await client.get("/api/integrations/no-such-thing/usage"), 401, UNAUTHORIZED)


async def test_usage_invalid_cookie_is_401(client: httpx.AsyncClient, demo: None) -> None:
    response = await client.get(
        "/api/integrations/openrouter/usage", headers={"Cookie": "vendo_session=garbage"}
    )
    assert_json(response, 401, UNAUTHORIZED)


async def test_usage_expired_session_is_401(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await expire_session(runtime, demo_headers)
    response = await client.get("/api/integrations/openrouter/usage", headers=demo_headers)
    assert_json(response, 401, UNAUTHORIZED)


async def test_usage_revoked_session_is_401(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    await revoke_session(runtime, demo_headers)
    response = await client.get("/api/integrations/openrouter/usage", headers=demo_headers)
    assert_json(response, 401, UNAUTHORIZED)


async def test_usage_without_workspace_is_404(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, demo: None
) -> None:
    headers = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    response = await client.get("/api/integrations/openrouter/usage", headers=headers)
    assert_json(response, 404, {"message": "No workspace"})


async def test_usage_unknown_slug_is_404(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/no-such-thing/usage", headers=demo_headers)
    assert_json(response, 404, NOT_FOUND)


async def test_usage_openrouter_has_30_days_oldest_first_with_native_source(
    client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
) -> None:
    before = datetime.now(UTC).date()
    response = await client.get("/api/integrations/openrouter/usage", headers=demo_headers)
    after = datetime.now(UTC).date()
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == USAGE_KEYS
    assert body["provider"] == {"source": "usage_events"}
    trend = body["dailyTrend"]
    assert len(trend) == 30
    for entry in trend:
        assert list(entry) == ["date", "events", "cost"]
    days = [date.fromisoformat(entry["date"]) for entry in trend]
    assert days[-1] in {before, after}
    assert days == [days[-1] - timedelta(days=offset) for offset in range(29, -1, -1)]
    tenant_id = await demo_tenant_id(runtime)
    since = datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC)
    async with runtime.db.read() as session:
        window = (
            await session.execute(
                select(func.count(), func.sum(UsageEvent.cost_micros)).where(
                    UsageEvent.tenant_id == tenant_id,
                    UsageEvent.provider == "openrouter",
                    UsageEvent.occurred_at >= since,
                )
            )
        ).one()
    assert sum(entry["events"] for entry in trend) == window[0] > 0
    assert sum(entry["cost"] for entry in trend) == window[1]
    _, month_cost = await month_totals(runtime, tenant_id, "openrouter")
    assert body["spend_monthly_usd"] == usd(month_cost)


async def test_usage_elevenlabs_provider_is_null(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/elevenlabs/usage", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert list(body) == USAGE_KEYS
    assert body["provider"] is None
    assert len(body["dailyTrend"]) == 30


async def test_usage_disabled_integration_still_answers(
    client: httpx.AsyncClient, demo_headers: dict[str, str]
) -> None:
    response = await client.get("/api/integrations/replicate/usage", headers=demo_headers)
    body = response.json()
    assert_json(response, 200, body)
    assert body["provider"] is None
    assert [entry["events"] for entry in body["dailyTrend"]] == [0] * 30
    assert (body["spend_daily_usd"], body["spend_weekly_usd"], body["spend_monthly_usd"]) == (
        0,
        0,
        0,
    )
    assert b'"spend_daily_usd":0,' in response.content


async def test_usage_figures_match_inserted_events(
    frozen_now: datetime,
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "metered@example.com")
    _, other_tenant = await sign_up(sessions, runtime, "neighbour@example.com")

    def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
        return datetime(2025, month, day, hour, minute, second, tzinfo=UTC)

    def event(when: datetime, cost: int, provider: str = "openrouter", tenant: Any = None) -> Any:
        return UsageEvent(
            tenant_id=tenant or tenant_id, provider=provider, cost_micros=cost, occurred_at=when
        )

    await add_rows(
        runtime,
        event(at(4, 30, 23, 59, 59), 7_000_000),  # last month: nowhere
        event(at(5, 1, 0, 0, 0), 1_000_000),  # month start: monthly only (before the trend)
        event(at(5, 2, 12, 0, 0), 3),  # first trend day
        event(at(5, 10, 8, 0, 0), 5_000),
        event(at(5, 25, 23, 59, 59), 4_000_000),  # Sunday before the ISO week
        event(at(5, 26, 0, 0, 0), 2_000_000),  # Monday: week start
        event(at(5, 30, 23, 59, 59), 1_000_000),  # yesterday
        event(at(5, 31, 0, 0, 0), 500_000),  # today, at midnight
        event(at(5, 31, 9, 0, 0), 1_500_000),  # today
        event(at(5, 31, 9, 0, 0), 9_000_000, provider="elevenlabs"),  # other provider
        event(at(5, 31, 9, 0, 0), 9_000_000, tenant=other_tenant),  # other tenant
    )
    response = await client.get("/api/integrations/openrouter/usage", headers=headers)
    per_day = {
        date(2025, 5, 2): (1, 3),
        date(2025, 5, 10): (1, 5_000),
        date(2025, 5, 25): (1, 4_000_000),
        date(2025, 5, 26): (1, 2_000_000),
        date(2025, 5, 30): (1, 1_000_000),
        date(2025, 5, 31): (2, 2_000_000),
    }
    trend = []
    for offset in range(29, -1, -1):
        day = date(2025, 5, 31) - timedelta(days=offset)
        events, cost = per_day.get(day, (0, 0))
        trend.append({"date": day.isoformat(), "events": events, "cost": cost})
    assert trend[0]["date"] == "2025-05-02"
    assert_json(
        response,
        200,
        {
            "provider": {"source": "usage_events"},
            "dailyTrend": trend,
            "spend_daily_usd": 2,
            "spend_weekly_usd": 5,
            "spend_monthly_usd": 10.01,
        },
    )
    # Integral USD figures print as integers, as JSON.stringify writes them.
    assert (
        b'"spend_daily_usd":2,"spend_weekly_usd":5,"spend_monthly_usd":10.01}' in response.content
    )

    listed = by_provider((await client.get("/api/integrations", headers=headers)).json())
    assert listed["openrouter"]["usageThisMonth"] == 8
    assert listed["openrouter"]["costThisMonth"] == 10_005_003
    assert listed["elevenlabs"]["usageThisMonth"] == 1
    assert listed["elevenlabs"]["costThisMonth"] == 9_000_000


async def test_usage_spend_rounds_half_up_to_cents(
    frozen_now: datetime,
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo: None,
) -> None:
    headers, tenant_id = await sign_up(sessions, runtime, "halves@example.com")
    await add_rows(
        runtime,
        # today: 0.005 USD → 0.01
        UsageEvent(
            tenant_id=tenant_id, provider="sendgrid", cost_micros=5_000, occurred_at=frozen_now
        ),
        # earlier this week: 0.01 + 0.005 = 0.015 → 0.02
        UsageEvent(
            tenant_id=tenant_id,
            provider="sendgrid",
            cost_micros=10_000,
            occurred_at=datetime(2025, 5, 27, tzinfo=UTC),
        ),
        # earlier this month: 0.015 + 1.23 = 1.245 → 1.25
        UsageEvent(
            tenant_id=tenant_id,
            provider="sendgrid",
            cost_micros=1_230_000,
            occurred_at=datetime(2025, 5, 3, tzinfo=UTC),
        ),
    )
    response = await client.get("/api/integrations/sendgrid/usage", headers=headers)
    body = response.json()
    assert response.status_code == 200
    assert body["provider"] is None
    assert (body["spend_daily_usd"], body["spend_weekly_usd"], body["spend_monthly_usd"]) == (
        0.01,
        0.02,
        1.25,
    )


async def test_usage_internal_failure_is_500_without_detail(
    client: httpx.AsyncClient,
    demo_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.repositories.usage.daily_usage", boom)
    response = await client.get("/api/integrations/openrouter/usage", headers=demo_headers)
    assert_json(response, 500, INTERNAL)


# --------------------------------------------------------------------------------------------
# The integrationLimiter


class TestIntegrationLimiter:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"integration_rate_limit": "3/minute"}

    async def test_limiter_fourth_toggle_is_429(
        self, client: httpx.AsyncClient, runtime: Runtime, demo_headers: dict[str, str]
    ) -> None:
        for enabled in (True, False, True):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": enabled}, headers=demo_headers
            )
            assert_json(response, 200, {"enabled": enabled})
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": False}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)
        # The refused toggle was not applied.
        assert await tenant_flag(runtime, await demo_tenant_id(runtime), "sendgrid") is True

    async def test_limiter_toggle_and_regenerate_share_the_budget(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        response = await client.post(
            "/api/integrations/sendgrid/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 400, NO_REGENERATION)
        await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        response = await client.post(
            "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_is_checked_before_not_found(
        self,
        client: httpx.AsyncClient,
        runtime: Runtime,
        sessions: Sessions,
        demo_headers: dict[str, str],
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
            )
        response = await client.post(
            "/api/integrations/no-such-thing", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)
        response = await client.post(
            "/api/integrations/no-such-thing/regenerate", headers={**demo_headers, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)
        nomad = await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
        response = await client.post(
            "/api/integrations/openrouter/regenerate", headers={**nomad, **JSON_TYPE}
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_after_401_and_400_checks(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
        assert_json(response, 401, UNAUTHORIZED)
        assert_json(await client.post("/api/integrations/sendgrid/regenerate"), 401, UNAUTHORIZED)
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": 1}, headers=demo_headers
        )
        assert_json(response, 400, BAD_BODY)

    async def test_limiter_unauthenticated_and_invalid_calls_spend_nothing(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(5):
            response = await client.post("/api/integrations/sendgrid", json={"enabled": True})
            assert response.status_code == 401
            response = await client.post("/api/integrations/sendgrid/regenerate")
            assert response.status_code == 401
            response = await client.post(
                "/api/integrations/sendgrid", content=b"{", headers={**demo_headers, **JSON_TYPE}
            )
            assert response.status_code == 400
        for _ in range(3):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert_json(response, 200, {"enabled": True})
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_reads_do_not_spend(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(5):
            await client.get("/api/integrations", headers=demo_headers)
            await client.get("/api/integrations/sendgrid", headers=demo_headers)
            await client.get("/api/integrations/sendgrid/usage", headers=demo_headers)
        for _ in range(3):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert response.status_code == 200

    async def test_limiter_is_per_client_ip(
        self, app: Starlette, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert response.status_code == 429
        transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            response = await other.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
        assert_json(response, 200, {"enabled": True})

    async def test_limiter_graphql_mutation_draws_on_the_same_budget(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(2):
            response = await client.post(
                "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
            )
            assert response.status_code == 200
        variables = {"slug": "sendgrid", "enabled": False}
        payload = {"query": TOGGLE_MUTATION, "variables": variables}
        first = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert first == {
            "data": {"setIntegrationEnabled": {"enabled": False, "provisioningError": None}}
        }
        second = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert second["data"] is None
        assert [error["extensions"]["code"] for error in second["errors"]] == ["RATE_LIMITED"]
        assert second["errors"][0]["message"] == "Rate limit exceeded"
        response = await client.post(
            "/api/integrations/sendgrid", json={"enabled": True}, headers=demo_headers
        )
        assert_json(response, 429, RATE_LIMITED)

    async def test_limiter_graphql_regenerate_spends_and_is_refused(
        self, client: httpx.AsyncClient, demo_headers: dict[str, str]
    ) -> None:
        for _ in range(3):
            await client.post(
                "/api/integrations/openrouter/regenerate", headers={**demo_headers, **JSON_TYPE}
            )
        payload = {"query": REGENERATE_MUTATION, "variables": {"slug": "openrouter"}}
        body = (await client.post("/graphql", json=payload, headers=demo_headers)).json()
        assert [error["extensions"]["code"] for error in body["errors"]] == ["RATE_LIMITED"]
