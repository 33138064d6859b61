"""``GET /api/integrations/{slug}/usage``: the 30-day trend and spend (CONTRACT.md §1.5;
docs/decisions/0007)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.models import UsageEvent
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.integrations_routes.helpers import (
    INTERNAL,
    NOT_FOUND,
    UNAUTHORIZED,
    USAGE_KEYS,
    add_rows,
    boom,
    by_provider,
    month_totals,
    usd,
)
from tests.support.catalog import demo_tenant_id
from tests.support.credentials import (
    sign_up,
    sign_up_without_workspace,
)
from tests.support.http import assert_json


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
