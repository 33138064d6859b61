"""What the /api/integrations/* tests share: documents, the canonical and signed-in rows,
the expected error bodies, and helpers that read back a workspace's state."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select, text

from app.models import (
    Connection,
    UsageEvent,
)
from app.runtime import Runtime

# A cookie write must say it sends JSON (legacy_rest/cookie_writes.py), even with no body.
JSON_TYPE = {"Content-Type": "application/json"}


# The keys both shapes share, in the order both print them.
PROFILE_AND_LINK_KEYS = [
    "default_profile",
    "supported_profiles",
    "logo_url",
    "icon_name",
    "docs_url",
    "env_bootstrap",
]
NAMING_KEYS = ["provider", "name", "description", "category"]
CANONICAL_KEYS = [*NAMING_KEYS, *PROFILE_AND_LINK_KEYS]


ROW_KEYS = [
    "id",
    *NAMING_KEYS,
    "type",
    "enabled",
    *PROFILE_AND_LINK_KEYS,
    "created_at",
    "updated_at",
]


LIST_ROW_KEYS = [*ROW_KEYS, "tenantEnabled", "provisioned", "usageThisMonth", "costThisMonth"]


DETAIL_ROW_KEYS = [*ROW_KEYS, "tenantEnabled"]


USAGE_KEYS = ["provider", "dailyTrend", "spend_daily_usd", "spend_weekly_usd", "spend_monthly_usd"]


OPENROUTER_CANONICAL = {
    "provider": "openrouter",
    "name": "OpenRouter",
    "description": "Unified gateway for LLM providers.",
    "category": "llm",
    "default_profile": "vendo_managed_pool",
    "supported_profiles": ["vendo_managed_pool", "byok_static"],
    "logo_url": "https://vendo.run/logos/openrouter.svg",
    "icon_name": None,
    "docs_url": "https://openrouter.ai/docs",
    "env_bootstrap": {"vars": ["OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"], "restart": "gateway"},
}


UNAUTHORIZED = {"message": "Unauthorized"}


NOT_FOUND = {"message": "Not found"}


INTERNAL = {"message": "Internal server error"}


RATE_LIMITED = {"message": "Rate limit exceeded"}


INVALID_JSON = {"message": "Invalid JSON body"}


BAD_BODY = {"message": 'Body must be a JSON object with a boolean "enabled"'}


NOT_PROVISIONED = {"message": "Integration not provisioned"}


NO_REGENERATION = {"message": "This integration does not support key regeneration"}


OPENROUTER_NO_REGENERATION = {
    "message": "OpenRouter does not support regeneration; managed by shared upstream credential"
}


PROVISIONING_FAILED = {"enabled": True, "error": "Failed to provision the managed connection"}


ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def is_canonical_list(body: Any) -> bool:
    return isinstance(body, dict) and list(body) == ["integrations"]


async def add_rows(runtime: Runtime, *rows: Any) -> None:
    async with runtime.db.write() as session, session.begin():
        session.add_all(rows)


async def connections_of(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> list[Connection]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(Connection).where(
                Connection.tenant_id == tenant_id, Connection.provider == provider
            )
        )
        return list(rows)


async def month_totals(runtime: Runtime, tenant_id: uuid.UUID, provider: str) -> tuple[int, int]:
    now = datetime.now(UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    async with runtime.db.read() as session:
        row = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(UsageEvent.cost_micros), 0)).where(
                    UsageEvent.tenant_id == tenant_id,
                    UsageEvent.provider == provider,
                    UsageEvent.occurred_at >= month_start,
                )
            )
        ).one()
    return int(row[0]), int(row[1])


async def wait_for_lock_waiters(runtime: Runtime, count: int, tasks: list[Any]) -> None:
    """PostgreSQL: wait (up to 10 s) until ``count`` sessions wait on a lock, or the tasks end."""
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline and not all(t.done() for t in tasks):
        async with runtime.db.engine.connect() as probe:
            waiting = await probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)


def usd(micros: int) -> float:
    """USD rounded half-up to cents."""
    return float((Decimal(micros) / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def by_provider(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["provider"]: row for row in rows}


async def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("secret database detail")
