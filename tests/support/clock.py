"""Time a test moves on instead of sleeping through it: independent of the host's speed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

import app.models.base


class Clock:
    """Monotonic seconds that stand still until the test moves them on."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# Saturday 31 May 2025, 10:00 UTC: the month started 30 days earlier (outside a 30-day trend,
# which starts on 2 May); the ISO week started on Monday 26 May.
FROZEN_NOW = datetime(2025, 5, 31, 10, 0, tzinfo=UTC)


def freeze_utcnow(monkeypatch: pytest.MonkeyPatch, when: datetime = FROZEN_NOW) -> datetime:
    """Every ``utcnow()`` of the gateway answers ``when`` until the test ends."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return when if tz is None else when.astimezone(tz)

    monkeypatch.setattr(app.models.base, "datetime", FrozenDatetime)
    return when


def iso(when: datetime) -> str:
    """An instant as the API prints it (CONTRACT.md §3.7): UTC, milliseconds, a ``Z`` suffix."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
