"""Schemathesis over the legacy routes as ``st run URL --checks all`` runs them — this repository's
``schemathesis.toml`` and its hooks, every phase (examples, coverage, fuzzing, stateful), every
check — with a demo session, a staff session and an App Key, against a real uvicorn on 127.0.0.1
in front of a seeded database of the backend under test (SQLite, or PostgreSQL and Redis when the
suite runs on them). Bounded: few examples per operation, a fixed seed, derandomized.

Each credential runs the operations it opens: the session cookie the dashboard and catalog
routes (every route but the staff bulk save and /api/v1/*), the staff cookie the bulk save, the
App Key /api/v1/*. What a request without the credential, or with a bad one, gets is the
``ignored_auth`` check's part of each run.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from cryptography.fernet import Fernet
from schemathesis.checks import CHECKS
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import select

from app.db import create_database
from app.migrations import upgrade
from app.models import App, Tenant
from app.repositories import accounts
from app.seed import DEMO_EMAIL, DEMO_WORKSPACE, STAFF_EMAIL, seed_demo
from app.services.auth import create_session
from app.settings import Settings
from tests.conftest import JWT_SECRET, POSTGRES_URL, REDIS_URL, _admin, _asyncpg_url
from tests.support.servers import ONE_MODEL, json_handler, mint_app_key_in, serving
from tests.support.servers import gateway as served

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 8
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SEED = 20261205
BULK_SAVE = "POST /api/integrations"


@dataclass(frozen=True)
class Gateway:
    url: str
    demo: dict[str, str]
    staff: dict[str, str]
    app_key: dict[str, str]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 standing in for OpenRouter's models API."""
    with serving(json_handler(ONE_MODEL)) as base:
        yield f"{base}/api/v1/models"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own, migrated: a file on SQLite, a fresh database on PostgreSQL."""
    if not POSTGRES_URL:
        path = tmp_path_factory.mktemp("schemathesis") / "vendo.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"vendo_st_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = _asyncpg_url(POSTGRES_URL, name).replace("postgresql://", "postgresql+asyncpg://")
    upgrade(url)
    yield url
    asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _credentials(settings: Settings) -> tuple[str, str, str]:
    """Seed the demo data; a demo session, a staff session and an App Key of the demo
    workspace (its first app)."""
    database = create_database(settings)
    async with database.write() as session, session.begin():
        await seed_demo(session)
        tokens = []
        for email in (DEMO_EMAIL, STAFF_EMAIL):
            user = await accounts.get_user_by_email(session=session, email=email)
            assert user is not None
            tokens.append((await create_session(db=session, settings=settings, user_id=user.id))[0])
        app = await session.scalar(
            select(App)
            .join(Tenant, App.tenant_id == Tenant.id)
            .where(Tenant.slug == DEMO_WORKSPACE)
        )
        assert app is not None
        key = await mint_app_key_in(session, tenant_id=app.tenant_id, app_id=app.id)
    await database.dispose()
    return tokens[0], tokens[1], key


@pytest.fixture(scope="module")
def gateway(database_url: str, upstream: str) -> Iterator[Gateway]:
    """The gateway served by uvicorn in a thread, as ``vendo-gateway serve`` serves it."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "jwt_secret": JWT_SECRET,
        "integration_rate_limit": "100000/minute",
        "openrouter_models_url": upstream,
        "redis_prefix": f"vendo-st-{uuid.uuid4().hex[:12]}:",
        "secret_keys": Fernet.generate_key().decode(),
    }
    if REDIS_URL:
        values |= {"cache_url": REDIS_URL, "rate_limit_storage": REDIS_URL}
    settings = Settings(**values)
    with ThreadPoolExecutor(1) as pool:
        demo, staff, key = pool.submit(asyncio.run, _credentials(settings)).result()
    with served(settings) as url:
        yield Gateway(
            url=url,
            demo={"Cookie": f"vendo_session={demo}"},
            staff={"Cookie": f"vendo_session={staff}"},
            app_key={"Authorization": f"Bearer {key}"},
        )


def _schema(
    gateway: Gateway,
    headers: dict[str, str],
    *,
    examples: int = EXAMPLES,
    phases: tuple[str, ...] = PHASES,
) -> Any:
    """The document as ``st run`` loads it: the repository's configuration, then what the
    command line adds (``-H``, ``--checks all``, ``-n``, ``--seed``, ``--phases``,
    ``--continue-on-failure``: every case runs, one failure does not hide the next)."""
    config = schemathesis.Config.from_path(ROOT / "schemathesis.toml")
    config.update(seed=SEED, max_failures=None)
    project = config.projects.override
    project.update(headers=headers, continue_on_failure=True)
    project.checks.update(included_check_names=["all"], excluded_check_names=_foreign_checks())
    project.phases.update(phases=list(phases))
    project.generation.update(max_examples=examples, deterministic=True, database="none")
    return schemathesis.openapi.from_url(f"{gateway.url}/api/openapi.json", config=config)


def _foreign_checks() -> list[str]:
    """Checks other test modules registered in this process (``@schemathesis.check`` is global):
    ``--checks all`` of ``st run`` means schemathesis's own."""
    return [
        check.__name__
        for check in CHECKS.get_all()
        if not check.__module__.startswith("schemathesis.")
    ]


def _failures(schema: Any) -> list[str]:
    """Every failed check and every error of one engine run, one line each."""
    found = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        case = event.recorder.cases[case_id].value
                        found.append(
                            f"{failure.code} {failure.title} — {case.method} {case.path}: "
                            f"{failure.message.splitlines()[0] if failure.message else ''}\n"
                            f"    {check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.append(f"error: {event!r}")
    return sorted(set(found))


def _only(schema: Any, label: str) -> Any:
    """The operations whose label (``METHOD /path``) matches ``label``. (``include`` would add
    a filter beside the one the configuration's ``[[operations]]`` make, matching everything.)"""
    pattern = re.compile(label)
    return schema.exclude(lambda ctx: not pattern.match(ctx.operation.label))


def test_routes_answered_anonymously_conform(gateway: Gateway) -> None:
    _assert_conforms(_only(_schema(gateway, {}), rf"(?!{BULK_SAVE}$)"))


def test_dashboard_and_catalog_routes_with_a_session_conform(gateway: Gateway) -> None:
    _assert_conforms(_only(_schema(gateway, gateway.demo), rf"(?!{BULK_SAVE}$|\w+ /api/v1/)"))


def test_routes_with_a_staff_session_conform(gateway: Gateway) -> None:
    """The reads a staff session changes (admin mode), then the bulk save, the one route it
    opens — without the coverage phase there: some 3,700 bodies (every boundary of every type's
    configuration, 45 s); ``st run`` by hand sends them (docs/DECISIONS.md)."""
    reads = _only(_schema(gateway, gateway.staff), r"GET /api/(tools|integrations)")
    bulk_save = _schema(gateway, gateway.staff, examples=100, phases=("examples", "fuzzing"))
    _assert_conforms(reads, _only(bulk_save, rf"{BULK_SAVE}$"))


def test_v1_routes_with_an_app_key_conform(gateway: Gateway) -> None:
    _assert_conforms(_only(_schema(gateway, gateway.app_key), r"\w+ /api/v1/"))


def _assert_conforms(*runs: Any) -> None:
    failures = [failure for schema in runs for failure in _failures(schema)]
    assert not failures, "\n".join(failures)
