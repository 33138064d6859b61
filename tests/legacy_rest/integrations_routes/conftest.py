"""Fixtures of the /api/integrations/* tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.runtime import Runtime
from tests.support.sql import failing_inserts


@pytest.fixture
async def failing_connection_inserts(runtime: Runtime, demo: None) -> AsyncIterator[None]:
    async with failing_inserts(runtime, "connections"):
        yield
