"""What the balance route tests share: a workspace of their own with known credits and usage,
and the figures the routes must answer, computed here from the rows (never the rollup)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from app.models import GRANT, App, CreditEntry, UsageEvent, utcnow
from app.repositories import wallet
from app.runtime import Runtime
from tests.support.builders import add_rows, tool, usage_event, user_with_workspace
from tests.support.credentials import mint_key

V1 = "/api/v1/balance"
BILLING = "/api/billing/balance"
CLI = "/api/cli/balance"
VENDO_ORIGIN = "https://app.vendo.run"
RATE_LIMITED = "Rate limit exceeded"
MISSING = "Missing Bearer token"
UNAUTHORIZED = "Unauthorized"


@dataclass(frozen=True)
class Workspace:
    tenant_id: uuid.UUID
    slug: str
    app_id: uuid.UUID


async def workspace(runtime: Runtime, slug: str) -> Workspace:
    """A user owning workspace ``slug``, with one app (of a tool of its own)."""
    user, tenant = user_with_workspace(slug)
    made = tool(f"{slug}-tool")
    app = App(tenant_id=tenant.id, tool_id=made.id, name=f"{slug} app")
    await add_rows(runtime, user, tenant, made, app)
    return Workspace(tenant.id, slug, app.id)


async def app_key(runtime: Runtime, place: Workspace) -> str:
    return await mint_key(runtime, app_id=place.app_id)


async def grant(runtime: Runtime, tenant_id: uuid.UUID, micros: int, key: str = "") -> bool:
    async with runtime.db.write() as session, session.begin():
        _, added = await wallet.add_credits(
            session=session,
            tenant_id=tenant_id,
            kind=GRANT,
            amount_micros=micros,
            reason="test",
            idempotency_key=key or str(uuid.uuid4()),
            now=utcnow(),
        )
    return added


async def spend(runtime: Runtime, tenant_id: uuid.UUID, micros: int, at: datetime) -> None:
    await add_rows(runtime, usage_event(tenant_id, "openrouter", micros, occurred_at=at))


@dataclass(frozen=True)
class Figures:
    credits: int
    spent: int
    spent_this_month: int

    @property
    def balance(self) -> int:
        return self.credits - self.spent


async def figures(runtime: Runtime, tenant_id: uuid.UUID, month_start: datetime) -> Figures:
    """The wallet summed from the ledger and the events themselves."""

    def cost(*where: Any) -> Any:
        return select(func.coalesce(func.sum(UsageEvent.cost_micros), 0)).where(
            UsageEvent.tenant_id == tenant_id, *where
        )

    async with runtime.db.read() as session:
        credits = await session.scalar(
            select(func.coalesce(func.sum(CreditEntry.amount_micros), 0)).where(
                CreditEntry.tenant_id == tenant_id
            )
        )
        spent = await session.scalar(cost())
        month = await session.scalar(cost(UsageEvent.occurred_at >= month_start))
    return Figures(int(credits or 0), int(spent or 0), int(month or 0))


def usd(micros: int) -> float | int:
    """The test's own rounding: exact decimals, half away from zero, as JavaScript prints the
    number (a whole number of dollars has no fraction: ``100``, not ``100.0``)."""
    value = (Decimal(micros) / 10**6).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


def usd_body(tenant_id: uuid.UUID, found: Figures, as_of: str) -> dict[str, Any]:
    return {
        "tenant_id": str(tenant_id),
        "balance_usd": usd(found.balance),
        "credits_usd": usd(found.credits),
        "spent_usd": usd(found.spent),
        "spent_this_month_usd": usd(found.spent_this_month),
        "as_of": as_of,
    }


def micros_body(tenant_id: uuid.UUID, found: Figures, as_of: str) -> dict[str, Any]:
    return {
        "tenant_id": str(tenant_id),
        "balance_micros": found.balance,
        "credits_micros": found.credits,
        "spent_micros": found.spent,
        "spent_this_month_micros": found.spent_this_month,
        "as_of": as_of,
    }
