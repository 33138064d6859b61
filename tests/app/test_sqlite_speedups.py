"""One thread hop per SQLite statement (app/sqlite_speedups.py): the same statements give the
same rows, description, row counts, last row ids and errors with the speed-up as with
SQLAlchemy's aiosqlite adapter as it comes, in one call on the connection's thread instead of
four."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text

from app.db import Database, create_database
from app.settings import Settings

STATEMENTS = [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)", None),
    ("INSERT INTO t (name, n) VALUES (:name, :n)", {"name": "a", "n": 1}),
    ("INSERT INTO t (name, n) VALUES (:name, :n)", {"name": "b", "n": 2}),
    ("UPDATE t SET n = n + 10 WHERE n < :n", {"n": 5}),
    ("SELECT id, name, n FROM t ORDER BY id", None),
    ("SELECT id FROM t WHERE name = :name", {"name": "none"}),
    ("DELETE FROM t WHERE name = :name", {"name": "a"}),
    ("SELECT count(*) AS c FROM t", None),
]


async def _database(tmp_path: Path, settings: Settings, *, speedups: bool) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path / f'speedups-{speedups}.db'}"
    return create_database(settings.model_copy(update={"database_url": url, "speedups": speedups}))


async def _outcomes(db: Database) -> list[Any]:
    seen: list[Any] = []
    async with db.engine.begin() as connection:
        for statement, parameters in STATEMENTS:
            result = await connection.execute(text(statement), parameters)
            rows = [tuple(row) for row in result] if result.returns_rows else None
            keys = list(result.keys()) if result.returns_rows else None
            seen.append((statement, keys, rows, result.rowcount))
        inserted = await connection.execute(text("INSERT INTO t (name, n) VALUES ('c', 3)"))
        seen.append(("lastrowid", inserted.lastrowid))
        many = await connection.execute(
            text("INSERT INTO t (name, n) VALUES (:name, :n)"),
            [{"name": "d", "n": 4}, {"name": "e", "n": 5}],
        )
        seen.append(("executemany", many.rowcount))
        with pytest.raises(exc.IntegrityError) as refused:
            await connection.execute(text("INSERT INTO t (name, n) VALUES ('b', 0)"))
        seen.append(("error", str(refused.value.orig)))
    return seen


@pytest.fixture
async def both(tmp_path: Path, settings: Settings) -> AsyncIterator[tuple[Database, Database]]:
    stock = await _database(tmp_path, settings, speedups=False)
    quick = await _database(tmp_path, settings, speedups=True)
    try:
        yield stock, quick
    finally:
        await stock.dispose()
        await quick.dispose()


async def test_one_hop_answers_as_the_adapter_does(both: tuple[Database, Database]) -> None:
    stock, quick = both
    assert await _outcomes(quick) == await _outcomes(stock)


async def test_one_hop_per_statement(
    both: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = [0]
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return await execute(self, fn, *args, **kwargs)

    hops = {}
    for name, db in zip(("stock", "quick"), both, strict=True):
        async with db.connect() as connection:
            await connection.execute(text("SELECT 1"))  # the connection is open and pinged
            monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
            calls[0] = 0
            rows = (
                await connection.execute(text("SELECT :a AS a, :b AS b"), {"a": 1, "b": 2})
            ).all()
            monkeypatch.setattr(aiosqlite.Connection, "_execute", execute)
            assert [tuple(row) for row in rows] == [(1, 2)]
        hops[name] = calls[0]
    assert hops == {"stock": 4, "quick": 1}
