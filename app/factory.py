"""``create_app``: the one place where HTTP, GraphQL and the legacy routes are wired together."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from strawberry.subscriptions import (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)

from app.runtime import Runtime
from app.settings import Settings
from app.web import metrics, speedups, tracing
from app.web.draining import drain_before_stopping
from app.web.health import healthz, metrics_endpoint, readyz
from app.web.middleware import BodyLimit, CorsPolicy, PrefixCors
from app.web.request_log import RequestLog
from app.web.routing import RememberingRouter
from app.web.static_assets import VersionedAssets
from legacy_rest import events
from legacy_rest.endpoint import CachedAnswers, build_routes, registered_operations
from legacy_rest.openapi import openapi_bytes
from legacy_rest.refusals import body_refusal, http_exception_handlers
from legacy_rest.routes import BALANCE_CORS_PATHS, ROUTES
from resolvers.engine.view import GatewayGraphQL, LaneDoor
from resolvers.schema import GatewaySchema, build_schema

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


async def openapi(_: Request) -> Response:
    return Response(openapi_bytes(), media_type="application/json")


@cache
def _api_docs_page() -> str:
    return (files("app") / "static" / "swagger-ui" / "index.html").read_text(encoding="utf-8")


async def api_docs(_: Request) -> Response:
    """The REST explorer: Swagger UI over /api/openapi.json, served from the package."""
    return HTMLResponse(_api_docs_page())


V1_PREFIX = "/api/v1/"
GRAPHQL_PREFIX = "/graphql"
GC_THRESHOLDS = (50_000, 20, 20)  # the garbage collector's, while the app serves (0162)
GRAPHQL_CORS_HEADERS = (
    "Content-Type",
    "Authorization",
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
    "X-Request-ID",
)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    if settings.speedups and settings.is_production:
        speedups.quicken_logging()  # our log lines never print the source file
    metrics.tally_samples(settings.speedups)
    provider = tracing.tracer_provider(settings) if tracing.enabled(settings) else None
    schema = build_schema(
        settings,
        registered=registered_operations(ROUTES),
        tracing=tracing.graphql_extension(provider) if provider else None,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = Runtime.create(settings)
        runtime.start()
        tally = metrics.TallyFlusher()
        tally.start()
        app.state.runtime = runtime
        if provider is not None:
            for engine in runtime.db.engines:
                tracing.trace_sql(engine, provider)
        # What start-up built (schema, models, routes: the bulk of the heap) lives as long as the
        # worker: out of the garbage collector's sight, a full collection no longer walks it
        # (docs/PERFORMANCE.md says what that saves). Given back at shutdown.
        gc.freeze()
        # The young generation collected every 50,000 allocations instead of 700, so that what a
        # request or a fanned-out change holds for a moment dies young instead of being promoted
        # and setting off full collections (docs/decisions/0162). Restored at shutdown.
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        # A stop signal ends the open streams before uvicorn waits for them (0159).
        undrain = drain_before_stopping(runtime.draining)
        try:
            yield
        finally:
            undrain()
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            await tally.close()
            await runtime.close()
            if provider is not None:
                provider.shutdown()  # flushes the spans still queued

    app = Starlette(
        middleware=_middleware(settings, provider, schema),
        exception_handlers=http_exception_handlers(
            preflight_prefixes=(V1_PREFIX, *BALANCE_CORS_PATHS, GRAPHQL_PREFIX)
        ),
        lifespan=lifespan,
    )
    # Starlette's router with a memory of which route answered each path (app/web/routing.py).
    app.router = RememberingRouter(_routes(settings, schema), lifespan=lifespan)
    app.state.settings = settings
    app.state.schema = schema
    app.state.tracer_provider = provider
    return app


def _routes(settings: Settings, schema: GatewaySchema) -> list[BaseRoute]:
    graphql = GatewayGraphQL(
        schema,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        multipart_uploads_enabled=False,
        # Subscriptions: graphql-transport-ws on the WebSocket (and multipart over HTTP).
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL),
        max_subscriptions_per_connection=settings.subscriptions_per_connection,
        allowed_origins=list(settings.graphql_origins),
    )
    routes: list[BaseRoute] = [
        # First: the router tries routes in order, and /graphql is the busiest.
        Route(GRAPHQL_PREFIX, graphql, methods=["GET", "POST"]),
        WebSocketRoute(GRAPHQL_PREFIX, graphql),
        *build_routes(ROUTES, schema, allowed_origins=frozenset(settings.graphql_origins)),
        # A stream, not an operation: beside the route table, with its credentials (0156).
        Route(events.PATH, events.deployment_events, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/docs", api_docs, methods=["GET"]),
        # The explorers' scripts and styles ship in the package: the pages work offline.
        Mount("/api/docs/static", app=VersionedAssets(packages=[("app", "static/swagger-ui")])),
    ]
    if settings.graphiql_enabled:
        static = VersionedAssets(packages=[("app", "static/graphiql")])
        routes.append(Mount("/graphql/static", app=static, name="graphiql-static"))
    return routes


def _middleware(
    settings: Settings, provider: TracerProvider | None, schema: GatewaySchema
) -> list[Middleware]:
    """Outermost first: the request id and log line wrap everything, then tracing, the anonymous
    cache hits of the legacy routes and the small lane's answers on /graphql, the body's size and
    read-time limits, and the CORS policies of the balance routes, of the rest of /api/v1 and of
    /graphql."""
    body: dict[str, Any] = {
        "max_bytes": settings.max_body_bytes,
        "read_timeout": settings.request_read_timeout_seconds,
        "refuse": body_refusal(ROUTES),
    }
    graphql_cors = CorsPolicy(
        origin_pattern="|".join(re.escape(o) for o in settings.graphql_origins),
        methods=("GET", "POST", "OPTIONS"),
        headers=GRAPHQL_CORS_HEADERS,
        fallback=None,
        credentials=True,
    )
    lane = schema.lane
    return [
        Middleware(RequestLog),
        *([Middleware(tracing.TraceRequests, provider=provider)] if provider else []),
        Middleware(CachedAnswers),
        *(
            [Middleware(LaneDoor, lane=lane, path=GRAPHQL_PREFIX, body=body, cors=graphql_cors)]
            if lane is not None
            else []
        ),
        Middleware(BodyLimit, **body),
        Middleware(
            PrefixCors,
            prefix=BALANCE_CORS_PATHS,
            policy=CorsPolicy(
                origin_pattern=settings.cors_origins,
                methods=("GET", "OPTIONS"),
                headers=("Authorization", "Content-Type"),
            ),
        ),
        Middleware(
            PrefixCors,
            prefix=V1_PREFIX,
            policy=CorsPolicy(
                origin_pattern=settings.cors_origins,
                methods=("GET", "POST", "OPTIONS"),
                headers=("Authorization", "Content-Type", "X-Account-ID"),
            ),
            exclude=BALANCE_CORS_PATHS,
        ),
        Middleware(PrefixCors, prefix=GRAPHQL_PREFIX, policy=graphql_cors),
    ]
