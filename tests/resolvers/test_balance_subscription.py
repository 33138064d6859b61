"""``balanceChanged`` with a real client (``websockets``) against the gateway under uvicorn: a
usage row written straight into ``usage_events`` by SQL reaches the workspace's subscriber within
2 s with the wallet's figures, another workspace hears nothing, and a credit granted by the CLI
or the ledger's repository moves the balance (docs/decisions/0154)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.cli import main
from app.models import GRANT, utcnow
from app.repositories import wallet
from app.runtime import Runtime
from app.settings import Settings
from resolvers.usage.periods import Periods
from tests.conftest import Sessions, session_headers
from tests.resolvers.test_subscriptions import (
    WITHIN,
    _demo_tenant,
    receive,
    served,
    socket,
    subscribe,
    subscribers,
    until,
)
from tests.support.sql import counting, run_sql

BALANCE_CHANGED = "subscription { balanceChanged { balanceMicros spentThisMonthMicros } }"


async def _totals(runtime: Runtime, tenant: uuid.UUID) -> wallet.WalletTotals:
    async with runtime.db.connect() as connection:
        return await wallet.wallet_totals(
            session=connection, tenant_id=tenant, month_start=Periods.at(utcnow()).month_day
        )


def _next(balance: int, month: int) -> dict[str, object]:
    return {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {"balanceChanged": {"balanceMicros": balance, "spentThisMonthMicros": month}}
        },
    }


async def test_a_usage_row_written_by_sql_moves_the_balance_of_its_workspace_only(
    demo: None, sessions: Sessions, settings: Settings, runtime: Runtime
) -> None:
    demo_token = await sessions.create("demo@vendo.local")
    other_token = await sessions.create("someone@example.com")
    tenant = await _demo_tenant(runtime)
    before = await _totals(runtime, tenant)
    tenant_value = tenant.hex if runtime.settings.is_sqlite else str(tenant)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    with served(settings) as (base, served_runtime):
        async with (
            socket(base, session_headers(demo_token)) as mine,
            socket(base, session_headers(other_token)) as theirs,
        ):
            await subscribe(mine, BALANCE_CHANGED)
            await subscribe(theirs, BALANCE_CHANGED)
            await until(lambda: subscribers(served_runtime) == 2)
            started = time.monotonic()
            await run_sql(
                runtime,
                "INSERT INTO usage_events (tenant_id, provider, cost_micros, occurred_at) "
                f"VALUES ('{tenant_value}', 'openrouter', 2500000, '{now}')",
            )
            assert await receive(mine) == _next(
                before.balance_micros - 2_500_000, before.spent_this_month_micros + 2_500_000
            )
            assert time.monotonic() - started < WITHIN
            with pytest.raises(TimeoutError):
                await receive(theirs, 1.0)


async def test_credits_granted_by_the_cli_or_the_ledger_move_the_balance(
    demo: None,
    sessions: Sessions,
    settings: Settings,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = await sessions.create("demo@vendo.local")
    tenant = await _demo_tenant(runtime)
    before = await _totals(runtime, tenant)
    monkeypatch.setenv("VENDO_DATABASE_URL", settings.database_url)
    with served(settings) as (base, served_runtime):
        async with socket(base, session_headers(token)) as ws:
            await subscribe(ws, BALANCE_CHANGED)
            await until(lambda: subscribers(served_runtime) == 1)
            started = time.monotonic()
            argv = ["credits", "grant", "--workspace", "demo", "--usd", "7", "--reason", "cli"]
            assert await asyncio.to_thread(main, argv) == 0
            granted = before.balance_micros + 7_000_000
            assert await receive(ws) == _next(granted, before.spent_this_month_micros)
            assert time.monotonic() - started < WITHIN

            started = time.monotonic()
            async with runtime.db.write() as session, session.begin():
                await wallet.add_credits(
                    session=session,
                    tenant_id=tenant,
                    kind=GRANT,
                    amount_micros=3_000_000,
                    reason="repository",
                    idempotency_key="balance-subscription",
                    now=utcnow(),
                )
            granted += 3_000_000
            assert await receive(ws) == _next(granted, before.spent_this_month_micros)
            assert time.monotonic() - started < WITHIN

            async with runtime.db.write() as session, session.begin():  # the key was used
                _, added = await wallet.add_credits(
                    session=session,
                    tenant_id=tenant,
                    kind=GRANT,
                    amount_micros=3_000_000,
                    reason="repository",
                    idempotency_key="balance-subscription",
                    now=utcnow(),
                )
            assert added is False
            with pytest.raises(TimeoutError):
                await receive(ws, 1.0)


async def test_one_usage_row_is_one_wallet_read_for_all_the_workspace_subscribers(
    demo: None, sessions: Sessions, settings: Settings, runtime: Runtime
) -> None:
    """50 subscribers of one workspace (5 sockets × 10): one usage row is one statement of the
    worker's, every subscriber gets the wallet's figures; another workspace's hears nothing."""
    demo_token = await sessions.create("demo@vendo.local")
    other_token = await sessions.create("someone@example.com")
    tenant = await _demo_tenant(runtime)
    before = await _totals(runtime, tenant)
    tenant_value = tenant.hex if runtime.settings.is_sqlite else str(tenant)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    with served(settings) as (base, served_runtime):
        async with (
            socket(base, session_headers(demo_token)) as a,
            socket(base, session_headers(demo_token)) as b,
            socket(base, session_headers(demo_token)) as c,
            socket(base, session_headers(demo_token)) as d,
            socket(base, session_headers(demo_token)) as e,
            socket(base, session_headers(other_token)) as theirs,
        ):
            mine = [a, b, c, d, e]
            for ws in mine:
                for number in range(1, 11):
                    await subscribe(ws, BALANCE_CHANGED, str(number))
            await subscribe(theirs, BALANCE_CHANGED)
            await until(lambda: subscribers(served_runtime) == 51)
            with counting(served_runtime) as counted:
                await run_sql(
                    runtime,
                    "INSERT INTO usage_events (tenant_id, provider, cost_micros, occurred_at) "
                    f"VALUES ('{tenant_value}', 'openrouter', 1500000, '{now}')",
                )
                told = [await receive(ws) for ws in mine for _ in range(10)]
            expected = _next(
                before.balance_micros - 1_500_000, before.spent_this_month_micros + 1_500_000
            )["payload"]
            assert sorted(int(message["id"]) for message in told) == sorted(list(range(1, 11)) * 5)
            assert [message["payload"] for message in told] == [expected] * 50
            assert len(counted.statements) == 1
            with pytest.raises(TimeoutError):
                await receive(theirs, 1.0)


async def test_subscribers_of_one_document_share_its_execution_over_a_shared_read(
    demo: None,
    sessions: Sessions,
    settings: Settings,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """10 subscribers of the same document, one usage row: graphql-core executes the event once
    (the fast path, docs/decisions/0158), another document over the same value once more, and
    each subscriber gets its own operation id with the same answer."""
    executed: list[str] = []
    stock = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counted(self: StrawberryGraphQLCoreExecutionContext, serially: bool | None = None) -> Any:
        executed.append(self.operation.operation.value)
        return stock(self, serially)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counted)
    token = await sessions.create("demo@vendo.local")
    tenant = await _demo_tenant(runtime)
    before = await _totals(runtime, tenant)
    tenant_value = tenant.hex if runtime.settings.is_sqlite else str(tenant)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    only_balance = "subscription { balanceChanged { balanceMicros } }"
    with served(settings) as (base, served_runtime):
        async with (
            socket(base, session_headers(token)) as ws,
            socket(base, session_headers(token)) as other,
        ):
            for number in range(1, 11):
                await subscribe(ws, BALANCE_CHANGED, str(number))
            await subscribe(other, only_balance, "a")
            await until(lambda: subscribers(served_runtime) == 11)
            executed.clear()
            await run_sql(
                runtime,
                "INSERT INTO usage_events (tenant_id, provider, cost_micros, occurred_at) "
                f"VALUES ('{tenant_value}', 'openrouter', 500000, '{now}')",
            )
            told = [await receive(ws) for _ in range(10)]
            alone = await receive(other)
    balance = before.balance_micros - 500_000
    answer = _next(balance, before.spent_this_month_micros + 500_000)["payload"]
    assert sorted(int(message["id"]) for message in told) == list(range(1, 11))
    assert [message["payload"] for message in told] == [answer] * 10
    assert alone == {
        "id": "a",
        "type": "next",
        "payload": {"data": {"balanceChanged": {"balanceMicros": balance}}},
    }
    # With the speed-ups off (the stock path), each subscriber's event is executed on its own.
    assert executed == ["subscription"] * (2 if settings.speedups else 11)
