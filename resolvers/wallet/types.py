"""A workspace's wallet: credits, spend and balance, in micros (docs/decisions/0090)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

import strawberry

from app.repositories import wallet
from resolvers.context import Info
from resolvers.engine.scalars import Micros
from resolvers.usage.periods import Periods


@strawberry.type(
    description="A workspace's credits and what its usage cost, in micros, read when asked "
    "(no cache): a usage event is in the balance as soon as it is written."
)
class Wallet:
    balance_micros: Micros = strawberry.field(description="Credits minus all usage cost.")
    credits_micros: Micros = strawberry.field(description="Every grant and top-up, summed.")
    spent_micros: Micros = strawberry.field(description="All usage cost.")
    spent_this_month_micros: Micros = strawberry.field(
        description="Usage cost since the start of the UTC month."
    )
    as_of: datetime = strawberry.field(description="When these figures were read.")

    @classmethod
    def from_totals(cls, totals: wallet.WalletTotals, as_of: datetime) -> Self:
        return cls(
            balance_micros=Micros(totals.balance_micros),
            credits_micros=Micros(totals.credits_micros),
            spent_micros=Micros(totals.spent_micros),
            spent_this_month_micros=Micros(totals.spent_this_month_micros),
            as_of=as_of,
        )


async def workspace_wallet(tenant_id: uuid.UUID, info: Info) -> Wallet:
    """The wallet of ``tenant_id`` as of the request's ``now``: one statement."""
    now = info.context.now
    async with info.context.runtime.db.connect() as connection:
        totals = await wallet.wallet_totals(
            session=connection, tenant_id=tenant_id, month_start=Periods.at(now).month_day
        )
    return Wallet.from_totals(totals, now)
