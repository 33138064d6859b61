"""Fixtures of the /api/integrations/* tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

import app.models.base
from app.runtime import Runtime
from tests.legacy_rest.integrations_routes.helpers import FROZEN_NOW
from tests.support.sql import run_sql


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every ``utcnow()`` of the gateway answers FROZEN_NOW."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return FROZEN_NOW if tz is None else FROZEN_NOW.astimezone(tz)

    monkeypatch.setattr(app.models.base, "datetime", FrozenDatetime)
    return FROZEN_NOW


@pytest.fixture
async def failing_connection_inserts(runtime: Runtime, demo: None) -> AsyncIterator[None]:
    """A real database failure: a trigger that aborts every insert into ``connections``."""
    if runtime.settings.is_sqlite:
        create = [
            "CREATE TRIGGER vendo_test_boom BEFORE INSERT ON connections "
            "BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS vendo_test_boom"]
    else:
        create = [
            "CREATE OR REPLACE FUNCTION vendo_test_boom() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$",
            "CREATE TRIGGER vendo_test_boom BEFORE INSERT ON connections "
            "FOR EACH ROW EXECUTE FUNCTION vendo_test_boom()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS vendo_test_boom ON connections",
            "DROP FUNCTION IF EXISTS vendo_test_boom()",
        ]
    await run_sql(runtime, *create)
    yield
    await run_sql(runtime, *drop)
