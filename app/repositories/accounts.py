"""Users, workspaces and sessions."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Session, Tenant, User
from app.repositories import Reader
from app.repositories._sql import execute, fetch_rows, searchable


@dataclass(frozen=True)
class Principal:
    """A user as authentication sees it, with their production workspace (if any)."""

    user_id: uuid.UUID
    email: str
    is_staff: bool
    tenant_id: uuid.UUID | None
    tenant_slug: str | None


def _principal_query() -> Select[uuid.UUID, str, bool, uuid.UUID, str]:
    workspace = and_(col(Tenant.owner_id) == col(User.id), col(Tenant.is_production).is_(True))
    return (
        select(col(User.id), col(User.email), col(User.is_staff), col(Tenant.id), col(Tenant.slug))
        .select_from(User)
        .outerjoin(Tenant, workspace)
        .order_by(col(Tenant.created_at))
        .limit(1)
    )


# Built once: every signed-in request runs one of them (see ``_sql.execute``).
_BY_SESSION = (
    _principal_query()
    .join(Session, col(Session.user_id) == col(User.id))
    .where(
        col(Session.token_hash) == bindparam("token_hash"),
        col(Session.revoked_at).is_(None),
        Session.expires_at > bindparam("now"),
    )
)
_BY_USER_ID = _principal_query().where(col(User.id) == bindparam("user_id"))
_BY_EMAIL = _principal_query().where(col(User.email) == bindparam("email"))


async def principal_for_session(
    *, session: Reader, token_hash: str, now: datetime
) -> Principal | None:
    parameters = {"token_hash": token_hash, "now": now}
    row = (await execute(session, _BY_SESSION, parameters)).first()
    return Principal(*row) if row else None


async def principal_for_user(
    *, session: Reader, user_id: uuid.UUID | None = None, email: str | None = None
) -> Principal | None:
    if user_id is not None:
        result = await execute(session, _BY_USER_ID, {"user_id": user_id})
    elif email and searchable(email):
        result = await execute(session, _BY_EMAIL, {"email": email.lower()})
    else:
        return None
    row = result.first()
    return Principal(*row) if row else None


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    if not searchable(email):
        return None
    result = await session.execute(select(User).where(col(User.email) == email.lower()))
    return result.scalar_one_or_none()


async def ensure_user(
    *, session: AsyncSession, email: str, staff: bool = False, workspace_slug: str | None = None
) -> User:
    """Get or create a user; a new user also gets a production workspace."""
    user = await get_user_by_email(session=session, email=email)
    if user is None:
        user = User(email=email.lower(), is_staff=staff)
        session.add(user)
        await session.flush()
        slug = workspace_slug or await _free_slug(session=session, email=email)
        session.add(Tenant(slug=slug, name=f"{email.split('@')[0]}'s workspace", owner_id=user.id))
        await session.flush()
    elif staff and not user.is_staff:
        user.is_staff = True
    return user


async def _free_slug(*, session: AsyncSession, email: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@")[0].lower()).strip("-")[:40] or "workspace"
    slug = base
    while await session.scalar(select(col(Tenant.id)).where(col(Tenant.slug) == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


async def create_session(
    *, session: AsyncSession, user_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> Session:
    row = Session(user_id=user_id, token_hash=token_hash, expires_at=expires_at)
    session.add(row)
    await session.flush()
    return row


async def revoke_sessions(
    *,
    session: AsyncSession,
    now: datetime,
    token_hash: str | None = None,
    user_id: uuid.UUID | None = None,
) -> int:
    """Revoke one session (by token hash) or every live session of a user; returns the count."""
    condition = (
        col(Session.token_hash) == token_hash if token_hash else col(Session.user_id) == user_id
    )
    result = await session.execute(
        update(Session).where(condition, col(Session.revoked_at).is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_TENANT_COLUMNS = (col(Tenant.id), col(Tenant.slug), col(Tenant.owner_id))
_TENANT_BY = {
    "id": select(*_TENANT_COLUMNS).where(col(Tenant.id) == bindparam("ref")),
    "slug": select(*_TENANT_COLUMNS).where(col(Tenant.slug) == bindparam("ref")),
}


async def find_tenant(*, session: Reader, ref: str) -> Any | None:
    """A tenant's id, slug and owner_id, by its id or its slug (``X-Account-ID``); a Core read."""
    value: uuid.UUID | str
    try:
        key, value = "id", uuid.UUID(ref)
    except ValueError:
        if len(ref) > 63 or not searchable(ref):
            return None
        key, value = "slug", ref
    rows = await fetch_rows(session, _TENANT_BY[key], {"ref": value})
    return rows[0] if rows else None


async def tenants_by_id(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Tenant]:
    rows = await session.scalars(select(Tenant).where(col(Tenant.id).in_(ids)))
    return {row.id: row for row in rows}


async def users_by_id(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = await session.scalars(select(User).where(col(User.id).in_(ids)))
    return {row.id: row for row in rows}
