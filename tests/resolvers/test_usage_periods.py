"""UTC reporting periods and the usage trend, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from resolvers.usage.periods import TREND_DAYS, Periods, micros_to_usd
from resolvers.usage.types import UsageTrend


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# --------------------------------------------------------------------------------------------
# Periods.at


async def test_periods_at_takes_the_utc_date() -> None:
    assert Periods.at(datetime(2025, 5, 31, 23, 59, 59, tzinfo=UTC)).today == date(2025, 5, 31)
    assert Periods.at(datetime(2025, 6, 1, 0, 0, tzinfo=UTC)).today == date(2025, 6, 1)


async def test_periods_at_converts_other_offsets_to_utc() -> None:
    # 20:30 on 31 May in New York (UTC-4) is already 1 June in UTC.
    new_york = timezone(timedelta(hours=-4))
    assert Periods.at(datetime(2025, 5, 31, 20, 30, tzinfo=new_york)).today == date(2025, 6, 1)
    # 02:00 on 1 June in Tokyo (UTC+9) is still 31 May in UTC.
    tokyo = timezone(timedelta(hours=9))
    assert Periods.at(datetime(2025, 6, 1, 2, 0, tzinfo=tokyo)).today == date(2025, 5, 31)


# --------------------------------------------------------------------------------------------
# trend_days


async def test_trend_days_are_30_oldest_first_ending_today() -> None:
    periods = Periods(today=date(2025, 5, 20))
    assert TREND_DAYS == 30
    assert periods.trend_days == days(date(2025, 4, 21), date(2025, 5, 20))


async def test_trend_days_cross_a_month_boundary() -> None:
    periods = Periods(today=date(2025, 3, 5))
    trend = periods.trend_days
    assert len(trend) == 30
    assert trend[0] == date(2025, 2, 4)
    assert trend[-1] == date(2025, 3, 5)
    assert date(2025, 2, 28) in trend
    assert date(2025, 3, 1) in trend
    assert trend == days(date(2025, 2, 4), date(2025, 3, 5))


async def test_trend_days_cross_a_year_boundary_and_leap_day() -> None:
    assert Periods(today=date(2025, 1, 10)).trend_days[0] == date(2024, 12, 12)
    leap = Periods(today=date(2024, 3, 15)).trend_days
    assert leap[0] == date(2024, 2, 15)
    assert date(2024, 2, 29) in leap


async def test_on_the_31st_the_month_start_lies_before_the_trend() -> None:
    periods = Periods(today=date(2025, 5, 31))
    assert periods.trend_days[0] == date(2025, 5, 2)
    assert periods.month_day == date(2025, 5, 1)
    assert periods.month_start == datetime(2025, 5, 1, tzinfo=UTC)
    # Everything a figure needs is read: from the month start, not from the trend start.
    assert periods.earliest == datetime(2025, 5, 1, tzinfo=UTC)


async def test_earliest_is_the_trend_start_when_the_month_is_younger() -> None:
    periods = Periods(today=date(2025, 5, 20))
    assert periods.earliest == datetime(2025, 4, 21, tzinfo=UTC)
    assert periods.earliest.tzinfo is not None


# --------------------------------------------------------------------------------------------
# ISO week


async def test_week_start_on_a_sunday_is_the_monday_before() -> None:
    assert Periods(today=date(2025, 6, 1)).week_start == date(2025, 5, 26)


async def test_week_start_on_a_monday_is_today() -> None:
    assert Periods(today=date(2025, 5, 26)).week_start == date(2025, 5, 26)


async def test_week_start_may_lie_in_the_previous_month() -> None:
    periods = Periods(today=date(2025, 7, 2))  # a Wednesday
    assert periods.week_start == date(2025, 6, 30)
    assert periods.month_day == date(2025, 7, 1)
    assert periods.earliest == datetime(2025, 6, 3, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# micros_to_usd


@pytest.mark.parametrize(
    ("micros", "usd"),
    [
        (0, 0.0),
        (1, 0.0),
        (4_999, 0.0),
        (5_000, 0.01),
        (14_999, 0.01),
        (15_000, 0.02),
        (25_000, 0.03),
        (1_234_999, 1.23),
        (1_235_000, 1.24),
        (5_000_000, 5.0),
        (5_074_999, 5.07),
        (5_075_000, 5.08),
        (123_456_789_012, 123456.79),
    ],
)
async def test_micros_to_usd_rounds_half_up_to_cents(micros: int, usd: float) -> None:
    assert micros_to_usd(micros) == usd


async def test_micros_to_usd_is_a_float() -> None:
    assert isinstance(micros_to_usd(5_000_000), float)


# --------------------------------------------------------------------------------------------
# UsageTrend.build


async def test_usage_trend_build_zero_fills_and_sums_each_period() -> None:
    periods = Periods(today=date(2025, 5, 31))  # Saturday; week from Monday 26 May
    daily = {
        date(2025, 4, 30): (9, 9_000_000),  # before everything: ignored
        date(2025, 5, 1): (1, 1_000_000),  # month only
        date(2025, 5, 2): (2, 3),
        date(2025, 5, 25): (1, 4_000_000),
        date(2025, 5, 26): (3, 2_000_000),
        date(2025, 5, 31): (4, 2_005_000),
    }
    trend = UsageTrend.build("openrouter", daily, periods)
    assert trend.provider == "openrouter"
    assert trend.native_usage is not None
    assert trend.native_usage.source == "usage_events"
    assert [day.date for day in trend.daily_trend] == periods.trend_days
    by_day = {day.date: (day.events, day.cost) for day in trend.daily_trend}
    assert by_day[date(2025, 5, 2)] == (2, 3)
    assert by_day[date(2025, 5, 3)] == (0, 0)
    assert by_day[date(2025, 5, 31)] == (4, 2_005_000)
    assert date(2025, 5, 1) not in by_day
    assert trend.spend_daily_usd == 2.01  # 2.005 half-up
    assert trend.spend_weekly_usd == 4.01  # 4.005 half-up
    assert trend.spend_monthly_usd == 9.01  # 9.005003


async def test_usage_trend_build_without_usage() -> None:
    trend = UsageTrend.build("elevenlabs", {}, Periods(today=date(2025, 5, 31)))
    assert trend.native_usage is None
    assert len(trend.daily_trend) == 30
    assert all((day.events, day.cost) == (0, 0) for day in trend.daily_trend)
    assert (trend.spend_daily_usd, trend.spend_weekly_usd, trend.spend_monthly_usd) == (0, 0, 0)


async def test_usage_trend_build_on_a_monday_week_equals_day() -> None:
    periods = Periods(today=date(2025, 3, 3))  # Monday, third day of the month
    daily = {
        date(2025, 3, 2): (1, 1_000_000),  # Sunday: month, not week
        date(2025, 3, 3): (1, 250_000),
        date(2025, 2, 28): (1, 7_000_000),  # last month, still in the trend
    }
    trend = UsageTrend.build("assemblyai", daily, periods)
    assert trend.daily_trend[0].date == date(2025, 2, 2)
    assert (trend.spend_daily_usd, trend.spend_weekly_usd, trend.spend_monthly_usd) == (
        0.25,
        0.25,
        1.25,
    )
    assert {day.date: day.cost for day in trend.daily_trend}[date(2025, 2, 28)] == 7_000_000
