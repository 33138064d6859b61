"""Users, workspaces and sessions."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


def _principal_query():  # type: ignore[no-untyped-def]
    workspace = and_(Tenant.owner_id == User.id, Tenant.is_production.is_(True))
    return (
        select(User.id, User.email, User.is_staff, Tenant.id, Tenant.slug)
        .select_from(User)
        .outerjoin(Tenant, workspace)
        .order_by(Tenant.created_at)
        .limit(1)
    )


# Built once: every signed-in request runs one of them (see ``_sql.execute``).
_BY_SESSION = (
    _principal_query()
    .join(Session, Session.user_id == User.id)
    .where(
        Session.token_hash == bindparam("token_hash"),
        Session.revoked_at.is_(None),
        Session.expires_at > bindparam("now"),
    )
)
_BY_USER_ID = _principal_query().where(User.id == bindparam("user_id"))
_BY_EMAIL = _principal_query().where(User.email == bindparam("email"))


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
    result = await session.execute(select(User).where(User.email == email.lower()))
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
    while await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
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
    condition = Session.token_hash == token_hash if token_hash else Session.user_id == user_id
    result = await session.execute(
        update(Session).where(condition, Session.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_TENANT_COLUMNS = (Tenant.id, Tenant.slug, Tenant.owner_id)
_TENANT_BY = {
    "id": select(*_TENANT_COLUMNS).where(Tenant.id == bindparam("ref")),
    "slug": select(*_TENANT_COLUMNS).where(Tenant.slug == bindparam("ref")),
}


async def find_tenant(*, session: Reader, ref: str) -> Any | None:
    """A tenant's id, slug and owner_id, by its id or its slug (``X-Account-ID``); a Core read."""
    try:
        key, value = "id", uuid.UUID(ref)
    except ValueError:
        if len(ref) > 63 or not searchable(ref):
            return None
        key, value = "slug", ref
    rows = await fetch_rows(session, _TENANT_BY[key], {"ref": value})
    return rows[0] if rows else None
