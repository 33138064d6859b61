"""SQL statements per request, counted in-process after the load, never under it: the app built
by its factory with the server's settings, one warm-up request then one counted request per
scenario through httpx's ``ASGITransport``, with ``before_cursor_execute`` and pool ``checkout``
listeners (transaction control not counted)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from bench.scenarios import Scenario

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def counting() -> Iterator[dict[str, int]]:
    """Counters of the statements executed and the connections checked out, on every engine."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    counters = {"statements": 0, "checkouts": 0}

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            counters["statements"] += 1

    def on_checkout(*_: Any) -> None:
        counters["checkouts"] += 1

    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Pool, "checkout", on_checkout)
    try:
        yield counters
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Pool, "checkout", on_checkout)


@contextlib.asynccontextmanager
async def in_process_clients(env: dict[str, str]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The gateway and the baselines app, built with ``env`` and started, each behind a client."""
    from app.factory import create_app
    from app.settings import Settings
    from bench.baselines import create_app as create_baselines

    with patched_environ(env):
        apps = {"gateway": create_app(Settings()), "baseline": create_baselines(Settings())}
        async with contextlib.AsyncExitStack() as stack:
            clients = {}
            for name, application in apps.items():
                await stack.enter_async_context(application.router.lifespan_context(application))
                transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40000))
                clients[name] = await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=300)
                )
            yield clients


async def count_sql(scenarios: list[Scenario], env: dict[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    with counting() as counters:
        async with in_process_clients(env) as clients:
            for scenario in scenarios:
                client = clients[scenario.server]
                for attempt in range(2):  # warm (as under load), then count
                    counters.update(statements=0, checkouts=0)
                    response = await client.request(
                        scenario.method,
                        scenario.path,
                        headers=scenario.headers,
                        content=scenario.body2 if attempt and scenario.body2 else scenario.body,
                    )
                found[scenario.name] = {
                    **counters,
                    "status": response.status_code,
                    "bytes": len(response.content),
                }
    return found
