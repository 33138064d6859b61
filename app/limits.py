"""Operation-level rate limits on ``limits.aio`` (memory by default, Redis by setting).

slowapi only limits whole Starlette routes and cannot see GraphQL operations (LIBRARIES.md), so the
resolvers call :meth:`RateLimits.hit` themselves: a REST route and the GraphQL mutation it runs draw
on the same budget.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from app.settings import Settings

INTEGRATION = "integration"


def _storage_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        uri = _storage_uri(settings.rate_limit_storage)
        options: dict[str, Any] = {}
        self._pool: redis.ConnectionPool | None = None
        if "redis" in uri:
            # Our own pool, so that close() can release it (limits' storage has no close).
            self._pool = redis.ConnectionPool.from_url(settings.rate_limit_storage)
            options = {
                "implementation": "redispy",
                "key_prefix": settings.redis_prefix + "limits",
                "connection_pool": self._pool,
            }
        self.storage = storage_from_string(uri, **options)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.items: dict[str, RateLimitItem] = {INTEGRATION: parse(settings.integration_rate_limit)}

    async def hit(self, name: str, key: str) -> bool:
        """Count one call against ``name`` for ``key``; False when the budget is spent."""
        return await self.limiter.hit(self.items[name], name, key)

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
