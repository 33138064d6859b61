"""Response and data cache on aiocache: in memory by default, Redis with ``VENDO_CACHE_URL``.

Values are bytes. Entries belong to a *tag*; invalidating a tag bumps its generation, which is part
of every key, so all the tag's entries become unreachable at once — on every worker when the
backend is shared (Redis). Generations live in the backend too, never only in one process.

When the backend fails or does not answer within ``VENDO_CACHE_TIMEOUT_SECONDS``, the cache is
bypassed: reads miss, writes are dropped, and the outage is logged once. An invalidation the
backend missed is kept and replayed before the first read that reaches the backend again, so an
entry stored before the outage never outlives a write made during it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlparse

import redis.asyncio as redis
from aiocache import Cache as CacheFactory
from aiocache import RedisCache
from aiocache.base import BaseCache
from aiocache.serializers import NullSerializer

from app.cache.local import Invalidations, LocalTier, message, stamp, unstamp
from app.cache.memory_backend import BoundedMemoryCache
from app.outage_latch import Latch
from app.settings import Settings
from app.web import metrics

# Cache tags: a write that changes what an entry shows invalidates the entry's tag.
INTEGRATIONS_CATALOG = "integrations-catalog"
TOOLS_CATALOG = "tools-catalog"
USAGE_FRAMING = "usage-framing"

T = TypeVar("T")


def backend_from_settings(settings: Settings) -> BaseCache:
    url = urlparse(settings.cache_url)
    serializer = NullSerializer(encoding=None)  # values are bytes, kept as bytes
    if url.scheme in ("redis", "rediss"):
        timeout = settings.cache_timeout_seconds
        return RedisCache(
            serializer=serializer,
            endpoint=url.hostname or "127.0.0.1",
            port=url.port or 6379,
            db=int(url.path.strip("/") or 0),
            password=url.password,
            timeout=timeout,
            create_connection_timeout=timeout,
            ssl=url.scheme == "rediss",
        )
    if url.scheme == "memory":
        return BoundedMemoryCache(
            max_entries=settings.cache_max_entries, max_bytes=settings.cache_max_bytes
        )
    backend = CacheFactory.from_url(settings.cache_url)
    backend.serializer = serializer
    return backend


class Cache:
    def __init__(
        self,
        backend: BaseCache,
        *,
        prefix: str,
        max_entries: int,
        max_bytes: int,
        subscriber: Any = None,
    ) -> None:
        """``subscriber``: a Redis client for the invalidation channel, when the backend is
        shared between workers; ``max_entries``, ``max_bytes``: bounds of the local tier."""
        self.backend = backend
        self.prefix = prefix
        self.latch = Latch("cache backend", "serving without the cache")
        # One process owns an in-memory backend, so its local tier is coherent from the start;
        # a shared (Redis) backend needs the invalidation channel first.
        self.local = LocalTier(
            coherent=subscriber is None, max_entries=max_entries, max_bytes=max_bytes
        )
        self.invalidations = (
            Invalidations(subscriber, f"{prefix}invalidations", self.local)
            if subscriber is not None
            else None
        )
        # Tags whose invalidation the backend missed (see _replay).
        self.pending: set[str] = set()
        self._replaying = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        backend = backend_from_settings(settings)
        subscriber = None
        if isinstance(backend, RedisCache):
            # Its own connection with no read timeout: it waits for messages.
            subscriber = redis.Redis.from_url(
                settings.cache_url,
                socket_connect_timeout=settings.cache_timeout_seconds,
                health_check_interval=15,
            )
        return cls(
            backend,
            prefix=settings.redis_prefix + "cache:",
            subscriber=subscriber,
            max_entries=settings.cache_max_entries,
            max_bytes=settings.cache_max_bytes,
        )

    def start(self) -> None:
        if self.invalidations is not None:
            self.invalidations.start()

    async def _guard(self, operation: Awaitable[T], fallback: T) -> T:
        try:
            result = await operation
        except Exception as error:
            self.latch.failed(error)
            return fallback
        self.latch.recovered()
        return result

    async def _generation(self, tag: str) -> int | None:
        key = f"{self.prefix}gen:{tag}"
        value = await self._guard(self.backend.get(key), False)
        if value is not False and self.pending:
            await self._replay()  # the backend answers again: first, what it missed
            value = await self._guard(self.backend.get(key), False)
        if value is False:
            return None
        generation = int(value or 0)
        self.local.observe(tag, generation)
        return generation

    def known_generation(self, tag: str) -> int | None:
        """The tag's current generation when this worker knows it without a round trip (its
        local tier is coherent and has seen the tag), else None."""
        if not self.pending and self.local.coherent:
            return self.local.generations.get(tag)
        return None

    async def generation(self, tag: str) -> int | None:
        """The tag's current generation: what this worker knows while its local tier is
        coherent (no round trip), else read from the backend. None when it cannot be known:
        the backend does not answer, or an invalidation it missed is still to be replayed (the
        backend's generation is then older than the data)."""
        known = self.known_generation(tag)
        if known is not None:
            return known
        generation = await self._generation(tag)  # replays missed invalidations first
        return None if self.pending or self.latch.down else generation

    def _full(self, tag: str, generation: int, key: str) -> str:
        return f"{self.prefix}{tag}:{generation}:{key}"

    def peek(self, tag: str, key: str) -> bytes | None:
        """This worker's copy, if it is still current: no await, no round trip."""
        payload = self.local.get(tag, key)
        if payload is not None:
            metrics.count_lookup(tag, "hit")
        return payload

    async def get(self, tag: str, key: str) -> bytes | None:
        local = self.peek(tag, key)
        if local is not None:
            return local
        generation = await self._generation(tag)
        stored = None
        if generation is not None:
            stored = await self._guard(self.backend.get(self._full(tag, generation, key)), None)
        if generation is None or self.latch.down:
            metrics.count_lookup(tag, "error")
            return None
        if stored is None:
            metrics.count_lookup(tag, "miss")
            return None
        expires, payload = unstamp(bytes(stored))
        self.local.put(tag, key, generation, expires, payload)
        metrics.count_lookup(tag, "hit")
        return payload

    async def set(self, tag: str, key: str, value: bytes, *, ttl: float) -> None:
        generation = await self._generation(tag)
        if generation is None:
            return
        stored = stamp(value, ttl)
        await self._guard(self.backend.set(self._full(tag, generation, key), stored, ttl=ttl), None)
        self.local.put(tag, key, generation, unstamp(stored)[0], value)

    async def invalidate(self, *tags: str) -> None:
        for tag in tags:
            if not await self._bump(tag):
                self.pending.add(tag)
                self.local.forget(tag)  # this worker's copies, at least, are gone now

    async def _replay(self) -> None:
        # One replay at a time; a tag stays pending until its bump has landed, so that a
        # concurrent reader never takes the backend's older generation for the current one.
        async with self._replaying:
            for tag in list(self.pending):
                if not await self._bump(tag):
                    return
                self.pending.discard(tag)

    async def _bump(self, tag: str) -> bool:
        generation = await self._guard(self.backend.increment(f"{self.prefix}gen:{tag}"), None)
        if generation is None:
            return False
        self.local.observe(tag, int(generation))
        if self.invalidations is not None:
            announce = self.backend.client.publish(
                self.invalidations.channel, message(tag, int(generation))
            )
            await self._guard(announce, None)
        return True

    async def ping(self) -> bool:
        """Whether the backend answers (readiness)."""
        probe = f"{self.prefix}ping"
        return await self._guard(self.backend.set(probe, b"1", ttl=5), False) is not False

    async def close(self) -> None:
        if self.invalidations is not None:
            await self.invalidations.stop()
            await self.invalidations.client.aclose()
        # Not through _guard: closing a client that never connected succeeds, and says nothing
        # of whether the backend answers ("reachable again" at shutdown would be a lie).
        with contextlib.suppress(Exception):
            await self.backend.close()
