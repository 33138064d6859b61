"""Liveness, readiness and metrics endpoints: cheap, unauthenticated, never rate limited, and
logged at debug level only."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.migrations import schema_state
from app.runtime import Runtime
from app.web import metrics

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(_: Request) -> Response:
    """The process answers."""
    return JSONResponse({"status": "ok"})


async def _redis(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    checks = {}
    if settings.cache_url.startswith("redis"):
        checks["cache"] = "ok" if await runtime.cache.ping() else "unreachable"
    if "redis" in settings.rate_limit_storage:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                healthy = await runtime.limits.check()
        except Exception:
            healthy = False
        checks["rate_limits"] = "ok" if healthy else "unreachable"
    return checks


async def readyz(request: Request) -> Response:
    """The database is reachable and migrated to head; Redis answers when it is configured; the
    worker is not shutting down (docs/decisions/0159)."""
    runtime: Runtime = request.app.state.runtime
    if runtime.draining.started.is_set():
        body = {"status": "unavailable", "checks": {"shutdown": "draining"}}
        return JSONResponse(body, status_code=503)
    database, redis = await asyncio.gather(
        schema_state(runtime.db, within=CHECK_TIMEOUT_SECONDS), _redis(runtime)
    )
    checks = {"database": database, **redis}
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


async def metrics_endpoint(_: Request) -> Response:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
