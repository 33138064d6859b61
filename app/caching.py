"""Response and data cache on aiocache: in memory by default, Redis with ``VENDO_CACHE_URL``.

Values are bytes. Entries belong to a *tag*; invalidating a tag bumps its generation, which is part
of every key, so all the tag's entries become unreachable at once — on every worker when the
backend is shared (Redis). Generations live in the backend too, never only in one process.
"""

from __future__ import annotations

from aiocache import Cache as CacheFactory
from aiocache.base import BaseCache
from aiocache.serializers import NullSerializer

from app.settings import Settings

# Cache tags: a write that changes what an entry shows invalidates the entry's tag.
INTEGRATIONS_CATALOG = "integrations-catalog"
TOOLS_CATALOG = "tools-catalog"
USAGE_FRAMING = "usage-framing"


class Cache:
    def __init__(self, backend: BaseCache, *, prefix: str) -> None:
        self.backend = backend
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        backend = CacheFactory.from_url(settings.cache_url)
        backend.serializer = NullSerializer(encoding=None)  # values are bytes, kept as bytes
        return cls(backend, prefix=settings.redis_prefix + "cache:")

    async def _generation(self, tag: str) -> int:
        value = await self.backend.get(f"{self.prefix}gen:{tag}")
        return int(value) if value is not None else 0

    async def _key(self, tag: str, key: str) -> str:
        return f"{self.prefix}{tag}:{await self._generation(tag)}:{key}"

    async def get(self, tag: str, key: str) -> bytes | None:
        value = await self.backend.get(await self._key(tag, key))
        return bytes(value) if value is not None else None

    async def set(self, tag: str, key: str, value: bytes, *, ttl: float) -> None:
        await self.backend.set(await self._key(tag, key), value, ttl=ttl)

    async def invalidate(self, *tags: str) -> None:
        for tag in tags:
            await self.backend.increment(f"{self.prefix}gen:{tag}")

    async def close(self) -> None:
        await self.backend.close()
