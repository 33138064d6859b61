"""Fixtures of the bulk save tests: secrets at rest configured, staff and member credentials."""

from __future__ import annotations

from typing import Any

import pytest

from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.bulk_save.helpers import SECRET_KEY
from tests.support.credentials import identity_jwt, user_id_of


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"secret_keys": SECRET_KEY}


@pytest.fixture
async def staff_session(sessions: Sessions) -> str:
    return await sessions.create("root@example.com", staff=True)


@pytest.fixture
async def staff_jwt(runtime: Runtime, staff_session: str) -> str:
    return identity_jwt(await user_id_of(runtime, "root@example.com"))


@pytest.fixture
async def staff(staff_jwt: str) -> dict[str, str]:
    """The contract's way: the staff user's token, bare, in X-Authorization."""
    return {"X-Authorization": staff_jwt}


@pytest.fixture
async def member_session(sessions: Sessions) -> str:
    return await sessions.create("member@example.com")
