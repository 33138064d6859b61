"""The OpenAPI document of the legacy routes, and a schemathesis run over it: in process, over
ASGI, against a seeded database; no server error and no response outside the document."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.db import create_database
from app.factory import create_app
from app.migrations import upgrade
from app.models import APP_KEY, App
from app.repositories import accounts, keys
from app.seed import seed_demo
from app.services.auth import create_session, hash_token, new_api_key
from app.settings import Settings
from legacy_rest.openapi import operation_id
from legacy_rest.routes import ROUTES
from tests.conftest import JWT_SECRET

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


async def test_openapi_document_is_served_from_the_route_table(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"] == "3.1.0"
    served = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert served == {(route.method, route.path) for route in ROUTES}
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert sorted(ids) == sorted(operation_id(route) for route in ROUTES)


def test_openapi_error_statuses_follow_the_table() -> None:
    document = schemathesis.openapi.from_dict(_document()).raw_schema
    toggle = document["paths"]["/api/integrations/{slug}"]["post"]["responses"]
    # 403 and 415: the cross-site checks of a cookie write; 408 and 413: the body's limits.
    statuses = ["200", "400", "401", "403", "404", "408", "413", "415", "429", "500", "503"]
    assert sorted(toggle) == statuses
    catalog = document["paths"]["/api/tools/catalog"]["get"]["responses"]
    assert sorted(catalog) == ["200"]  # failures degrade to 200 {"tools": []}
    v1 = document["paths"]["/api/v1/integrations/{id}"]["get"]["responses"]
    assert v1["404"]["content"] == {"text/plain": {"schema": {"type": "string"}}}


def _document() -> dict[str, Any]:
    from legacy_rest.openapi import build_openapi

    return build_openapi(ROUTES)


async def _credentials(url: str) -> dict[str, str]:
    """Seed the demo data; a demo session and an App Key of the demo workspace."""
    database = create_database(Settings(database_url=url))
    async with database.write() as session, session.begin():
        await seed_demo(session)
        user = await accounts.get_user_by_email(session=session, email="demo@vendo.local")
        assert user is not None
        token, _ = await create_session(db=session, settings=Settings(), user_id=user.id)
        app = (await session.execute(App.__table__.select().limit(1))).first()  # type: ignore[attr-defined]
        key = new_api_key()
        await keys.create_key(
            session=session,
            kind=APP_KEY,
            tenant_id=app.tenant_id,
            scope_id=app.id,
            key_hash=hash_token(key),
            prefix=key[:13],
            expires_at=None,
        )
    await database.dispose()
    return {"Cookie": f"vendo_session={token}", "Authorization": f"Bearer {key}"}


MODELS = {
    "data": [
        {
            "id": "anthropic/claude-3.5-sonnet",
            "name": "Claude 3.5 Sonnet",
            "context_length": 200000,
            "pricing": {"prompt": "0.000003", "completion": "0.000015"},
        }
    ]
}


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(MODELS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 standing in for OpenRouter's models API."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/models"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, upstream: str) -> tuple[Any, dict[str, str]]:
    """A gateway on its own seeded SQLite file. Schemathesis runs the app's lifespan itself (on
    its own event loop), so this app is built but not started here."""
    path: Path = tmp_path_factory.mktemp("openapi") / "vendo.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    with ThreadPoolExecutor(1) as pool:
        headers = pool.submit(asyncio.run, _credentials(url)).result()
    settings = Settings(
        database_url=url,
        jwt_secret=JWT_SECRET,
        secret_keys=Fernet.generate_key().decode(),  # an install carrying secrets is not a 503
        integration_rate_limit="100000/minute",
        openrouter_models_url=upstream,
    )
    return create_app(settings), headers


@pytest.fixture(scope="module")
def api_schema(api: tuple[Any, dict[str, str]]) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", api[0])


def _explore(schema: Any, headers: dict[str, str] | None) -> None:
    """Every operation, with hypothesis-generated parameters and bodies. (schemathesis's own
    pytest integration does not load lazily under pytest 9, so the operations are walked here.)"""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(ROUTES)
    for operation in operations:
        for example in operation.get_strategies_from_examples():
            _run(example, headers)
        _run(operation.as_strategy(), headers)


def _run(strategy: Any, headers: dict[str, str] | None) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


EXAMPLES = 15


def test_legacy_routes_answer_within_their_documented_schemas_anonymously(api_schema: Any) -> None:
    # schemathesis sends made-up session cookies too: their writes declare JSON (see below).
    _explore(api_schema, {"Content-Type": "application/json"})


def test_legacy_routes_answer_within_their_documented_schemas_signed_in(
    api_schema: Any, api: tuple[Any, dict[str, str]]
) -> None:
    # A write the session cookie authenticates declares JSON, even with no body (regenerate):
    # without it the answer is 415 (legacy_rest/cookie_writes.py).
    _explore(api_schema, {**api[1], "Content-Type": "application/json"})
