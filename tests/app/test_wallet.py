"""The credits ledger (app/repositories/wallet.py, migration 0003): append-only whoever writes,
idempotent per workspace; and ``vendo-gateway credits grant`` on a SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import select

from app.cli import main
from app.models import CreditEntry
from app.runtime import Runtime
from tests.legacy_rest.wallet_routes.helpers import grant, workspace
from tests.support.sql import run_sql

# --------------------------------------------------------------------------------------------
# The ledger


async def entries(runtime: Runtime) -> list[tuple[str, int, str]]:
    async with runtime.db.read() as session:
        rows = await session.execute(
            select(CreditEntry.idempotency_key, CreditEntry.amount_micros, CreditEntry.reason)
            .order_by(CreditEntry.created_at)
        )  # fmt: skip
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_ledger_adds_nothing_for_a_key_used_before(runtime: Runtime) -> None:
    place = await workspace(runtime, "ledger")
    assert await grant(runtime, place.tenant_id, 5_000_000, "launch") is True
    assert await grant(runtime, place.tenant_id, 9_000_000, "launch") is False
    assert await entries(runtime) == [("launch", 5_000_000, "test")]


async def test_ledger_keys_are_per_workspace(runtime: Runtime) -> None:
    first, second = await workspace(runtime, "first"), await workspace(runtime, "second")
    assert await grant(runtime, first.tenant_id, 1_000_000, "launch") is True
    assert await grant(runtime, second.tenant_id, 2_000_000, "launch") is True
    assert len(await entries(runtime)) == 2


@pytest.mark.parametrize(
    "statement",
    ["UPDATE credit_entries SET amount_micros = 1", "DELETE FROM credit_entries"],
    ids=["update", "delete"],
)
async def test_ledger_is_append_only_even_in_sql(runtime: Runtime, statement: str) -> None:
    place = await workspace(runtime, "ledger")
    await grant(runtime, place.tenant_id, 5_000_000, "launch")
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="credit_entries is append-only"):
        await run_sql(runtime, statement)
    assert await entries(runtime) == [("launch", 5_000_000, "test")]


@pytest.mark.parametrize("amount", [0, -1_000_000])
async def test_ledger_refuses_an_amount_not_above_zero(runtime: Runtime, amount: int) -> None:
    place = await workspace(runtime, "ledger")
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        await grant(runtime, place.tenant_id, amount)
    assert await entries(runtime) == []


# --------------------------------------------------------------------------------------------
# vendo-gateway credits grant


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("VENDO_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def ledger(path: Path) -> list[tuple[object, ...]]:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT tenants.slug, kind, amount_micros, reason, idempotency_key "
            "FROM credit_entries JOIN tenants ON tenants.id = credit_entries.tenant_id "
            "ORDER BY credit_entries.created_at"
        ).fetchall()
    finally:
        connection.close()


async def test_cli_seed_grants_the_demo_workspace_once(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        assert (await run(capsys, "seed", "--demo"))[0] == 0
    assert ledger(database) == [("demo", "grant", 100_000_000, "demo credits", "demo-seed")]


async def test_cli_credits_grant_adds_once_per_idempotency_key(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "seed", "--demo")
    argv = ["credits", "grant", "--workspace", "demo", "--usd", "50", "--idempotency-key", "k1"]
    code, out, err = await run(capsys, *argv, "--reason", "welcome")
    assert (code, out, err) == (0, ["granted 50 USD (50000000 micros) to demo, key 'k1'"], [])
    code, out, err = await run(capsys, *argv)
    assert code == 0
    assert err == []
    assert len(out) == 1
    assert out[0].startswith("nothing added: idempotency key 'k1' was used on ")
    assert out[0].endswith(" for 50 USD (welcome)")
    code, out, _ = await run(capsys, "credits", "grant", "--workspace", "demo", "--usd", "0.015")
    assert code == 0
    assert out[0].startswith("granted 0.015 USD (15000 micros) to demo, key 'cli-")
    assert [row[2] for row in ledger(database)] == [100_000_000, 50_000_000, 15_000]


async def test_cli_credits_grant_to_an_unknown_workspace_is_one_line(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run(capsys, "seed", "--demo")
    code, out, err = await run(capsys, "credits", "grant", "--workspace", "nope", "--usd", "5")
    assert (code, out, err) == (1, [], ["vendo-gateway: no workspace nope"])
    assert len(ledger(database)) == 1


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "NaN", "Infinity", "0.0000001", "1000001"])
async def test_cli_credits_grant_refuses_a_bad_amount(
    database: Path, capsys: pytest.CaptureFixture[str], amount: str
) -> None:
    await run(capsys, "seed", "--demo")
    with pytest.raises(SystemExit) as exit_info:
        await run(capsys, "credits", "grant", "--workspace", "demo", f"--usd={amount}")
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == (
        "vendo-gateway credits grant: error: argument --usd: not an amount of USD above 0, "
        f"at most 1000000, with at most 6 decimals: {amount!r}"
    )
    assert len(ledger(database)) == 1
