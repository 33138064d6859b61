"""The events channel's feed (``GET /api/deployments/me/events``, docs/decisions/0156): what one
app hears of the change stream, as Server-Sent Events.

The app hears changes of its bound connections (``connection.updated``), its bindings
(``binding.added``, ``binding.removed``) and the revocation of the key it streams with
(``key.revoked``, after which the feed ends). Every event carries the change log's id; a client
that reconnects with ``Last-Event-ID`` first gets what the log still holds after it, then the
live changes, none twice. A comment line is sent when nothing happened for
``VENDO_EVENTS_HEARTBEAT_SECONDS``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.changes import BINDING_ADDED, BINDING_REMOVED, CONNECTION, KEY_REVOKED, Change
from app.changes.hub import Signal, Subscription
from app.changes.stream import ChangeStream
from app.db import Database
from app.repositories import changes as log
from app.repositories import tools

Release = Callable[[], Awaitable[None]]
KINDS = (CONNECTION, BINDING_ADDED, BINDING_REMOVED, KEY_REVOKED)
CONNECTION_UPDATED = "connection.updated"
REPLAY_MOST = 10_000
HEARTBEAT = b": heartbeat\n\n"
# The last frame when the worker stops: the client reconnects (to another worker) after 1 s
# and sends the Last-Event-ID it had, losing nothing.
RECONNECT_MS = 1000
GOODBYE = f": shutting down\nretry: {RECONNECT_MS}\n\n".encode()


def last_event_id(value: str | None) -> int | None:
    """The ``Last-Event-ID`` header as a log id; None when absent or not one of ours."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _uuid_text(value: Any) -> str:
    """A UUID as the gateway prints it (SQLite's triggers log its 32 hex digits)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def frame(change: Change, name: str, data: Any = None) -> bytes:
    data = orjson.dumps(change.payload if data is None else data).decode()
    return f"id: {change.id}\nevent: {name}\ndata: {data}\n\n".encode()


@dataclass
class Feed:
    """One stream of one app, signed with one App Key."""

    db: Database
    tenant_id: uuid.UUID
    app_id: uuid.UUID
    key_id: uuid.UUID | None
    bound: set[str] = field(default_factory=set)
    ended: bool = False

    async def load_bindings(self) -> None:
        async with self.db.connect() as connection:
            rows = await tools.bound_connections(session=connection, app_ids=[self.app_id])
        self.bound = {str(row.id) for row in rows.get(self.app_id, [])}

    def event(self, change: Change) -> bytes | None:
        """The frame ``change`` makes for this app (None: not the app's)."""
        payload: Any = change.payload
        if change.kind == CONNECTION:
            connection_id = _uuid_text(payload.get("id"))
            if connection_id not in self.bound:
                return None
            return frame(
                change,
                CONNECTION_UPDATED,
                {
                    "id": connection_id,
                    "provider": payload.get("provider"),
                    "profile": payload.get("profile"),
                    "active": bool(payload.get("active")),
                },
            )
        if change.kind in (BINDING_ADDED, BINDING_REMOVED):
            if change.app_id != self.app_id:
                return None
            connection_id = _uuid_text(payload.get("connection_id"))
            if change.kind == BINDING_ADDED:
                self.bound.add(connection_id)
            else:
                self.bound.discard(connection_id)
            return frame(
                change, change.kind, {"app_id": str(self.app_id), "connection_id": connection_id}
            )
        if change.kind == KEY_REVOKED:
            if self.key_id is None or payload.get("key_id") != str(self.key_id):
                return None
            self.ended = True
            return frame(change, KEY_REVOKED)
        return None

    async def replay(self, after_id: int) -> list[Change]:
        async with self.db.connect() as connection:
            rows = await log.for_workspace_after(
                session=connection,
                tenant_id=self.tenant_id,
                app_id=self.app_id,
                after_id=after_id,
                limit=REPLAY_MOST,
            )
        return [Change.from_row(row) for row in rows]


async def stream(
    changes: ChangeStream,
    feed: Feed,
    subscription: Subscription,
    *,
    after_id: int | None,
    slot: str,
    draining: asyncio.Event,
) -> AsyncIterator[bytes]:
    """The frames of ``feed``: the replay after ``after_id``, then live changes (the
    subscription was opened before the replay was read, so nothing falls between), with a
    heartbeat comment when idle (the worker's pulse queues it, and renews the app's slot lease:
    app/changes/pulse.py). When ``draining`` is set (the worker is stopping,
    docs/decisions/0159) it ends with ``GOODBYE``."""
    sent: set[int] = set()
    yield b": connected\n\n"  # the headers and a first byte go out at once
    if after_id is not None:
        for change in await feed.replay(after_id):
            if change.kind in KINDS:
                sent.add(change.id)
                chunk = feed.event(change)
                if chunk is not None:
                    yield chunk
                    if feed.ended:
                        return
    with changes.pulse.beating(subscription, feed.app_id, slot) as beating:
        while True:
            if draining.is_set():
                yield GOODBYE
                return
            if subscription.ended is not None:  # too slow a reader
                return
            arrived = await subscription.queue.get()
            if arrived is Signal.HEARTBEAT:
                beating.sent()
                yield HEARTBEAT
                continue
            if isinstance(arrived, Signal) or arrived.id in sent:
                continue  # DRAIN: the flag says it at the top
            chunk = feed.event(arrived)
            if chunk is not None:
                beating.sent()
                yield chunk
                if feed.ended:
                    return
