"""OpenTelemetry spans for requests, GraphQL resolvers and SQL — only when an endpoint is set
(``VENDO_OTEL_ENDPOINT``, or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``). Otherwise nothing here is imported or run.

Spans are exported over OTLP/HTTP in batches by a tracer provider owned by the app (not the
process-global one), shut down — and so flushed — with the app.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings
from app.web import request_log

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

SERVICE_NAME = "vendo-gateway"
_ENV = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled(settings: Settings) -> bool:
    return bool(settings.otel_endpoint or any(os.environ.get(name) for name in _ENV))


def tracer_provider(settings: Settings) -> TracerProvider:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint = f"{settings.otel_endpoint.rstrip('/')}/v1/traces" if settings.otel_endpoint else None
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


class TraceRequests:
    """One server span per HTTP request, named by route (or GraphQL operation) once known."""

    def __init__(self, app: ASGIApp, *, provider: TracerProvider) -> None:
        self.app = app
        self.tracer = provider.get_tracer("vendo.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in request_log.QUIET_PATHS:
            await self.app(scope, receive, send)
            return
        from opentelemetry.trace import SpanKind, StatusCode

        name = f"{scope['method']} {scope['path']}"
        with self.tracer.start_as_current_span(name, kind=SpanKind.SERVER) as span:
            status = 500

            async def send_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, send_status)
            finally:
                info = request_log.current()
                if info is not None:
                    span.update_name(_span_name(scope["method"], info))
                    span.set_attribute("vendo.request_id", info.request_id)
                    if info.tenant_id:
                        span.set_attribute("vendo.tenant_id", info.tenant_id)
                span.set_attribute("http.request.method", scope["method"])
                span.set_attribute("url.path", scope["path"])
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(StatusCode.ERROR)


def _span_name(method: str, info: request_log.RequestInfo) -> str:
    """``GET /api/integrations/{slug}``, or ``POST /graphql (Operation)``."""
    route = info.route or info.path
    name = route if route.startswith(f"{method} ") else f"{method} {route}"
    return f"{name} ({info.operation})" if info.operation else name


def graphql_extension(provider: TracerProvider) -> Any:
    """Strawberry's own OpenTelemetry extension (a span per operation and per resolver)."""
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return lambda: OpenTelemetryExtension(tracer_provider=provider)


def trace_sql(engine: AsyncEngine, provider: TracerProvider) -> None:
    """A client span per SQL statement (its text, never its parameters)."""
    from opentelemetry.trace import SpanKind, StatusCode
    from sqlalchemy import event

    tracer = provider.get_tracer("vendo.sql")
    system = engine.dialect.name

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        span = tracer.start_span(f"SQL {statement.split(maxsplit=1)[0]}", kind=SpanKind.CLIENT)
        span.set_attribute("db.system", system)
        span.set_attribute("db.statement", statement)
        conn.info.setdefault("vendo_spans", []).append(span)

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _end(conn: Any, *_: Any) -> None:
        spans = conn.info.get("vendo_spans")
        if spans:
            spans.pop().end()

    @event.listens_for(engine.sync_engine, "handle_error")
    def _failed(context: Any) -> None:
        spans = context.connection.info.get("vendo_spans") if context.connection else None
        if spans:
            span = spans.pop()
            span.set_status(StatusCode.ERROR, type(context.original_exception).__name__)
            span.end()
