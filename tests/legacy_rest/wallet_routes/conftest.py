"""Fixtures of the balance route tests: the demo data and the demo workspace's App Key."""

from __future__ import annotations

import pytest

from app.models import APP_KEY
from app.runtime import Runtime
from tests.support.credentials import demo_key


@pytest.fixture
async def demo_app_key(runtime: Runtime, demo: None) -> str:
    return await demo_key(runtime, APP_KEY)
