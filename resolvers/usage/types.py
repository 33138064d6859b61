"""Usage trend of one provider for the viewer's workspace."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.engine.scalars import Micros
from resolvers.usage.periods import Periods, micros_to_usd

# Providers whose usage has a native payload; only OpenRouter's today, read from usage_events.
NATIVE_USAGE_SOURCES = {"openrouter": "usage_events"}


@strawberry.type(description="Where a provider's native usage figures come from.")
class NativeUsage:
    source: str


@strawberry.type(description="One UTC day of usage.")
class UsageDay:
    date: dt.date
    events: int
    cost: Micros = strawberry.field(description="Cost in micros.")


@strawberry.type(description="30-day usage trend and spend of one provider for the workspace.")
class UsageTrend:
    provider: str
    native_usage: NativeUsage | None = strawberry.field(
        description="The provider's native usage payload; null for providers without one."
    )
    daily_trend: list[UsageDay] = strawberry.field(
        description="The last 30 UTC days, today included, oldest first, zero-filled."
    )
    spend_daily_usd: float = strawberry.field(description="USD since the start of the UTC day.")
    spend_weekly_usd: float = strawberry.field(
        description="USD since the start of the ISO week (Monday, UTC)."
    )
    spend_monthly_usd: float = strawberry.field(description="USD since the start of the UTC month.")

    @classmethod
    def build(
        cls, provider: str, daily: dict[dt.date, tuple[int, int]], periods: Periods
    ) -> UsageTrend:
        def spend_since(start: dt.date) -> float:
            return micros_to_usd(sum(cost for day, (_, cost) in daily.items() if day >= start))

        source = NATIVE_USAGE_SOURCES.get(provider)
        return cls(
            provider=provider,
            native_usage=NativeUsage(source=source) if source else None,
            daily_trend=[
                UsageDay(
                    date=day,
                    events=daily.get(day, (0, 0))[0],
                    cost=Micros(daily.get(day, (0, 0))[1]),
                )
                for day in periods.trend_days
            ],
            spend_daily_usd=spend_since(periods.today),
            spend_weekly_usd=spend_since(periods.week_start),
            spend_monthly_usd=spend_since(periods.month_day),
        )
