"""Real servers on 127.0.0.1 for tests that run outside the test's event loop: a plain HTTP
server on a thread (an upstream API, a collector), and the gateway itself under uvicorn on its
own seeded SQLite file."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app.db import create_database
from app.factory import create_app
from app.migrations import upgrade
from app.models import APP_KEY, App
from app.repositories import accounts, keys
from app.seed import seed_demo
from app.services.auth import create_session, hash_token, new_api_key
from app.settings import Settings

# One model of OpenRouter's models API, as it answers.
ONE_MODEL = {
    "data": [
        {
            "id": "anthropic/claude-3.5-sonnet",
            "name": "Claude 3.5 Sonnet",
            "context_length": 200000,
            "pricing": {"prompt": "0.000003", "completion": "0.000015"},
        }
    ]
}


class Quiet(BaseHTTPRequestHandler):
    """A request handler that writes no access log."""

    def log_message(self, *_: Any) -> None:
        pass


def json_handler(payload: Any) -> type[BaseHTTPRequestHandler]:
    """A handler answering every GET with ``payload`` as JSON."""

    class Answer(Quiet):
        def do_GET(self) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Answer


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on 127.0.0.1 on a thread: its base URL while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seeded_database(path: Path) -> str:
    """A migrated SQLite file at ``path`` with the demo data: its URL."""
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    _run(_seed(url))
    return url


def demo_credentials(url: str) -> tuple[str, str]:
    """A session token of the demo user and an App Key of the demo workspace."""
    return _run(_credentials(url))


def _run(work: Any) -> Any:
    # Called from inside a running event loop: run on a thread with a loop of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _seed(url: str) -> None:
    database = create_database(Settings(database_url=url))
    async with database.write() as session, session.begin():
        await seed_demo(session)
    await database.dispose()


async def _credentials(url: str) -> tuple[str, str]:
    database = create_database(Settings(database_url=url))
    async with database.write() as session, session.begin():
        user = await accounts.get_user_by_email(session=session, email="demo@vendo.local")
        assert user is not None
        token, _ = await create_session(db=session, settings=Settings(), user_id=user.id)
        app = (await session.execute(App.__table__.select().limit(1))).first()  # type: ignore[attr-defined]
        key = await mint_app_key_in(session, tenant_id=app.tenant_id, app_id=app.id)
    await database.dispose()
    return token, key


@contextmanager
def gateway(settings: Settings, app: Starlette | None = None) -> Iterator[str]:
    """The gateway built from ``settings`` (or ``app``, to look at its runtime while it
    serves), served by uvicorn on a thread: its base URL."""
    port = free_port()
    app = app or create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def mint_app_key_in(session: AsyncSession, *, tenant_id: uuid.UUID, app_id: uuid.UUID) -> str:
    """A new ``vendo_sk_`` App Key of the app, written in the caller's transaction (for a
    database seeded outside a runtime; tests with a runtime use credentials.mint_key)."""
    key = new_api_key()
    await keys.create_key(
        session=session,
        kind=APP_KEY,
        tenant_id=tenant_id,
        scope_id=app_id,
        key_hash=hash_token(key),
        prefix=key[:13],
        expires_at=None,
    )
    return key
