"""Operation-level rate limits on ``limits.aio`` (memory by default, Redis by setting).

slowapi only limits whole Starlette routes and cannot see GraphQL operations (LIBRARIES.md), so the
resolvers call :meth:`RateLimits.hit` themselves: a REST route and the GraphQL mutation it runs draw
on the same budget.

When Redis fails, limits fail OPEN to a per-worker in-memory window (each worker then allows the
full budget on its own) rather than refusing every call; the outage is logged once, and the
shared window is used again as soon as Redis answers.
"""

from __future__ import annotations

from typing import Any, cast

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from app.outage_latch import Latch
from app.settings import Settings
from app.web import metrics

INTEGRATION = "integration"
# The balance routes' own per-IP windows (CONTRACT.md §3.8): one each, spent by the route.
V1_BALANCE = "v1_balance"
BILLING_BALANCE = "billing_balance"
CLI_BALANCE = "cli_balance"


def _storage_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        uri = _storage_uri(settings.rate_limit_storage)
        options: dict[str, Any] = {}
        self._pool: redis.ConnectionPool | None = None
        if "redis" in uri:
            # Our own pool, so that close() can release it (limits' storage has no close).
            self._pool = redis.ConnectionPool.from_url(
                settings.rate_limit_storage,
                socket_timeout=settings.cache_timeout_seconds,
                socket_connect_timeout=settings.cache_timeout_seconds,
            )
            options = {
                "implementation": "redispy",
                "key_prefix": settings.redis_prefix + "limits",
                "connection_pool": self._pool,
            }
        # Every URI here is an ``async+…`` one, so the storage is an asynchronous one.
        self.storage = cast(AsyncStorage, storage_from_string(uri, **options))
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.fallback = MovingWindowRateLimiter(storage_from_string("async+memory://"))
        self.latch = Latch("rate-limit storage", "limits fall back to per-worker memory")
        self.items: dict[str, RateLimitItem] = {
            INTEGRATION: parse(settings.integration_rate_limit),
            V1_BALANCE: parse(settings.balance_rate_limit),
            BILLING_BALANCE: parse(settings.balance_rate_limit),
            CLI_BALANCE: parse(settings.cli_balance_rate_limit),
        }

    async def hit(self, name: str, key: str) -> bool:
        """Count one call against ``name`` for ``key``; False when the budget is spent."""
        try:
            allowed = await self.limiter.hit(self.items[name], name, key)
        except Exception as error:
            self.latch.failed(error)
            allowed = await self.fallback.hit(self.items[name], name, key)
        else:
            self.latch.recovered()
        if not allowed:
            metrics.RATE_LIMITED.labels(name).inc()
        return allowed

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
