"""Concurrent events streams per app (docs/decisions/0156): at most ``most`` at once, counted
across workers and instances in Redis when ``VENDO_CACHE_URL`` is Redis, in this process
otherwise. A slot is freed as soon as its stream closes; in Redis each slot also carries an
expiry its worker pushes forward while the stream lives (app/changes/pulse.py), so a worker that
dies frees its slots within ``LEASE_SECONDS``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

import redis.asyncio as redis

LEASE_SECONDS = 60.0
RENEW_SECONDS = 20.0  # the leases of a worker's live streams are pushed forward this often

# One sorted set per app: member the stream, score when its lease ends. Atomic: forget the
# leases that ended, count, take a slot when one is free.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


class StreamSlots:
    def __init__(self, most: int, *, redis_url: str | None, prefix: str, timeout: float) -> None:
        self.most = most
        self.prefix = f"{prefix}sse-streams:"
        self.client = (
            redis.Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
            if redis_url
            else None
        )
        self._local: dict[uuid.UUID, set[str]] = {}

    async def acquire(self, app_id: uuid.UUID) -> str | None:
        """A slot for a new stream of ``app_id`` (its name), or None when all are taken."""
        stream = uuid.uuid4().hex
        if self.client is None:
            held = self._local.setdefault(app_id, set())
            if len(held) >= self.most:
                return None
            held.add(stream)
            return stream
        now = time.time()
        taken = await self.client.eval(
            _ACQUIRE,
            1,
            self.prefix + str(app_id),
            now,
            now + LEASE_SECONDS,
            self.most,
            stream,
            int(LEASE_SECONDS * 1000),
        )
        return stream if int(taken) == 1 else None

    async def renew(self, held: Iterable[tuple[uuid.UUID, str]]) -> None:
        """Push forward the leases of the slots ``held`` (app, stream), in one round trip."""
        if self.client is None:
            return
        until = time.time() + LEASE_SECONDS
        by_app: dict[uuid.UUID, dict[str, float]] = {}
        for app_id, stream in held:
            by_app.setdefault(app_id, {})[stream] = until
        if not by_app:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for app_id, streams in by_app.items():
                key = self.prefix + str(app_id)
                pipe.zadd(key, streams, xx=True)
                pipe.pexpire(key, int(LEASE_SECONDS * 1000))  # the set outlives its leases
            await pipe.execute()

    async def release(self, app_id: uuid.UUID, stream: str) -> None:
        if self.client is None:
            held = self._local.get(app_id)
            if held is not None:
                held.discard(stream)
                if not held:
                    del self._local[app_id]
            return
        await self.client.zrem(self.prefix + str(app_id), stream)

    def held(self, app_id: uuid.UUID) -> int:
        """Streams of ``app_id`` this process holds (in-process counting only)."""
        return len(self._local.get(app_id, ()))

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
