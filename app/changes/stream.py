"""``ChangeStream``: what a worker holds of the change stream (docs/decisions/0150).

Writers call ``record`` inside their transaction: the change is logged there (so it exists if
and only if the write committed, with its id), and is published once the transaction commits —
to this worker's subscribers at once, to the other workers through Redis when ``VENDO_CACHE_URL``
is Redis. Rows other systems write come from the database (``app.changes.watch``). The log is
pruned of changes older than ``VENDO_CHANGE_LOG_HOURS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.changes import Change
from app.changes.hub import Hub
from app.changes.pulse import Pulse
from app.changes.relay import RedisRelay
from app.changes.slots import StreamSlots
from app.changes.watch import PostgresListener, SqlitePoller
from app.db import Database
from app.models import utcnow
from app.repositories import changes as log
from app.settings import Settings

logger = logging.getLogger("vendo.changes")
_PENDING = "vendo.changes"  # in a session's info: changes recorded, not yet committed
# A worker catching up reads from a little before it noticed the outage.
CATCH_UP_MARGIN = timedelta(seconds=5)
CATCH_UP_MOST = 10_000
PRUNE_EVERY_SECONDS = 600.0


class ChangeStream:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.hub = Hub(
            queue_size=settings.subscription_queue_size,
            per_workspace=settings.subscriptions_per_workspace,
        )
        redis_url = RedisRelay.url_of(settings)
        self.relay = (
            RedisRelay(
                redis_url,
                f"{settings.redis_prefix}changes",
                timeout=settings.cache_timeout_seconds,
                deliver=self.hub.deliver,
                catch_up=self.catch_up,
            )
            if redis_url
            else None
        )
        self.watcher: PostgresListener | SqlitePoller = (
            SqlitePoller(settings, deliver=self.hub.deliver, interval=settings.changes_poll_seconds)
            if settings.is_sqlite
            else PostgresListener(
                settings.database_url,
                deliver=self.hub.deliver,
                catch_up=self.catch_up,
                timeout=settings.db_connect_timeout_seconds,
            )
        )
        self._pruning: asyncio.Task[None] | None = None
        self.started_at = utcnow()
        # The events channel's streams per app (docs/decisions/0156).
        self.slots = StreamSlots(
            settings.events_streams_per_app,
            redis_url=redis_url,
            prefix=settings.redis_prefix,
            timeout=settings.cache_timeout_seconds,
        )
        self.pulse = Pulse(self.slots, heartbeat_seconds=settings.events_heartbeat_seconds)

    def start(self, draining: asyncio.Event | None = None) -> None:
        self.started_at = utcnow()  # a catch-up reads nothing older: it was before this worker
        self.watcher.start()
        if self.relay is not None:
            self.relay.start()
        self._pruning = asyncio.create_task(self._prune_forever(), name="changes-prune")
        self.pulse.run_until(draining or asyncio.Event())

    async def close(self) -> None:
        if self._pruning is not None:
            self._pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruning
        await self.pulse.stop()
        await self.watcher.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self.slots.close()

    async def ready(self) -> None:
        """Wait until changes made from now on will reach this worker (tests, benchmarks)."""
        await self.watcher.listening.wait()
        if self.relay is not None:
            await self.relay.listening.wait()

    async def record(
        self,
        session: AsyncSession,
        *,
        tenant_id: uuid.UUID | None,
        kind: str,
        subject: str = "",
        payload: Mapping[str, Any] | None = None,
        app_id: uuid.UUID | None = None,
    ) -> None:
        """Log a change in ``session``'s transaction; it is published when that commits (and
        dropped with a rollback). ``tenant_id`` None: a change every workspace sees."""
        await self.record_many(
            session,
            [
                {
                    "tenant_id": tenant_id,
                    "app_id": app_id,
                    "kind": kind,
                    "subject": subject,
                    "payload": dict(payload or {}),
                }
            ],
        )

    async def record_many(self, session: AsyncSession, changes: list[dict[str, Any]]) -> None:
        now = utcnow()
        rows = await log.record(
            session=session, rows=[{**change, "created_at": now} for change in changes]
        )
        pending = session.sync_session.info.get(_PENDING)
        if pending is None:
            pending = session.sync_session.info[_PENDING] = []
            event.listen(session.sync_session, "after_commit", self._committed, once=True)
            event.listen(session.sync_session, "after_rollback", _forget, once=True)
        pending.extend(Change.from_row(row) for row in rows)

    def _committed(self, session: Session) -> None:
        for change in session.info.pop(_PENDING, ()):
            try:
                self.publish(change)
            except Exception:  # the write stands; its subscribers learn of it from the log
                logger.exception("change %d not published", change.id)

    def publish(self, change: Change) -> None:
        """Deliver a committed change here, and announce it to the other workers."""
        self.hub.deliver(change)
        if self.relay is not None:
            self.relay.publish(change)

    async def catch_up(self, moment: datetime) -> None:
        """Deliver what the log holds since ``moment`` (less a margin, but not from before this
        worker started) and this worker has not delivered: after an outage of Redis or of the
        database listener."""
        since = max(moment - CATCH_UP_MARGIN, self.started_at)
        async with self.db.connect() as connection:
            rows = await log.since(session=connection, moment=since, limit=CATCH_UP_MOST)
        delivered = sum(self.hub.deliver(Change.from_row(row)) for row in rows)
        if delivered:
            logger.info("caught up on %d changes missed since %s", delivered, moment.isoformat())

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY_SECONDS)
            with contextlib.suppress(Exception):  # the database's own latch logs an outage
                await self.prune()

    async def prune(self) -> int:
        before = utcnow() - timedelta(hours=self.settings.change_log_hours)
        async with self.db.write() as session, session.begin():
            return await log.prune(session=session, before=before)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
