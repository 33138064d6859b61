"""Operation-level rate limits on ``limits.aio`` (memory by default, Redis by setting).

slowapi only limits whole Starlette routes and cannot see GraphQL operations (LIBRARIES.md), so the
resolvers call :meth:`RateLimits.hit` themselves: a REST route and the GraphQL mutation it runs draw
on the same budget.

Every window is a moving one: a call is refused while the budget's worth of calls already fell
within the last period. In Redis it is the library's (``MovingWindowRateLimiter``, one Lua call);
in memory it is :class:`MemoryWindows`, because ``limits``' own async memory storage starts a task
and a thread hop to expire entries on every hit (~90 µs a call, docs/decisions/0012).

When Redis fails, limits fail OPEN to a per-worker in-memory window (each worker then allows the
full budget on its own) rather than refusing every call; the outage is logged once, and the
shared window is used again as soon as Redis answers.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.outage_latch import Latch
from app.settings import Settings
from app.web import metrics

INTEGRATION = "integration"
# The balance routes' own per-IP windows (CONTRACT.md §3.8): one each, spent by the route.
V1_BALANCE = "v1_balance"
BILLING_BALANCE = "billing_balance"
CLI_BALANCE = "cli_balance"


class MemoryWindows:
    """Exact moving windows in this worker's memory, O(1) a call.

    Per (limit name, key): the times of the calls that fell within the last period, oldest
    first, at most the budget's worth of them. A key whose newest call is older than its period
    holds nothing worth keeping, and is dropped by a sweep that runs at most once a period.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._periods: dict[str, float] = {}  # each limit name's period, for the sweep
        self._swept = clock()

    def hit(self, item: RateLimitItem, name: str, key: str) -> bool:
        now = self._clock()
        period = self._periods[name] = item.get_expiry()
        start = now - period
        calls = self._calls.get((name, key))
        if calls is None:
            calls = self._calls[(name, key)] = deque(maxlen=item.amount)
        while calls and calls[0] <= start:
            calls.popleft()
        if len(calls) >= item.amount:
            return False
        calls.append(now)
        if now - self._swept >= period:
            self._sweep(now)
        return True

    def _sweep(self, now: float) -> None:
        self._swept = now
        periods = self._periods
        idle = [
            key
            for key, calls in self._calls.items()
            if not calls or calls[-1] <= now - periods[key[0]]
        ]
        for key in idle:
            del self._calls[key]

    def __len__(self) -> int:
        """Keys held (for tests: idle keys do not accumulate)."""
        return len(self._calls)

    def reset(self) -> None:
        self._calls.clear()


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self._pool: redis.ConnectionPool | None = None
        self.storage: RedisStorage | None = None
        self.limiter: MovingWindowRateLimiter | None = None
        uri = settings.rate_limit_storage.removeprefix("async+")
        if "redis" in uri:
            # Our own pool, so that close() can release it (limits' storage has no close).
            self._pool = redis.ConnectionPool.from_url(
                uri,
                socket_timeout=settings.cache_timeout_seconds,
                socket_connect_timeout=settings.cache_timeout_seconds,
            )
            options: dict[str, Any] = {"connection_pool": self._pool}  # typed as scalars
            self.storage = RedisStorage(
                uri,
                implementation="redispy",
                key_prefix=settings.redis_prefix + "limits",
                **options,
            )
            self.limiter = MovingWindowRateLimiter(self.storage)
        # The windows when no Redis is configured, and while a configured one is unreachable.
        self.memory = MemoryWindows()
        self.latch = Latch("rate-limit storage", "limits fall back to per-worker memory")
        self.items: dict[str, RateLimitItem] = {
            INTEGRATION: parse(settings.integration_rate_limit),
            V1_BALANCE: parse(settings.balance_rate_limit),
            BILLING_BALANCE: parse(settings.balance_rate_limit),
            CLI_BALANCE: parse(settings.cli_balance_rate_limit),
        }

    async def hit(self, name: str, key: str) -> bool:
        """Count one call against ``name`` for ``key``; False when the budget is spent."""
        item = self.items[name]
        if self.limiter is None:
            allowed = self.memory.hit(item, name, key)
        else:
            try:
                allowed = await self.limiter.hit(item, name, key)
            except Exception as error:
                self.latch.failed(error)
                allowed = self.memory.hit(item, name, key)
            else:
                self.latch.recovered()
        if not allowed:
            metrics.RATE_LIMITED.labels(name).inc()
        return allowed

    async def check(self) -> bool:
        """Whether the shared storage answers (memory always does)."""
        return True if self.storage is None else await self.storage.check()

    async def reset(self) -> None:
        self.memory.reset()
        if self.storage is not None:
            await self.storage.reset()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
