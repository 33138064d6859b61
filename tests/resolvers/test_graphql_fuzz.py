"""Schemathesis' GraphQL mode over the whole schema: every query and mutation field, with generated
arguments and selections, sent anonymously and as a staff user of the demo workspace. No answer
may carry ``extensions.code == "INTERNAL"``: whatever a client sends is answered with data or a
client error.

Bounded (a fixed number of derandomised examples per field), so that a run is repeatable and adds
seconds, not minutes, to the suite. Schemathesis runs the app in-process, on its own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from schemathesis.python.asgi import shutdown_lifespans
from starlette.applications import Starlette
from strawberry.relay import to_base64

from app.db import create_database
from app.factory import create_app
from app.repositories import accounts
from app.seed import DEMO_EMAIL
from app.services.auth import create_session
from app.settings import Settings
from tests.support.servers import ONE_MODEL, json_handler, serving

EXAMPLES_PER_FIELD = 15
BASE_URL = "http://testserver/graphql"
# The exported SDL, which a test keeps equal to the schema the code builds.
SCHEMA = schemathesis.graphql.from_path(Path(__file__).parents[2] / "schema.graphql")
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# ID: global ids of every kind (real type names, the Node interface, other types) and garbage.
# JSON gets no strategy on purpose: hypothesis-graphql then sends null or leaves the argument out,
# and leaving an optional argument out is what a strategy would never do.
TYPE_NAMES = ["Integration", "Tool", "Node", "Query", "JSON"]
GLOBAL_IDS = st.one_of(
    st.builds(to_base64, st.sampled_from(TYPE_NAMES), st.text()),
    st.builds(to_base64, st.just("Integration"), st.uuids().map(str)),
    st.text(),
)
schemathesis.graphql.scalar("ID", GLOBAL_IDS.map(nodes.String))


@pytest.fixture
def models_url() -> Iterator[str]:
    """OpenRouter's models API on 127.0.0.1, on a thread: the app runs on schemathesis' loop, not
    on the test's."""
    with serving(json_handler(ONE_MODEL)) as base:
        yield f"{base}/api/v1/models"


@pytest.fixture
def settings_overrides(models_url: str) -> dict[str, Any]:
    return {"openrouter_models_url": models_url, "secret_keys": Fernet.generate_key().decode()}


async def _staff_demo_session(settings: Settings) -> str:
    """The demo user, made staff: a workspace with data, and the staff-only fields open too."""
    database = create_database(settings)
    try:
        async with database.write() as session, session.begin():
            user = await accounts.ensure_user(session=session, email=DEMO_EMAIL, staff=True)
            token, _ = await create_session(db=session, settings=settings, user_id=user.id)
    finally:
        await database.dispose()
    return token


@pytest.fixture
def cookie(settings: Settings, demo: None) -> str:
    return f"vendo_session={asyncio.run(_staff_demo_session(settings))}"


@pytest.fixture
def application(settings: Settings, demo: None) -> Iterator[Starlette]:
    """The app, whose lifespan schemathesis starts on its first request and which is stopped
    here."""
    try:
        yield create_app(settings)
    finally:
        shutdown_lifespans()


def internal_errors(body: Any) -> list[Any]:
    items = body if isinstance(body, list) else [body]
    return [
        error
        for item in items
        if isinstance(item, dict)
        for error in item.get("errors") or ()
        if isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "INTERNAL"
    ]


@schemathesis.check
def no_internal_error(ctx: Any, response: Any, case: Any) -> bool:
    """An answer carrying INTERNAL is a failure: the gateway did not handle what it was sent."""
    found = internal_errors(response.json())
    if found:
        raise AssertionError(f"INTERNAL in the answer to {case.body!r}: {found}")
    return True


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_fuzzed_field_never_answers_internal(
    operation: Any, application: Starlette, cookie: str
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_FIELD,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        for headers in ({}, {"Cookie": cookie}):
            response = case.call(base_url=BASE_URL, app=application, headers=headers)
            case.validate_response(response, checks=[no_internal_error])

    fuzz()
