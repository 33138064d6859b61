"""``app.changes.pulse``: one task per worker keeps its events streams alive — a heartbeat
queued for each stream quiet for about a period (never later), none for a stream that just
wrote or has frames waiting, a drain signal for every stream when the worker stops — and the
leases of the slots it holds pushed forward in Redis, so that a worker that dies frees its
slots within a minute and a live one keeps them (docs/decisions/0156, 0163)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as redis

from app.changes import Change
from app.changes.hub import Hub, Signal
from app.changes.pulse import Pulse
from app.changes.slots import LEASE_SECONDS, StreamSlots
from tests.conftest import REDIS_URL, needs_redis

HEARTBEAT = 15.0
TENANT = uuid.uuid4()
APP = uuid.uuid4()
AT = datetime(2026, 12, 5, tzinfo=UTC)


def _pulse(slots: StreamSlots | None = None) -> Pulse:
    slots = slots or StreamSlots(5, redis_url=None, prefix="test:", timeout=1.0)
    return Pulse(slots, heartbeat_seconds=HEARTBEAT)


def _change(number: int) -> Change:
    return Change(number, TENANT, None, "x", "", {}, AT)


def _queued(hub_subscription: object) -> list[object]:
    queue = hub_subscription.queue  # type: ignore[attr-defined]
    return [queue.get_nowait() for _ in range(queue.qsize())]


async def test_a_heartbeat_is_queued_before_the_period_ends_and_only_once() -> None:
    pulse = _pulse()
    hub = Hub(queue_size=4, per_workspace=10)
    quiet, busy = hub.subscribe(TENANT, ["x"]), hub.subscribe(TENANT, ["x"])
    with pulse.beating(quiet, APP, "a") as q, pulse.beating(busy, APP, "b") as b:
        start = q.last_sent
        # One tick before the period ends: not yet due at the tick after either.
        pulse.beat(start + HEARTBEAT - 2 * pulse.tick)
        assert _queued(quiet) == []
        # The last tick before the period ends: due now (early by less than a tick, never late).
        pulse.beat(start + HEARTBEAT - pulse.tick)
        b.last_sent = start + HEARTBEAT - pulse.tick  # the other one wrote a frame then
        pulse.beat(start + HEARTBEAT - pulse.tick / 2)
        pulse.beat(start + HEARTBEAT + 5 * pulse.tick)  # unread yet: not queued twice
        assert _queued(quiet) == [Signal.HEARTBEAT]
        assert _queued(busy) == []
        q.sent()  # the stream wrote it: the next one is due a whole period later
        assert not q.heartbeat_queued
        pulse.beat(q.last_sent + HEARTBEAT - 2 * pulse.tick)
        assert _queued(quiet) == []
        pulse.beat(q.last_sent + HEARTBEAT - pulse.tick)
        assert _queued(quiet) == [Signal.HEARTBEAT]


async def test_a_full_queue_gets_no_heartbeat_and_its_subscription_goes_on() -> None:
    pulse = _pulse()
    hub = Hub(queue_size=2, per_workspace=10)
    subscription = hub.subscribe(TENANT, ["x"])
    for number in (1, 2):
        subscription.offer(_change(number))
    with pulse.beating(subscription, APP, "a") as stream:
        pulse.beat(stream.last_sent + 10 * HEARTBEAT)
        assert not stream.heartbeat_queued
        assert subscription.ended is None
        assert _queued(subscription) == [_change(1), _change(2)]


async def test_draining_signals_every_stream() -> None:
    pulse = Pulse(
        StreamSlots(5, redis_url=None, prefix="test:", timeout=1.0), heartbeat_seconds=0.2
    )
    hub = Hub(queue_size=4, per_workspace=10)
    subscriptions = [hub.subscribe(TENANT, ["x"]) for _ in range(3)]
    draining = asyncio.Event()
    pulse.run_until(draining)
    try:
        with (
            pulse.beating(subscriptions[0], APP, "a"),
            pulse.beating(subscriptions[1], APP, "b"),
            pulse.beating(subscriptions[2], APP, "c"),
        ):
            draining.set()
            arrived = await asyncio.wait_for(
                asyncio.gather(*(s.queue.get() for s in subscriptions)), 1.0
            )
        assert arrived == [Signal.DRAIN] * 3
    finally:
        await pulse.stop()


@pytest.fixture
async def slots(redis_prefix: str) -> AsyncIterator[StreamSlots]:
    assert REDIS_URL
    slots = StreamSlots(2, redis_url=REDIS_URL, prefix=redis_prefix, timeout=2.0)
    yield slots
    await slots.close()


@needs_redis
async def test_renewing_pushes_every_held_lease_and_the_set_forward(slots: StreamSlots) -> None:
    assert REDIS_URL
    other = uuid.uuid4()
    held = [(APP, await slots.acquire(APP)), (other, await slots.acquire(other))]
    key, other_key = slots.prefix + str(APP), slots.prefix + str(other)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        # Forty seconds later, as far as Redis can tell: the leases and the sets end in 20 s.
        for app_id, stream in held:
            await client.zadd(slots.prefix + str(app_id), {str(stream): time.time() + 20})
            await client.pexpire(slots.prefix + str(app_id), 20_000)
        before = time.time()
        await slots.renew([(a, str(s)) for a, s in held])
        for name, (_, stream) in zip((key, other_key), held, strict=True):
            score = await client.zscore(name, str(stream))
            assert score is not None
            assert before + LEASE_SECONDS <= score <= time.time() + LEASE_SECONDS
            assert LEASE_SECONDS * 1000 - 2000 <= await client.pttl(name) <= LEASE_SECONDS * 1000
        # A slot released meanwhile is not brought back by a renewal.
        await slots.release(APP, str(held[0][1]))
        await slots.renew([(APP, str(held[0][1]))])
        assert await client.zscore(key, str(held[0][1])) is None
    finally:
        await client.aclose()


@needs_redis
async def test_the_slots_of_a_worker_that_died_are_free_once_their_leases_end(
    slots: StreamSlots,
) -> None:
    assert REDIS_URL
    taken = [await slots.acquire(APP) for _ in range(2)]
    assert None not in taken
    assert await slots.acquire(APP) is None
    # The worker holding them died: nobody renews, and their leases end.
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for stream in taken:
            await client.zadd(slots.prefix + str(APP), {str(stream): time.time() - 1})
    finally:
        await client.aclose()
    assert await slots.acquire(APP) is not None
