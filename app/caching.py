"""Response and data cache on aiocache: in memory by default, Redis with ``VENDO_CACHE_URL``.

Values are bytes. Entries belong to a *tag*; invalidating a tag bumps its generation, which is part
of every key, so all the tag's entries become unreachable at once — on every worker when the
backend is shared (Redis). Generations live in the backend too, never only in one process.

When the backend fails or does not answer within ``VENDO_CACHE_TIMEOUT_SECONDS``, the cache is
bypassed: reads miss, writes and invalidations are dropped, and the outage is logged once.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar
from urllib.parse import urlparse

from aiocache import Cache as CacheFactory
from aiocache import RedisCache
from aiocache.base import BaseCache
from aiocache.serializers import NullSerializer

from app import metrics
from app.faults import Latch
from app.settings import Settings

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
    backend = CacheFactory.from_url(settings.cache_url)
    backend.serializer = serializer
    return backend


class Cache:
    def __init__(self, backend: BaseCache, *, prefix: str) -> None:
        self.backend = backend
        self.prefix = prefix
        self.latch = Latch("cache backend", "serving without the cache")

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        return cls(backend_from_settings(settings), prefix=settings.redis_prefix + "cache:")

    async def _guard(self, operation: Awaitable[T], fallback: T) -> T:
        try:
            result = await operation
        except Exception as error:
            self.latch.failed(error)
            return fallback
        self.latch.recovered()
        return result

    async def _key(self, tag: str, key: str) -> str | None:
        value = await self._guard(self.backend.get(f"{self.prefix}gen:{tag}"), False)
        if value is False:
            return None
        return f"{self.prefix}{tag}:{int(value or 0)}:{key}"

    async def get(self, tag: str, key: str) -> bytes | None:
        full = await self._key(tag, key)
        value = await self._guard(self.backend.get(full), None) if full else None
        result = "error" if full is None or self.latch.down else "hit" if value else "miss"
        metrics.CACHE.labels(tag, result).inc()
        return bytes(value) if value is not None else None

    async def set(self, tag: str, key: str, value: bytes, *, ttl: float) -> None:
        full = await self._key(tag, key)
        if full is not None:
            await self._guard(self.backend.set(full, value, ttl=ttl), None)

    async def invalidate(self, *tags: str) -> None:
        for tag in tags:
            await self._guard(self.backend.increment(f"{self.prefix}gen:{tag}"), None)

    async def ping(self) -> bool:
        """Whether the backend answers (readiness)."""
        probe = f"{self.prefix}ping"
        return await self._guard(self.backend.set(probe, b"1", ttl=5), False) is not False

    async def close(self) -> None:
        await self._guard(self.backend.close(), None)
