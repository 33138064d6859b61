"""Spans reach a real OTLP/HTTP collector on 127.0.0.1 when tracing is configured; without an
endpoint no tracer is set up at all."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette

from tests.support.servers import Quiet, serving

SPANS: list[dict[str, Any]] = []


class _Collector(Quiet):
    def do_POST(self) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: a.value for a in span.attributes}
                    SPANS.append({"name": span.name, "scope": scope.scope.name, **attributes})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def collector() -> Iterator[str]:
    SPANS.clear()
    with serving(_Collector) as base:
        yield base


@pytest.fixture
def settings_overrides(collector: str) -> dict[str, Any]:
    return {"otel_endpoint": collector}


def _names(scope: str) -> list[str]:
    return [span["name"] for span in SPANS if span["scope"] == scope]


async def test_tracing_exports_request_resolver_and_sql_spans(
    client: httpx.AsyncClient, app: Starlette, demo: None
) -> None:
    response = await client.get("/api/integrations/openrouter")
    assert response.status_code == 200
    graphql = await client.post(
        "/graphql", json={"query": "query Catalog { integrations(first: 2) { nodes { name } } }"}
    )
    assert graphql.status_code == 200
    assert app.state.tracer_provider.force_flush(5_000)

    assert "GET /api/integrations/{slug} (LegacyIntegrationDetail)" in _names("vendo.http")
    assert "POST /graphql (Catalog)" in _names("vendo.http")
    assert "SQL SELECT" in _names("vendo.sql")
    assert any("integrations" in name for name in _names("strawberry"))
    request_span = next(s for s in SPANS if s["name"].startswith("GET /api/integrations/{slug}"))
    assert request_span["http.response.status_code"].int_value == 200
    assert request_span["vendo.request_id"].string_value == response.headers["x-request-id"]
    select = next(s for s in SPANS if s["name"] == "SQL SELECT")
    statement = select["db.statement"].string_value
    assert statement.startswith("SELECT")
    assert "openrouter" not in statement  # parameters are never part of a span
    assert "?" in statement or "$1" in statement


def test_tracing_off_loads_no_tracer() -> None:
    """(redis-py itself imports OpenTelemetry's metrics API when it is installed; what must not
    load is a tracer provider, an exporter or a span processor of ours.)"""
    code = (
        "import sys; from app.factory import create_app; app = create_app(); "
        "print(app.state.tracer_provider is None and not any(m.startswith("
        "('opentelemetry.sdk.trace', 'opentelemetry.exporter')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "True"
