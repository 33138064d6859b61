"""Rows with defaults, in the manner of factory_boy's factories (one function a model, keyword
overrides) but plain functions: the rows are SQLModel objects, written by ``add_rows`` through the
gateway's async sessions, which factory_boy's SQLAlchemy factories (synchronous sessions) do not
drive."""

from __future__ import annotations

import uuid
from typing import Any

from app.models import Integration, Tenant, Tool, UsageEvent, User
from app.runtime import Runtime


async def add_rows(runtime: Runtime, *rows: Any) -> None:
    """The rows in one transaction, one by one: foreign keys in the order given."""
    async with runtime.db.write() as session, session.begin():
        for row in rows:
            session.add(row)
            await session.flush()


def tool(slug: str, **fields: Any) -> Tool:
    values: dict[str, Any] = {
        "slug": slug,
        "name": slug.title(),
        "description": f"The {slug} tool.",
        "category": "agent",
    }
    return Tool(**{**values, **fields})


def integration(provider: str, **fields: Any) -> Integration:
    values: dict[str, Any] = {"name": provider, "category": "email"}
    return Integration(provider=provider, **{**values, **fields})


def usage_event(tenant_id: uuid.UUID, provider: str, cost_micros: int, **fields: Any) -> UsageEvent:
    return UsageEvent(tenant_id=tenant_id, provider=provider, cost_micros=cost_micros, **fields)


def user_with_workspace(slug: str, **fields: Any) -> tuple[User, Tenant]:
    """A user ``<slug>@example.com`` owning the workspace ``slug`` (add the user first)."""
    user = User(email=f"{slug}@example.com")
    tenant = Tenant(slug=slug, name=slug, owner_id=user.id, **fields)
    return user, tenant
