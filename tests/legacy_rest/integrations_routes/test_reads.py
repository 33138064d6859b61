"""``GET`` on the integrations routes: the canonical list and detail for anonymous callers, the
workspace's overlay signed in, and the 30-day usage (CONTRACT.md §1.1, §1.2, §1.5;
docs/decisions/0001, 0002, 0003, 0007, 0008)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.models import (
    BYOK_STATIC,
    MANAGED_POOL,
    Connection,
    Integration,
    UsageEvent,
)
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    CANONICAL_KEYS,
    DETAIL_ROW_KEYS,
    INTERNAL,
    ISO_MILLIS,
    LIST_ROW_KEYS,
    NOT_FOUND,
    OPENROUTER_CANONICAL,
    UNAUTHORIZED,
    USAGE_KEYS,
    add_rows,
    boom,
    by_provider,
    is_canonical_list,
    month_totals,
    usd,
)
from tests.support.builders import usage_event
from tests.support.catalog import ENABLED_PROVIDERS, demo_tenant_id, tenant_flag
from tests.support.credentials import (
    sign_up,
    sign_up_without_workspace,
)
from tests.support.http import assert_json

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


async def test_list_ignores_bearer_session_token(
    client: httpx.AsyncClient, sessions: Sessions, demo: None
) -> None:
    """docs/decisions/0008: the dashboard routes accept the session cookie only; a Bearer is
    ignored."""
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
        return usage_event(tenant or tenant_id, provider, cost, occurred_at=when)

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
        usage_event(tenant_id, "sendgrid", 5_000, occurred_at=frozen_now),
        # earlier this week: 0.01 + 0.005 = 0.015 → 0.02
        usage_event(tenant_id, "sendgrid", 10_000, occurred_at=datetime(2025, 5, 27, tzinfo=UTC)),
        # earlier this month: 0.015 + 1.23 = 1.245 → 1.25
        usage_event(tenant_id, "sendgrid", 1_230_000, occurred_at=datetime(2025, 5, 3, tzinfo=UTC)),
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
