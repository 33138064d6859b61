"""Changes other systems write straight into the database (connection rows, usage events),
logged by the triggers of migration 0003, reach this worker (docs/decisions/0151):

- PostgreSQL: one asyncpg connection per worker LISTENs on ``vendo_changes``; the triggers'
  NOTIFY carries the logged row, delivered by the database at commit. The connection is checked
  every few seconds; lost, it is made again (backing off) and the log is read from when it was
  lost, so nothing committed meanwhile is missed.
- SQLite: every ``VENDO_CHANGES_POLL_SECONDS`` (50 ms) the worker asks SQLite whether any other
  connection committed since its last look (``PRAGMA data_version`` on a plain connection of
  its own, run in the event loop: microseconds, no thread hop, no I/O beyond the WAL index);
  only then is the log's newest id read (one look at the end of the primary key) and, when it
  moved, the new rows. SQLite's writers are serialized, so ids are in commit order and nothing
  is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.changes import Change
from app.db import create_engine, sqlite_in_memory
from app.errors import note_outage
from app.models import utcnow
from app.outage_latch import Latch
from app.repositories import changes as log
from app.settings import Settings

CHANNEL = "vendo_changes"  # the triggers' (migration 0003)
BATCH = 1000


def _wake(sleeping: asyncio.Future[None]) -> None:
    if not sleeping.done():
        sleeping.set_result(None)


class BackgroundLoop:
    """A background loop that stops between two rounds: a statement is never cancelled
    half-way (aiosqlite would then answer a closed event loop from its thread)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._sleeping: asyncio.Future[None] | None = None

    @property
    def _stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        raise NotImplementedError

    async def _pause(self, seconds: float, *wake: asyncio.Event) -> None:
        """Sleep ``seconds``, or less when asked to stop (or when one of ``wake`` is set)."""
        if wake:
            waits = [asyncio.ensure_future(e.wait()) for e in (self._stop, *wake)]
            try:
                await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
            return
        # The common case, many times a second on SQLite: one future and one timer, which stop()
        # also resolves — not a task per event and asyncio.wait's bookkeeping.
        if self._stop.is_set():
            return
        loop = asyncio.get_running_loop()
        self._sleeping = loop.create_future()
        timer = loop.call_later(seconds, _wake, self._sleeping)
        try:
            await self._sleeping
        finally:
            timer.cancel()
            self._sleeping = None

    async def stop(self) -> None:
        self._stop.set()
        if self._sleeping is not None:
            _wake(self._sleeping)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task


class PostgresListener(BackgroundLoop):
    def __init__(
        self,
        database_url: str,
        *,
        deliver: Callable[[Change], object],
        catch_up: Callable[[datetime], Awaitable[None]],
        timeout: float,
        check_seconds: float = 5.0,
    ) -> None:
        super().__init__("changes-listen")
        url = make_url(database_url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)
        self.deliver = deliver
        self.catch_up = catch_up
        self.timeout = timeout
        self.check_seconds = check_seconds
        self.latch = Latch(
            "change listener (PostgreSQL)", "database changes arrive once it is back"
        )
        self.down_since: datetime | None = None
        self.listening = asyncio.Event()

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.deliver(Change.from_json(payload))

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                await self._listen()
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.listening.is_set():
                    delay = 0.2  # it was up: try again soon
                self.listening.clear()
                if self.down_since is None:
                    self.down_since = utcnow()
                self.latch.failed(error)
            await self._pause(delay)
            delay = min(delay * 2, 5.0)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(
            self.dsn, timeout=self.timeout, server_settings={"application_name": "vendo-changes"}
        )
        lost = asyncio.Event()  # the socket closed: no need to wait for the next check
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._notified)
            if self.down_since is not None:
                await self.catch_up(self.down_since)
                self.down_since = None
            self.latch.recovered()
            self.listening.set()
            while not self._stopping:
                await self._pause(self.check_seconds, lost)
                if lost.is_set():
                    raise ConnectionError("the database closed the listening connection")
                if not self._stopping:
                    await connection.execute("SELECT 1", timeout=self.timeout)
        finally:
            connection.terminate()


class SqlitePoller(BackgroundLoop):
    """Polls on an engine of its own (one connection), as PostgreSQL's listener has its own
    connection: the poll takes nothing from the requests' pool, and is neither traced nor
    counted among a request's statements."""

    def __init__(
        self,
        settings: Settings,
        *,
        deliver: Callable[[Change], object],
        interval: float,
    ) -> None:
        super().__init__("changes-poll")
        self.engine = create_engine(settings)
        self.deliver = deliver
        self.interval = interval
        self.latch = Latch("change log poll (SQLite)", "database changes arrive once it answers")
        self.watermark: int | None = None
        self.listening = asyncio.Event()
        # The file's commit counter, read in the loop; None for an in-memory database (whose
        # rows only this worker writes: every round then reads the log).
        database = make_url(settings.database_url).database
        self._path = None if sqlite_in_memory(settings) else database
        self._versions: sqlite3.Connection | None = None
        self._version: int | None = None

    def committed_elsewhere(self) -> bool:
        """Whether another connection (this worker's pool, another process) committed since the
        last look; True when it cannot tell (the file is busy or missing): the log then says."""
        if self._path is None:
            return True
        try:
            if self._versions is None:
                self._versions = sqlite3.connect(
                    self._path, timeout=0, isolation_level=None, check_same_thread=False
                )
            ((version,),) = self._versions.execute("PRAGMA data_version").fetchall()
            assert isinstance(version, int)
        except sqlite3.Error:
            self._close_versions()
            return True
        moved: bool = version != self._version
        self._version = version
        return moved

    def _close_versions(self) -> None:
        if self._versions is not None:
            self._versions.close()
            self._versions = None
            self._version = None

    async def poll(self) -> None:
        # Asked before the log is read: a commit landing between the two is seen next round.
        moved = self.committed_elsewhere()
        if self.watermark is not None and not moved:
            return
        async with self.engine.connect() as connection:
            newest = await log.newest_id(session=connection)
            if self.watermark is None:
                self.watermark = newest  # from now on
            while newest > self.watermark:
                rows = await log.after(session=connection, after_id=self.watermark, limit=BATCH)
                if not rows:
                    break
                for row in rows:
                    self.deliver(Change.from_row(row))
                self.watermark = int(rows[-1][0])

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.poll()
                self.latch.recovered()
                self.listening.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not note_outage(error):  # the database's outage: its own latch says so
                    self.latch.failed(error)
            await self._pause(self.interval)

    async def stop(self) -> None:
        await super().stop()
        self._close_versions()
        await self.engine.dispose()
