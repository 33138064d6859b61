"""Shared helpers of the hardening suites (issue 5): exact-answer assertions, tenants and keys
made through the gateway's own repositories, a raw SQL runner and a slow HTTP upstream."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import httpx
from sqlalchemy import select, text

from app.models import APP_KEY, CONNECTION_KEY, Tenant, User
from app.repositories import keys
from app.runtime import Runtime
from app.services.auth import hash_token, new_api_key
from tests.conftest import Sessions, session_headers

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
CSRF_MESSAGE = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please "
    "either specify a 'content-type' header (with a type that is not one of "
    "application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a non-empty "
    "value for one of the following headers: x-apollo-operation-name, apollo-require-preflight"
)
CSRF_BODY = {"errors": [{"message": CSRF_MESSAGE, "extensions": {"code": "BAD_USER_INPUT"}}]}
GRAPHQL_UNAVAILABLE = {
    "errors": [{"message": "Service unavailable", "extensions": {"code": "UNAVAILABLE"}}]
}
GRAPHQL_TOO_LARGE = {
    "errors": [{"message": "Request body too large", "extensions": {"code": "BAD_USER_INPUT"}}]
}


def assert_json(response: httpx.Response, status: int, body: Any) -> None:
    """Exact status, exact body (key order included), JSON content type, compact encoding."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == JSON, response.headers
    assert response.json() == body, response.text[:2000]
    assert json.dumps(response.json()) == json.dumps(body)
    compact = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert response.content == compact.encode()


def assert_text(response: httpx.Response, status: int, body: str) -> None:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == TEXT, response.headers
    assert response.text == body


def gql_error(message: str, code: str = "BAD_USER_INPUT", **extra: Any) -> dict[str, Any]:
    """``{"data": null, "errors": [one error]}`` without locations (limit errors carry none)."""
    return {"data": None, "errors": [{"message": message, **extra, "extensions": {"code": code}}]}


async def run_sql(runtime: Runtime, *statements: str) -> None:
    async with runtime.db.write() as session, session.begin():
        for statement in statements:
            await session.execute(text(statement))


async def sign_up(
    sessions: Sessions, runtime: Runtime, email: str, *, staff: bool = False
) -> tuple[dict[str, str], uuid.UUID]:
    """A new user with a production workspace: their session headers and their tenant id."""
    token = await sessions.create(email, staff=staff)
    return session_headers(token), await tenant_of(runtime, email)


async def tenant_of(runtime: Runtime, email: str) -> uuid.UUID:
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(
            select(Tenant.id).join(User, User.id == Tenant.owner_id).where(User.email == email)
        )
    assert tenant_id is not None
    return tenant_id


async def mint_key(
    runtime: Runtime, *, app_id: uuid.UUID | None = None, connection_id: uuid.UUID | None = None
) -> str:
    """A ``vendo_sk_`` App Key (``app_id``) or Connection Key (``connection_id``)."""
    key = new_api_key()
    async with runtime.db.write() as session, session.begin():
        tenant_id = await keys.scope_tenant(
            session=session, app_id=app_id, connection_id=connection_id
        )
        assert tenant_id is not None
        await keys.create_key(
            session=session,
            kind=APP_KEY if app_id is not None else CONNECTION_KEY,
            tenant_id=tenant_id,
            scope_id=app_id or connection_id,  # type: ignore[arg-type]
            key_hash=hash_token(key),
            prefix=key[:13],
            expires_at=None,
        )
    return key


class WriteLock:
    """A lock on tenant_integrations held from another connection: SQLite's database write lock
    (``BEGIN EXCLUSIVE`` on a sqlite3 connection of its own), PostgreSQL's table lock."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._pg_tx: Any = None

    async def acquire(self) -> None:
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[1]
            self._sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._sqlite.execute("BEGIN EXCLUSIVE")
            return
        import asyncpg

        self._pg = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
        self._pg_tx = self._pg.transaction()
        await self._pg_tx.start()
        await self._pg.execute("LOCK TABLE tenant_integrations IN ACCESS EXCLUSIVE MODE")

    async def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            await self._pg_tx.rollback()
            await self._pg.close()
            self._pg = None
