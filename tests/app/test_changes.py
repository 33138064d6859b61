"""The change stream's pieces: a change is logged in its write's transaction and published at
commit only; the hub drops repeats, caps a workspace's subscribers, and ends a subscriber that
does not read; the log is pruned after VENDO_CHANGE_LOG_HOURS."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from app.changes import CONNECTION, INTEGRATION, Change
from app.changes.hub import Hub, SubscriptionEnded, TooManySubscriptions
from app.changes.watch import SqlitePoller
from app.models import utcnow
from app.repositories import changes as changes_log
from app.runtime import Runtime
from app.settings import Settings
from tests.conftest import POSTGRES_URL

WORKSPACE = uuid.UUID("00000000-0000-4000-8000-000000000001")
ELSEWHERE = uuid.UUID("00000000-0000-4000-8000-000000000002")


def change(id: int, tenant: uuid.UUID | None = WORKSPACE, kind: str = INTEGRATION) -> Change:
    return Change(
        id=id,
        tenant_id=tenant,
        app_id=None,
        kind=kind,
        subject="telegram",
        payload={"provider": "telegram"},
        created_at=utcnow(),
    )


async def test_the_hub_delivers_once_to_the_workspace_and_catalog_changes_to_all() -> None:
    hub = Hub(queue_size=10, per_workspace=5)
    mine = hub.subscribe(WORKSPACE, {INTEGRATION})
    theirs = hub.subscribe(ELSEWHERE, {INTEGRATION})
    assert hub.deliver(change(1)) is True
    assert hub.deliver(change(1)) is False  # a repeat (Redis' echo, a catch-up)
    assert hub.deliver(change(2, tenant=None)) is True
    assert [(await anext(mine)).id, (await anext(mine)).id] == [1, 2]
    assert (await anext(theirs)).id == 2
    assert theirs.queue.empty()


async def test_the_hub_caps_a_workspace_and_frees_a_closed_slot() -> None:
    hub = Hub(queue_size=10, per_workspace=2)
    first = hub.subscribe(WORKSPACE, {INTEGRATION})
    hub.subscribe(WORKSPACE, {INTEGRATION})
    with pytest.raises(TooManySubscriptions):
        hub.subscribe(WORKSPACE, {INTEGRATION})
    hub.subscribe(ELSEWHERE, {INTEGRATION})  # another workspace's budget
    first.close()
    hub.subscribe(WORKSPACE, {INTEGRATION})
    assert hub.count == 3


async def test_a_subscriber_that_does_not_read_is_ended_with_a_reason() -> None:
    hub = Hub(queue_size=3, per_workspace=5)
    reasons: list[str] = []
    slow = hub.subscribe(WORKSPACE, {INTEGRATION}, on_overflow=reasons.append)
    for id in range(1, 5):
        hub.deliver(change(id))
    reason = "Subscriber too slow: more than 3 changes unread"
    assert reasons == [reason]
    assert slow.queue.qsize() == 0  # what it held is given back
    assert hub.count == 0
    with pytest.raises(SubscriptionEnded) as ended:
        await anext(slow)
    assert ended.value.reason == reason


async def failed_write(runtime: Runtime) -> None:
    async with runtime.db.write() as session, session.begin():
        await runtime.changes.record(session, tenant_id=WORKSPACE, kind=INTEGRATION, subject="a")
        raise RuntimeError("the write fails")


async def test_a_change_is_published_at_commit_and_never_after_a_rollback(
    runtime: Runtime,
) -> None:
    stream = runtime.changes
    heard = stream.hub.subscribe(WORKSPACE, {INTEGRATION})
    with pytest.raises(RuntimeError):
        await failed_write(runtime)
    async with runtime.db.write() as session, session.begin():
        await stream.record(
            session, tenant_id=WORKSPACE, kind=INTEGRATION, payload={"provider": "b"}
        )
        assert heard.queue.empty()  # not before the commit
    published = await asyncio.wait_for(anext(heard), 1)
    assert (published.kind, dict(published.payload)) == (INTEGRATION, {"provider": "b"})
    async with runtime.db.connect() as connection:
        logged = (
            await connection.execute(text("SELECT id, subject FROM change_events ORDER BY id"))
        ).all()
    assert [tuple(row) for row in logged] == [(published.id, "")]


async def test_the_log_forgets_changes_older_than_its_hours(runtime: Runtime) -> None:
    async with runtime.db.write() as session, session.begin():
        await runtime.changes.record(session, tenant_id=WORKSPACE, kind=INTEGRATION)
    old = utcnow() - timedelta(hours=25)
    async with runtime.db.write() as session, session.begin():
        await session.execute(text("UPDATE change_events SET created_at = :old"), {"old": old})
        await runtime.changes.record(session, tenant_id=WORKSPACE, kind=INTEGRATION, subject="new")
    assert await runtime.changes.prune() == 1
    async with runtime.db.connect() as connection:
        left = (await connection.execute(text("SELECT subject FROM change_events"))).all()
    assert [tuple(row) for row in left] == [("new",)]


async def test_the_replay_read_holds_the_workspace_its_app_and_catalog_changes(
    runtime: Runtime,
) -> None:
    """What the events channel's ``Last-Event-ID`` will replay: after an id, the workspace's
    changes (its app's, or no app's) and the catalog's, oldest first; no other workspace's or
    app's."""
    app, other_app = uuid.uuid4(), uuid.uuid4()
    written = [
        (WORKSPACE, None, "workspace"),
        (ELSEWHERE, None, "elsewhere"),
        (WORKSPACE, app, "its app"),
        (WORKSPACE, other_app, "another app"),
        (None, None, "catalog"),
    ]
    async with runtime.db.write() as session, session.begin():
        for tenant, app_id, subject in written:
            await runtime.changes.record(
                session, tenant_id=tenant, app_id=app_id, kind=INTEGRATION, subject=subject
            )
    async with runtime.db.connect() as connection:
        rows = await changes_log.for_workspace_after(
            session=connection, tenant_id=WORKSPACE, app_id=app, after_id=0, limit=10
        )
        ids = [row[0] for row in rows]
        later = await changes_log.for_workspace_after(
            session=connection, tenant_id=WORKSPACE, app_id=app, after_id=ids[0], limit=10
        )
    assert [row[4] for row in rows] == ["workspace", "its app", "catalog"]
    assert ids == sorted(ids)
    assert [row[4] for row in later] == ["its app", "catalog"]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's poll (PostgreSQL is told by NOTIFY)")
async def test_the_sqlite_poll_reads_the_log_only_after_another_connection_committed(
    demo: None, settings: Settings, runtime: Runtime
) -> None:
    """Idle rounds cost no statement: only a commit by another connection — the gateway's own
    pool, or another process's plain sqlite3 connection — makes the poll read the log."""
    heard: list[Change] = []
    poller = SqlitePoller(settings, deliver=heard.append, interval=60)
    statements: list[str] = []

    def executed(*args: Any) -> None:
        statements.append(args[2])

    event.listen(poller.engine.sync_engine, "before_cursor_execute", executed)
    try:
        await poller.poll()  # the first look sets the watermark
        assert [statement.split()[0] for statement in statements] == ["BEGIN", "SELECT"]
        for _ in range(5):
            await poller.poll()
        assert len(statements) == 2  # nothing committed: not one statement
        async with runtime.db.write() as session, session.begin():
            await runtime.changes.record(
                session, tenant_id=WORKSPACE, kind=INTEGRATION, subject="through the pool"
            )
        await poller.poll()
        assert [change.subject for change in heard] == ["through the pool"]
        path = make_url(settings.database_url).database
        assert path is not None
        with sqlite3.connect(path) as other:  # another process's write: the triggers log it
            other.execute(
                "UPDATE connections SET active = NOT active "
                "WHERE rowid = (SELECT min(rowid) FROM connections)"
            )
        other.close()
        await poller.poll()
        assert [change.kind for change in heard] == [INTEGRATION, CONNECTION]
        read = len(statements)
        await poller.poll()
        assert len(statements) == read  # and quiet again
    finally:
        await poller.stop()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's poll (PostgreSQL is told by NOTIFY)")
async def test_the_sqlite_poll_stops_at_once_between_two_rounds(
    demo: None, settings: Settings
) -> None:
    """A worker stopping does not wait for the end of the poll's pause (a minute here)."""
    poller = SqlitePoller(settings, deliver=lambda _: None, interval=60)
    poller.start()
    await asyncio.wait_for(poller.listening.wait(), 5)
    await asyncio.sleep(0.05)  # into the pause
    started = time.monotonic()
    await poller.stop()
    assert time.monotonic() - started < 1.0
    assert poller._task is not None
    assert poller._task.done()
