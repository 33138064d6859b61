"""The wallet: the credits ledger (append-only) and the balance read beside the usage rollup.

A balance is one statement whatever the volume of usage: the tenant's credits summed from the
ledger's index, its usage cost summed from ``usage_monthly`` — a row per month, kept exact, today
included, by the triggers of migrations 0002 and 0006 (docs/decisions/0090)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Uuid, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.changes import BALANCE
from app.models import CreditEntry, UsageMonthly
from app.repositories import Reader, changes
from app.repositories._sql import execute, upsert


@dataclass(frozen=True)
class WalletTotals:
    credits_micros: int
    spent_micros: int
    spent_this_month_micros: int

    @property
    def balance_micros(self) -> int:
        return self.credits_micros - self.spent_micros


def _sum(column: Any, *where: Any) -> Any:
    return select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery()


_TENANT = bindparam("tenant_id", type_=Uuid())
# Built once (see ``_sql.execute``): every balance runs it.
_TOTALS = select(
    _sum(CreditEntry.amount_micros, CreditEntry.tenant_id == _TENANT),
    _sum(UsageMonthly.cost_micros, UsageMonthly.tenant_id == _TENANT),
    _sum(
        UsageMonthly.cost_micros,
        UsageMonthly.tenant_id == _TENANT,
        UsageMonthly.month == bindparam("month_start", type_=Date()),
    ),
)


async def wallet_totals(
    *, session: Reader, tenant_id: uuid.UUID, month_start: date
) -> WalletTotals:
    """Credits, all usage cost, and usage cost from UTC day ``month_start``, in micros."""
    parameters = {"tenant_id": tenant_id, "month_start": month_start}
    credits, spent, month = (await execute(session, _TOTALS, parameters)).one()
    return WalletTotals(int(credits), int(spent), int(month))


async def add_credits(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    amount_micros: int,
    reason: str,
    idempotency_key: str,
    now: datetime,
) -> tuple[CreditEntry, bool]:
    """Appends the entry unless the workspace already has one with ``idempotency_key``: the
    entry that holds the key, and whether it was added now. An added entry logs a ``balance``
    change in the same transaction (docs/decisions/0154)."""
    new_id = uuid.uuid4()
    table = CreditEntry.__table__  # type: ignore[attr-defined]
    insert = (
        upsert(session, table)
        .values(
            id=new_id,
            tenant_id=tenant_id,
            kind=kind,
            amount_micros=amount_micros,
            reason=reason,
            idempotency_key=idempotency_key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
    )
    await session.execute(insert)
    entry = await session.scalar(
        select(CreditEntry).where(
            col(CreditEntry.tenant_id) == tenant_id,
            col(CreditEntry.idempotency_key) == idempotency_key,
        )
    )
    assert entry is not None
    added = entry.id == new_id
    if added:  # subscribers' balances move (``balanceChanged``), whoever granted
        await changes.record_and_notify(
            session=session,
            rows=[
                {
                    "tenant_id": tenant_id,
                    "app_id": None,
                    "kind": BALANCE,
                    "subject": str(entry.id),
                    "payload": {"kind": kind, "amountMicros": amount_micros},
                    "created_at": now,
                }
            ],
        )
    return entry, added
