"""UTC reporting periods: the 30-day trend window, the day, the ISO week and the month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

TREND_DAYS = 30
_MICROS_PER_USD = Decimal(1_000_000)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Periods:
    today: date

    @classmethod
    def at(cls, now: datetime) -> Periods:
        return cls(today=now.astimezone(UTC).date())

    @property
    def trend_days(self) -> list[date]:
        """The last 30 UTC days, today included, oldest first."""
        return [self.today - timedelta(days=offset) for offset in range(TREND_DAYS - 1, -1, -1)]

    @property
    def week_start(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    @property
    def month_day(self) -> date:
        return self.today.replace(day=1)

    @property
    def month_start(self) -> datetime:
        return _midnight(self.month_day)

    @property
    def earliest_day(self) -> date:
        """The first UTC day any trend or spend figure needs."""
        return min(self.trend_days[0], self.week_start, self.month_day)

    @property
    def earliest(self) -> datetime:
        return _midnight(self.earliest_day)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def micros_to_usd(micros: int) -> float:
    """USD rounded half-up to cents, as a number."""
    return float((Decimal(micros) / _MICROS_PER_USD).quantize(_CENT, rounding=ROUND_HALF_UP))
