"""The OpenAPI document of the legacy routes, and a schemathesis run over it: in process, over
ASGI, against a seeded database; no server error and no response outside the document."""

from __future__ import annotations

from collections.abc import Iterator
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

from app.factory import create_app
from app.settings import Settings
from legacy_rest.openapi import operation_id
from legacy_rest.routes import ROUTES
from tests.conftest import JWT_SECRET
from tests.support.servers import (
    ONE_MODEL,
    demo_credentials,
    json_handler,
    seeded_database,
    serving,
)

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
    assert sorted(toggle) == ["200", "400", "401", "404", "413", "429", "500", "503"]
    catalog = document["paths"]["/api/tools/catalog"]["get"]["responses"]
    assert sorted(catalog) == ["200"]  # failures degrade to 200 {"tools": []}
    v1 = document["paths"]["/api/v1/integrations/{id}"]["get"]["responses"]
    assert v1["404"]["content"] == {"text/plain": {"schema": {"type": "string"}}}


def _document() -> dict[str, Any]:
    from legacy_rest.openapi import build_openapi

    return build_openapi(ROUTES)


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 standing in for OpenRouter's models API."""
    with serving(json_handler(ONE_MODEL)) as base:
        yield f"{base}/api/v1/models"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, upstream: str) -> tuple[Any, dict[str, str]]:
    """A gateway on its own seeded SQLite file. Schemathesis runs the app's lifespan itself (on
    its own event loop), so this app is built but not started here."""
    url = seeded_database(tmp_path_factory.mktemp("openapi") / "vendo.db")
    token, key = demo_credentials(url)
    headers = {"Cookie": f"vendo_session={token}", "Authorization": f"Bearer {key}"}
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
