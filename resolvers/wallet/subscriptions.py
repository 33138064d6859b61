"""``balanceChanged``: the workspace's balance and month spend as usage comes in (the triggers
log every usage insert) and as credits are granted (the ledger logs a ``balance`` change in its
transaction). Each change is read afresh — one statement, the wallet's own, shared by the
workspace's subscribers on this worker — so what a subscriber receives is what the ``wallet``
field would answer now (docs/decisions/0152, 0154, 0157)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date
from functools import partial

import strawberry

from app.changes import BALANCE, USAGE, Change
from app.models import utcnow
from app.repositories import wallet
from resolvers.context import Context, Info
from resolvers.engine.scalars import Micros
from resolvers.engine.subscriptions import changes_for, shared_read
from resolvers.usage.periods import Periods


@strawberry.type(description="A workspace's wallet after a usage event or a credit, in micros.")
class BalanceChange:
    balance_micros: Micros = strawberry.field(description="Credits minus all usage cost.")
    spent_this_month_micros: Micros = strawberry.field(
        description="Usage cost since the start of the UTC month."
    )


async def _balance(context: Context, tenant_id: uuid.UUID, month_start: date) -> BalanceChange:
    async with context.runtime.db.connect() as connection:
        totals = await wallet.wallet_totals(
            session=connection, tenant_id=tenant_id, month_start=month_start
        )
    return BalanceChange(
        balance_micros=Micros(totals.balance_micros),
        spent_this_month_micros=Micros(totals.spent_this_month_micros),
    )


async def _balances(
    context: Context, tenant_id: uuid.UUID, changes: AsyncIterator[Change]
) -> AsyncGenerator[BalanceChange, None]:
    async for change in changes:
        month_start = Periods.at(utcnow()).month_day
        yield await shared_read(
            context,
            change,
            ("wallet", month_start),
            partial(_balance, context, tenant_id, month_start),
        )


@strawberry.type
class WalletSubscriptions:
    @strawberry.subscription(
        description="The workspace's balance and month spend, each time usage is recorded or "
        "credits are added. Signed-in callers with a workspace only."
    )
    async def balance_changed(self, info: Info) -> AsyncGenerator[BalanceChange, None]:
        changes = await changes_for(info, (USAGE, BALANCE))
        return _balances(info.context, info.context.require_workspace(), changes)
