"""Connections opened at once on a SQLite file that is not in WAL mode yet (a new or never
migrated database: two workers starting, a request beside the change watcher). Each connection
asks for WAL; two asking at the same moment deadlock inside SQLite, which answers one of them
"database is locked" at once, without its busy timeout. Every connection must open."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from app.db import create_database
from app.settings import Settings

ROUNDS = 40
AT_ONCE = 6


async def _open_at_once(settings: Settings, path: Path) -> list[str]:
    db = create_database(
        settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{path}"})
    )

    async def core() -> str:
        async with db.connect() as connection:
            return str(await connection.scalar(text("PRAGMA journal_mode")))

    async def session() -> str:
        async with db.read() as read:
            return str(await read.scalar(text("PRAGMA journal_mode")))

    try:
        return await asyncio.gather(*(f() for _ in range(AT_ONCE // 2) for f in (core, session)))
    finally:
        await db.dispose()


async def test_sqlite_connections_opened_at_once_on_a_new_file_all_open_in_wal(
    settings: Settings, tmp_path: Path
) -> None:
    for round_ in range(ROUNDS):
        path = tmp_path / f"new-{round_}.db"
        path.touch()
        modes = await _open_at_once(settings, path)
        assert modes == ["wal"] * AT_ONCE
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
