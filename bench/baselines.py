"""Baselines for the benchmark: what the same answers cost without GraphQL.

A tiny Starlette app, served by the same uvicorn settings as ``vendo-gateway serve``
(``python -m bench.baselines`` runs ``serve``'s own code with ``uvicorn.run`` swapped for this
app), on the same database, reading the way the gateway's Core reads do (``app.db.create_database``
and ``Database.connect``: the same pool and ping, autocommit on PostgreSQL):

- ``GET /static``: precomputed bytes — the anonymous ``GET /api/integrations`` body, read once
  from ``BENCH_STATIC_FILE`` (the HTTP-stack ceiling);
- ``GET /raw/integrations?first=200``: the rows of the GraphQL list scenario from one SQL query,
  encoded with orjson into the same JSON document GraphQL answers;
- ``GET /raw/tools?first=500``: the tools-with-nested-integrations document from two SQL queries
  (tools with their active release; the integrations), built with plain dicts.

Small requests (docs/decisions/0132):

- ``GET /static/detail``: precomputed bytes — the anonymous ``GET /api/integrations/{slug}``
  body, read once from ``BENCH_DETAIL_STATIC_FILE`` (the ceiling of a small cached answer);
- ``POST /static/typename``: the bytes of ``{ __typename }``'s answer, the request's body read
  (the ceiling of any GraphQL request);
- ``GET /raw/integration?slug=…``: one SQL ``SELECT`` by key, orjson: the same JSON as
  ``integration(slug)`` with the nine fields of the bench's query;
- ``GET /raw/viewer``: the session cookie's lookup — the gateway's own statement
  (``accounts.principal_for_session``) — and the viewer's email and workspace slug, orjson;
- ``POST /stock/graphql``: stock Strawberry (``strawberry.asgi.GraphQL``, no extension) with
  ``integration(slug)`` reading a SQLModel entity in an ``AsyncSession`` opened per request, as
  the tutorials write it: the peer a user would pick instead of the gateway.

The runner checks, before measuring, that the raw endpoints (and stock Strawberry) answer
exactly what the GraphQL scenarios answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.db import create_database
from app.settings import Settings

TEST_TOOL_PREFIX = "vendo-test-"

LIST_SQL = (
    "SELECT id, provider, name, description, category, type, enabled, default_profile, "
    "supported_profiles, logo_url FROM integrations WHERE enabled ORDER BY provider LIMIT {limit}"
)
TOOLS_SQL = (
    "SELECT t.slug, t.name, t.category, t.enabled, t.marketing, t.surface_all_connections, "
    "r.requires FROM tools t LEFT JOIN releases r ON r.tool_id = t.id AND r.active "
    "ORDER BY t.slug"
)
INTEGRATIONS_SQL = (
    "SELECT provider, name, category, logo_url, enabled FROM integrations ORDER BY provider"
)


def _uuid(value: Any) -> str:
    """A UUID column as GraphQL prints it: 32 hex characters on SQLite, a UUID on PostgreSQL."""
    return str(value) if not isinstance(value, str) else str(uuid.UUID(value))


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _first(request: Request, default: int) -> int:
    try:
        return max(0, int(request.query_params.get("first", default)))
    except ValueError:
        return default


async def static_bytes(request: Request) -> Response:
    return Response(request.app.state.static, media_type="application/json")


async def raw_integrations(request: Request) -> Response:
    limit = _first(request, 200)
    async with request.app.state.db.connect() as connection:
        rows = (await connection.exec_driver_sql(LIST_SQL.format(limit=limit))).all()
    nodes = [
        {
            "databaseId": _uuid(row[0]),
            "provider": row[1],
            "name": row[2],
            "description": row[3],
            "category": row[4],
            "type": row[5],
            "enabled": bool(row[6]),
            "defaultProfile": row[7],
            "supportedProfiles": _json(row[8]),
            "logoUrl": row[9],
        }
        for row in rows
    ]
    body = {"data": {"integrations": {"nodes": nodes}}}
    return Response(orjson.dumps(body), media_type="application/json")


def _providers(requires: Any, key: str) -> list[str]:
    value = requires.get(key) if isinstance(requires, dict) else None
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


def _entry(row: Any) -> dict[str, Any]:
    return {
        "integration": {
            "provider": row[0],
            "name": row[1],
            "category": row[2],
            "logoUrl": row[3],
        },
        "alreadyEnabled": False,  # anonymous: no workspace, nothing is enabled
    }


async def raw_tools(request: Request) -> Response:
    limit = _first(request, 500)
    async with request.app.state.db.connect() as connection:
        tools = (await connection.exec_driver_sql(TOOLS_SQL)).all()
        catalog = (await connection.exec_driver_sql(INTEGRATIONS_SQL)).all()
    by_provider = {row[0]: row for row in catalog}
    enabled = [row for row in catalog if row[4]]
    nodes = []
    for slug, name, category, on, marketing, surface_all, requires in tools:
        internal = bool(_json(marketing).get("internal"))
        if not on or internal or slug.startswith(TEST_TOOL_PREFIX):
            continue
        manifest = _json(requires) if requires is not None else None
        required = [
            by_provider[p]
            for p in dict.fromkeys(_providers(manifest, "required"))
            if p in by_provider and by_provider[p][4]
        ]
        taken = {row[0] for row in required}
        if surface_all:
            optional = [row for row in enabled if row[0] not in taken]
        else:
            wanted = [p for p in _providers(manifest, "optional") if p not in taken]
            optional = [
                by_provider[p]
                for p in dict.fromkeys(wanted)
                if p in by_provider and by_provider[p][4]
            ]
        nodes.append(
            {
                "slug": slug,
                "name": name,
                "category": category,
                "integrations": {
                    "required": [_entry(row) for row in required],
                    "optional": [_entry(row) for row in optional],
                },
            }
        )
        if len(nodes) >= limit:
            break
    body = {"data": {"tools": {"nodes": nodes}}}
    return Response(orjson.dumps(body), media_type="application/json")


DETAIL_SQL = (
    "SELECT id, provider, name, description, category, type, enabled, default_profile, "
    "logo_url FROM integrations WHERE provider = {param}"
)
TYPENAME = b'{"data":{"__typename":"Query"}}'


async def static_detail(request: Request) -> Response:
    return Response(request.app.state.static_detail, media_type="application/json")


async def static_typename(request: Request) -> Response:
    await request.body()
    return Response(TYPENAME, media_type="application/json")


async def raw_integration(request: Request) -> Response:
    slug = request.query_params.get("slug", "")
    sql, param = request.app.state.detail_sql
    async with request.app.state.db.connect() as connection:
        row = (await connection.exec_driver_sql(sql, param(slug))).first()
    node = None
    if row is not None and row[6]:  # anonymous: a disabled integration is not shown
        node = {
            "databaseId": _uuid(row[0]),
            "provider": row[1],
            "name": row[2],
            "description": row[3],
            "category": row[4],
            "type": row[5],
            "enabled": bool(row[6]),
            "defaultProfile": row[7],
            "logoUrl": row[8],
        }
    body = {"data": {"integration": node}}
    return Response(orjson.dumps(body), media_type="application/json")


async def raw_viewer(request: Request) -> Response:
    from app.repositories.accounts import principal_for_session
    from app.services.auth import hash_token

    token = request.cookies.get("vendo_session")
    viewer = None
    if token:
        async with request.app.state.db.connect() as connection:
            found = await principal_for_session(
                session=connection, token_hash=hash_token(token), now=datetime.now(UTC)
            )
        if found is not None:
            workspace = {"slug": found.tenant_slug} if found.tenant_slug is not None else None
            viewer = {"email": found.email, "workspace": workspace}
    body = {"data": {"viewer": viewer}}
    return Response(orjson.dumps(body), media_type="application/json")


@strawberry.type(name="Integration")
class StockIntegration:
    database_id: uuid.UUID
    provider: str
    name: str
    description: str
    category: str
    type: str | None
    enabled: bool
    default_profile: str
    logo_url: str | None


@strawberry.type(name="Query")
class StockQuery:
    """Stock Strawberry and SQLModel, as a user would write ``integration(slug)``: an
    ``AsyncSession`` per request, the entity selected, a Strawberry type built from it."""

    @strawberry.field
    async def integration(self, info: strawberry.Info, slug: str) -> StockIntegration | None:
        from sqlmodel import select

        from app.models import Integration

        async with info.context["request"].app.state.stock_sessions() as session:
            row = (
                await session.exec(select(Integration).where(Integration.provider == slug))
            ).first()
        if row is None or not row.enabled:
            return None
        return StockIntegration(
            database_id=row.id,
            provider=row.provider,
            name=row.name,
            description=row.description,
            category=row.category,
            type=row.type,
            enabled=row.enabled,
            default_profile=row.default_profile,
            logo_url=row.logo_url,
        )


def stock_strawberry(settings: Settings) -> tuple[Any, Any, Any]:
    """The stock app, its own engine and its sessionmaker (``sqlmodel``'s ``AsyncSession``)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlmodel.ext.asyncio.session import AsyncSession
    from strawberry.asgi import GraphQL

    engine = create_async_engine(settings.database_url)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    return GraphQL(strawberry.Schema(query=StockQuery), graphql_ide=None), engine, sessions


async def healthz(_: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def create_app(settings: Settings | None = None, static_file: str | None = None) -> Starlette:
    settings = settings or Settings()
    static_path = static_file or os.environ.get("BENCH_STATIC_FILE")
    static = Path(static_path).read_bytes() if static_path else b"{}"
    detail_path = os.environ.get("BENCH_DETAIL_STATIC_FILE")
    stock, stock_engine, stock_sessions = stock_strawberry(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = create_database(settings)
        try:
            yield
        finally:
            await app.state.db.dispose()
            await stock_engine.dispose()

    app = Starlette(
        routes=[
            Route("/static", static_bytes, methods=["GET"]),
            Route("/raw/integrations", raw_integrations, methods=["GET"]),
            Route("/raw/tools", raw_tools, methods=["GET"]),
            Route("/static/detail", static_detail, methods=["GET"]),
            Route("/static/typename", static_typename, methods=["POST"]),
            Route("/raw/integration", raw_integration, methods=["GET"]),
            Route("/raw/viewer", raw_viewer, methods=["GET"]),
            Route("/stock/graphql", stock, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.static = static
    app.state.stock_sessions = stock_sessions
    app.state.static_detail = Path(detail_path).read_bytes() if detail_path else b"{}"
    if settings.is_sqlite:
        app.state.detail_sql = (DETAIL_SQL.format(param="?"), lambda slug: (slug,))
    else:
        app.state.detail_sql = (DETAIL_SQL.format(param="$1"), lambda slug: (slug,))
    return app


def serve(argv: Sequence[str] | None = None) -> int:
    """Run this app with exactly the uvicorn arguments ``vendo-gateway serve`` would use."""
    import uvicorn

    from app import cli

    parser = argparse.ArgumentParser(prog="python -m bench.baselines")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    captured: dict[str, Any] = {}
    real_run = uvicorn.run

    def capture(app: Any, **kwargs: Any) -> None:
        captured.update(kwargs, target=app)

    uvicorn.run = capture  # type: ignore[assignment]
    try:
        serve_args = cli.build_parser().parse_args(
            ["serve", "--host", args.host, "--port", str(args.port), "--workers", str(args.workers)]
        )
        serve_args.run(serve_args, Settings())
    finally:
        uvicorn.run = real_run  # type: ignore[assignment]
    if not captured:
        print("vendo-gateway serve did not call uvicorn.run", file=sys.stderr)
        return 1
    target = captured.pop("target")
    print(f"serve would run {target!r} with {captured}", file=sys.stderr, flush=True)
    captured["factory"] = True
    uvicorn.run("bench.baselines:create_app", **captured)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
