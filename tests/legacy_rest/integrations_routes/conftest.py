"""Fixtures of the /api/integrations/* tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from app.runtime import Runtime
from tests.support.clock import FROZEN_NOW, freeze_utcnow
from tests.support.sql import failing_inserts


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every ``utcnow()`` of the gateway answers FROZEN_NOW."""
    return freeze_utcnow(monkeypatch, FROZEN_NOW)


@pytest.fixture
async def failing_connection_inserts(runtime: Runtime, demo: None) -> AsyncIterator[None]:
    async with failing_inserts(runtime, "connections"):
        yield
