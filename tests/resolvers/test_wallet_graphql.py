"""``Workspace.wallet`` through /graphql (docs/decisions/0090): the same figures as the balance
routes, for every credential that has a workspace, in a constant number of SQL statements."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from app.runtime import Runtime
from tests.conftest import GraphQLClient
from tests.legacy_rest.wallet_routes.helpers import (
    V1,
    app_key,
    figures,
    grant,
    workspace,
)
from tests.support.builders import add_rows, usage_event
from tests.support.clock import FROZEN_NOW
from tests.support.credentials import bearer
from tests.support.sql import counting, queries

WALLET = """
{ workspace { slug wallet { balanceMicros creditsMicros spentMicros spentThisMonthMicros asOf } } }
"""
MONTH_START = datetime(2025, 5, 1, tzinfo=FROZEN_NOW.tzinfo)


async def test_workspace_wallet_answers_credits_spend_and_balance(
    gql: GraphQLClient, runtime: Runtime, frozen_now: datetime
) -> None:
    place = await workspace(runtime, "ledger")
    await grant(runtime, place.tenant_id, 20_000_000)
    await grant(runtime, place.tenant_id, 5_500_000)
    await add_rows(
        runtime,
        usage_event(place.tenant_id, "openrouter", 1_250_000, occurred_at=MONTH_START),
        usage_event(
            place.tenant_id, "elevenlabs", 3_000_000, occurred_at=MONTH_START - timedelta(days=3)
        ),
    )
    found = await figures(runtime, place.tenant_id, MONTH_START)
    answer = await gql(WALLET, headers=bearer(await app_key(runtime, place)))
    assert answer == {
        "data": {
            "workspace": {
                "slug": "ledger",
                "wallet": {
                    "balanceMicros": 21_250_000,
                    "creditsMicros": 25_500_000,
                    "spentMicros": 4_250_000,
                    "spentThisMonthMicros": 1_250_000,
                    "asOf": "2025-05-31T10:00:00.000Z",
                },
            }
        }
    }
    assert found.balance == 21_250_000


async def test_workspace_wallet_is_null_for_anonymous_callers(gql: GraphQLClient) -> None:
    assert await gql(WALLET) == {"data": {"workspace": None}}


async def count_balance(client: httpx.AsyncClient, runtime: Runtime, key: str) -> int:
    """The gateway engine's statements for one warm request (the change poll's engine, which
    runs beside it on SQLite, is not the request's)."""
    await client.get(V1, headers=bearer(key))  # warm, as under load
    with counting(runtime) as counted:
        response = await client.get(V1, headers=bearer(key))
    assert response.status_code == 200, response.text
    return len(queries(counted.statements))


async def test_balance_costs_the_same_statements_whatever_the_usage(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime
) -> None:
    small, large = await workspace(runtime, "small"), await workspace(runtime, "large")
    await grant(runtime, small.tenant_id, 1_000_000)
    for index in range(20):
        await grant(runtime, large.tenant_id, 1_000_000 + index)
    events = [
        usage_event(large.tenant_id, f"provider-{index % 7}", 1_000 + index,
                    occurred_at=FROZEN_NOW - timedelta(hours=index))
        for index in range(2_000)
    ]  # fmt: skip
    await add_rows(runtime, *events)
    small_count = await count_balance(client, runtime, await app_key(runtime, small))
    large_count = await count_balance(client, runtime, await app_key(runtime, large))
    # The key's look-up, then the wallet: one statement each.
    assert small_count == large_count == 2
