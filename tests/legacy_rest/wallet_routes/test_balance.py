"""GET /api/v1/balance, /api/billing/balance and /api/cli/balance: the caller's wallet, in USD
(two decimals) or micros, the same figures in both, fresh within 2 s of a usage event written
behind the gateway's back (docs/CONTRACT.md §3.10, docs/decisions/0090)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.models import CONNECTION_KEY
from app.runtime import Runtime
from tests.conftest import Sessions
from tests.legacy_rest.wallet_routes.helpers import (
    BILLING,
    CLI,
    V1,
    app_key,
    figures,
    grant,
    micros_body,
    spend,
    usd,
    usd_body,
    workspace,
)
from tests.support.clock import FROZEN_NOW, freeze_utcnow
from tests.support.credentials import (
    bearer,
    demo_key,
    identity_jwt,
    sign_up_without_workspace,
    tenant_of,
    user_id_of,
)
from tests.support.http import assert_json
from tests.support.sql import run_sql

FROZEN_AS_OF = "2025-05-31T10:00:00.000Z"
MONTH_START = datetime(2025, 5, 1, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The gateway's clock stands at this second (today: the demo usage is recent)."""
    return freeze_utcnow(monkeypatch, datetime.now(UTC).replace(microsecond=0))


def as_of(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0)


# --------------------------------------------------------------------------------------------
# The demo wallet, by every credential each route takes


async def test_v1_balance_answers_the_demo_wallet_in_usd(
    client: httpx.AsyncClient, runtime: Runtime, demo_app_key: str, now: datetime
) -> None:
    tenant = await tenant_of(runtime, "demo@vendo.local")
    found = await figures(runtime, tenant, month_start(now))
    assert found.credits == 100_000_000
    assert 0 < found.spent_this_month <= found.spent
    response = await client.get(V1, headers=bearer(demo_app_key))
    assert_json(response, 200, usd_body(tenant, found, as_of(now)))


async def test_billing_balance_answers_the_demo_wallet_in_micros(
    client: httpx.AsyncClient, runtime: Runtime, demo_app_key: str, now: datetime
) -> None:
    tenant = await tenant_of(runtime, "demo@vendo.local")
    found = await figures(runtime, tenant, month_start(now))
    response = await client.get(BILLING, headers=bearer(demo_app_key))
    assert_json(response, 200, micros_body(tenant, found, as_of(now)))


async def test_cli_balance_answers_the_v1_body(
    client: httpx.AsyncClient, demo_app_key: str, now: datetime
) -> None:
    v1 = await client.get(V1, headers=bearer(demo_app_key))
    cli = await client.get(CLI, headers=bearer(demo_app_key))
    assert_json(cli, 200, v1.json())


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
async def test_balance_answers_the_same_for_a_connection_key(
    client: httpx.AsyncClient, runtime: Runtime, demo_app_key: str, now: datetime, path: str
) -> None:
    connection_key = await demo_key(runtime, CONNECTION_KEY)
    expected = (await client.get(path, headers=bearer(demo_app_key))).json()
    assert_json(await client.get(path, headers=bearer(connection_key)), 200, expected)


@pytest.mark.parametrize("path", [V1, BILLING])
async def test_balance_answers_the_same_for_an_identity_jwt(
    client: httpx.AsyncClient,
    runtime: Runtime,
    sessions: Sessions,
    demo_app_key: str,
    now: datetime,
    path: str,
) -> None:
    await sessions.create("demo@vendo.local")
    token = identity_jwt(await user_id_of(runtime, "demo@vendo.local"))
    expected = (await client.get(path, headers=bearer(demo_app_key))).json()
    assert_json(await client.get(path, headers=bearer(token)), 200, expected)


@pytest.mark.parametrize("path", [V1, BILLING])
async def test_balance_of_a_jwt_user_without_a_workspace_is_404(
    client: httpx.AsyncClient, runtime: Runtime, sessions: Sessions, path: str
) -> None:
    await sign_up_without_workspace(sessions, runtime, "nomad@example.com")
    token = identity_jwt(await user_id_of(runtime, "nomad@example.com"))
    response = await client.get(path, headers=bearer(token))
    assert_json(response, 404, {"error": {"message": "No workspace found"}})


# --------------------------------------------------------------------------------------------
# Money: micros and USD agree, rounded to the cent half away from zero in exact decimals


# (credits, spent) in micros → the USD figures (balance, credits, spent).
HALF_CENTS = [
    pytest.param(1_005_000, 0, (1.01, 1.01, 0), id="1.005-up"),
    pytest.param(1_004_999, 0, (1, 1, 0), id="1.004999-down"),
    pytest.param(2_015_000, 0, (2.02, 2.02, 0), id="2.015-up-where-float-round-says-2.01"),
    pytest.param(25_000, 0, (0.03, 0.03, 0), id="0.025-up-where-half-even-says-0.02"),
    pytest.param(1_000_000, 1_005_000, (-0.01, 1, 1.01), id="-0.005-away-from-zero"),
    pytest.param(1_000_000, 1_004_999, (0, 1, 1), id="-0.004999-is-0"),
    pytest.param(50_000_000, 12_345_678, (37.65, 50, 12.35), id="37.654322"),
]


@pytest.mark.parametrize(("credits", "spent", "expected"), HALF_CENTS)
async def test_balance_usd_and_micros_agree_on_half_cents(
    client: httpx.AsyncClient,
    runtime: Runtime,
    frozen_now: datetime,
    credits: int,
    spent: int,
    expected: tuple[float, float, float],
) -> None:
    place = await workspace(runtime, "ledger")
    await grant(runtime, place.tenant_id, credits)
    if spent:
        await spend(runtime, place.tenant_id, spent, FROZEN_NOW - timedelta(hours=1))
    key = await app_key(runtime, place)
    balance, credited, spent_usd = expected
    v1 = await client.get(V1, headers=bearer(key))
    assert_json(
        v1,
        200,
        {
            "tenant_id": str(place.tenant_id),
            "balance_usd": balance,
            "credits_usd": credited,
            "spent_usd": spent_usd,
            "spent_this_month_usd": spent_usd,
            "as_of": FROZEN_AS_OF,
        },
    )
    billing = (await client.get(BILLING, headers=bearer(key))).json()
    assert billing["balance_micros"] == credits - spent
    for name in ("balance", "credits", "spent", "spent_this_month"):
        assert usd(billing[f"{name}_micros"]) == v1.json()[f"{name}_usd"]


async def test_balance_spent_this_month_starts_at_the_utc_month_start(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime
) -> None:
    place = await workspace(runtime, "ledger")
    await grant(runtime, place.tenant_id, 10_000_000)
    await spend(runtime, place.tenant_id, 1_000_000, MONTH_START - timedelta(microseconds=1))
    await spend(runtime, place.tenant_id, 250_000, MONTH_START)
    await spend(runtime, place.tenant_id, 30_000, FROZEN_NOW)
    response = await client.get(BILLING, headers=bearer(await app_key(runtime, place)))
    assert_json(
        response,
        200,
        {
            "tenant_id": str(place.tenant_id),
            "balance_micros": 8_720_000,
            "credits_micros": 10_000_000,
            "spent_micros": 1_280_000,
            "spent_this_month_micros": 280_000,
            "as_of": FROZEN_AS_OF,
        },
    )


async def test_balance_of_a_workspace_without_credits_or_usage_is_zero(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime
) -> None:
    place = await workspace(runtime, "ledger")
    response = await client.get(V1, headers=bearer(await app_key(runtime, place)))
    assert_json(
        response,
        200,
        {
            "tenant_id": str(place.tenant_id),
            "balance_usd": 0,
            "credits_usd": 0,
            "spent_usd": 0,
            "spent_this_month_usd": 0,
            "as_of": FROZEN_AS_OF,
        },
    )


# --------------------------------------------------------------------------------------------
# Fresh: a usage event the proxy writes straight into usage_events


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
async def test_balance_shows_an_event_inserted_by_sql_within_2_seconds(
    client: httpx.AsyncClient, runtime: Runtime, demo_app_key: str, path: str
) -> None:
    tenant = await tenant_of(runtime, "demo@vendo.local")
    before = (await client.get(BILLING, headers=bearer(demo_app_key))).json()
    hex_id = tenant.hex if runtime.settings.is_sqlite else str(tenant)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    await run_sql(
        runtime,
        "INSERT INTO usage_events (tenant_id, provider, cost_micros, occurred_at) "
        f"VALUES ('{hex_id}', 'openrouter', 2500000, '{now}')",
    )
    written = time.monotonic()
    expected_micros = before["balance_micros"] - 2_500_000
    while True:
        answer = (await client.get(path, headers=bearer(demo_app_key))).json()
        shown = answer.get("balance_micros", answer.get("balance_usd"))
        wanted = expected_micros if path == BILLING else usd(expected_micros)
        if shown == wanted or time.monotonic() - written > 2:
            break
        await asyncio.sleep(0.05)
    assert shown == wanted, answer
    assert time.monotonic() - written <= 2


# --------------------------------------------------------------------------------------------
# tenant_id: the workspace the caller expects


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
async def test_balance_with_the_callers_own_tenant_id_or_slug_answers(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, path: str
) -> None:
    place = await workspace(runtime, "ledger")
    key = await app_key(runtime, place)
    plain = await client.get(path, headers=bearer(key))
    for ref in (str(place.tenant_id), str(place.tenant_id).upper(), place.slug):
        response = await client.get(path, params={"tenant_id": ref}, headers=bearer(key))
        assert_json(response, 200, plain.json())


@pytest.mark.parametrize("path", [V1, BILLING, CLI])
async def test_balance_with_a_key_of_another_workspace_is_401(
    client: httpx.AsyncClient, runtime: Runtime, frozen_now: datetime, path: str
) -> None:
    mine = await workspace(runtime, "mine")
    theirs = await workspace(runtime, "theirs")
    await grant(runtime, mine.tenant_id, 5_000_000)
    key = await app_key(runtime, theirs)
    for ref in (str(mine.tenant_id), mine.slug, "nowhere"):
        response = await client.get(path, params={"tenant_id": ref}, headers=bearer(key))
        body = {"message": "Unauthorized"}
        assert_json(response, 401, body if path == CLI else {"error": body})
