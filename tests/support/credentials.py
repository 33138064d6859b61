"""Credentials as callers send them, and the users, workspaces and keys behind them, made through
the gateway's own repositories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete, select, update

from app.models import (
    APP_KEY,
    CONNECTION_KEY,
    ApiKey,
    App,
    Connection,
    Session,
    Tenant,
    User,
    utcnow,
)
from app.repositories import accounts, keys
from app.runtime import Runtime
from app.services.auth import hash_token, new_api_key
from tests.conftest import JWT_SECRET, Sessions, session_headers

__all__ = [
    "JWT_SECRET",
    "bearer",
    "demo_key",
    "expire_session",
    "identity_jwt",
    "mint_key",
    "move_key_to",
    "revoke_key",
    "revoke_session",
    "session_headers",
    "session_token",
    "sign_up",
    "sign_up_without_workspace",
    "tenant_of",
    "user_id_of",
]


def identity_jwt(
    user_id: uuid.UUID,
    *,
    expires_in: timedelta = timedelta(hours=1),
    key: str = JWT_SECRET,
    **claims: Any,
) -> str:
    """An HS256 identity JWT as Supabase issues it (``aud: authenticated``), ``claims`` on top."""
    payload = {
        "sub": str(user_id),
        "aud": "authenticated",
        "exp": datetime.now(UTC) + expires_in,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="HS256")


def bearer(token: str, account: str | None = None) -> dict[str, str]:
    """``Authorization: Bearer``, and ``X-Account-ID`` when ``account`` is given."""
    headers = {"Authorization": f"Bearer {token}"}
    if account is not None:
        headers["X-Account-ID"] = account
    return headers


def session_token(headers: dict[str, str]) -> str:
    """The session token in ``session_headers``' cookie."""
    return headers["Cookie"].split("=", 1)[1]


async def expire_session(runtime: Runtime, headers: dict[str, str]) -> None:
    """The session of ``headers`` expired a second ago."""
    async with runtime.db.write() as session, session.begin():
        await session.execute(
            update(Session)
            .where(Session.token_hash == hash_token(session_token(headers)))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def revoke_session(runtime: Runtime, headers: dict[str, str]) -> None:
    """The session of ``headers`` revoked, as signing out does."""
    async with runtime.db.write() as session, session.begin():
        count = await accounts.revoke_sessions(
            session=session, now=datetime.now(UTC), token_hash=hash_token(session_token(headers))
        )
    assert count == 1


async def mint_key(
    runtime: Runtime,
    *,
    app_id: uuid.UUID | None = None,
    connection_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
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
            expires_at=expires_at,
        )
    return key


async def demo_key(
    runtime: Runtime, kind: str = APP_KEY, *, expires_at: datetime | None = None
) -> str:
    """A key of the demo workspace: for its app My Hermes, or for its OpenRouter connection."""
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "demo"))
        if kind == APP_KEY:
            scope = await session.scalar(select(App.id).where(App.name == "My Hermes"))
        else:
            scope = await session.scalar(
                select(Connection.id).where(
                    Connection.tenant_id == tenant_id, Connection.provider == "openrouter"
                )
            )
    assert scope is not None
    if kind == APP_KEY:
        return await mint_key(runtime, app_id=scope, expires_at=expires_at)
    return await mint_key(runtime, connection_id=scope, expires_at=expires_at)


async def revoke_key(runtime: Runtime, key: str) -> None:
    async with runtime.db.write() as session, session.begin():
        count = await keys.revoke_key(session=session, now=utcnow(), key_hash=hash_token(key))
    assert count == 1


async def move_key_to(runtime: Runtime, key: str, workspace: str) -> None:
    """The key's row says it belongs to ``workspace`` while its app or connection stays in its
    own: a key of another workspace (as a tampered or mis-migrated row would be)."""
    async with runtime.db.write() as session, session.begin():
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == workspace))
        assert tenant_id is not None
        result = await session.execute(
            update(ApiKey).where(ApiKey.key_hash == hash_token(key)).values(tenant_id=tenant_id)
        )
    assert result.rowcount == 1  # type: ignore[attr-defined]


async def user_id_of(runtime: Runtime, email: str) -> uuid.UUID:
    async with runtime.db.read() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


async def tenant_of(runtime: Runtime, email: str) -> uuid.UUID:
    """The id of the workspace ``email`` owns."""
    async with runtime.db.read() as session:
        tenant_id = await session.scalar(
            select(Tenant.id).join(User, User.id == Tenant.owner_id).where(User.email == email)
        )
    assert tenant_id is not None
    return tenant_id


async def sign_up(
    sessions: Sessions, runtime: Runtime, email: str, *, staff: bool = False
) -> tuple[dict[str, str], uuid.UUID]:
    """A new user with a production workspace: their session headers and their tenant id."""
    token = await sessions.create(email, staff=staff)
    return session_headers(token), await tenant_of(runtime, email)


async def sign_up_without_workspace(
    sessions: Sessions, runtime: Runtime, email: str
) -> dict[str, str]:
    """A new user whose workspace was deleted: their session headers."""
    token = await sessions.create(email)
    async with runtime.db.write() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == email))
        await session.execute(delete(Tenant).where(Tenant.owner_id == user_id))
    return session_headers(token)
