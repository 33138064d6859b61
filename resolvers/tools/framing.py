""" "How long will $X buy": each credit preset divided by the tool's average daily spend.

average daily spend = total cost of the tool's apps ÷ days from the UTC day of its first usage
event to today, both included; a tool with no spend uses its category's fallback rate (the ``*``
row when its category has none, else $1/day) and says ``cold_start``. days = usd ÷ average,
rounded half-up; 0 reads "< 1 day of usage", 1 "≈ 1 day of usage", N "≈ N days of usage".
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import strawberry

PRESETS_USD = (5, 25, 100)
DEFAULT_FALLBACK_MICROS = 1_000_000
_MICROS = Decimal(1_000_000)


@strawberry.type(description="What one credit preset buys.")
class FramingAmount:
    usd: int
    days: int = strawberry.field(description="Whole days of usage, rounded half-up.")
    label: str
    cold_start: bool = strawberry.field(
        description="True when estimated from the category fallback (no spend history)."
    )


@strawberry.type(description="Credit presets framed as days of usage.")
class UsageFraming:
    amounts: list[FramingAmount]
    average_daily_spend_micros: int
    cold_start: bool


def label(days: int) -> str:
    if days < 1:
        return "< 1 day of usage"
    if days == 1:
        return "≈ 1 day of usage"
    return f"≈ {days} days of usage"


def frame(
    *,
    total_micros: int,
    first_event_at: datetime | None,
    fallback_micros: int | None,
    now: datetime,
) -> UsageFraming:
    if total_micros > 0 and first_event_at is not None:
        history_days = max(1, (now.date() - first_event_at.date()).days + 1)
        daily, cold = Decimal(total_micros) / history_days, False
    else:
        daily, cold = Decimal(fallback_micros or DEFAULT_FALLBACK_MICROS), True
    amounts = []
    for usd in PRESETS_USD:
        days = int((usd * _MICROS / daily).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        amounts.append(FramingAmount(usd=usd, days=days, label=label(days), cold_start=cold))
    return UsageFraming(
        amounts=amounts,
        average_daily_spend_micros=int(daily.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        cold_start=cold,
    )
