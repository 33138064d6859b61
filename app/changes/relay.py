"""Changes between workers through Redis pub/sub, as the cache's invalidations travel
(``app.cache.local.Invalidations``): each commit is published on ``<prefix>changes``, every
worker listens, reconnecting for ever. A worker that lost the channel catches up from the log
when it is back (docs/decisions/0151); a publish that failed is retried then too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import redis.asyncio as redis

from app.changes import Change
from app.models import utcnow
from app.outage_latch import Latch

log = logging.getLogger("vendo.changes")
UNSENT_KEPT = 1024  # publishes kept while Redis is away, newest kept


class RedisRelay:
    def __init__(
        self,
        url: str,
        channel: str,
        *,
        timeout: float,
        deliver: Callable[[Change], object],
        catch_up: Callable[[datetime], Awaitable[None]],
    ) -> None:
        self.channel = channel
        # Publishing answers within the cache's timeout; listening waits without one.
        self.publisher = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.listener = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, health_check_interval=15
        )
        self.deliver = deliver
        self.catch_up = catch_up
        self.latch = Latch(
            "change channel (Redis)", "other workers' changes arrive once it is back"
        )
        self.unsent: deque[bytes] = deque(maxlen=UNSENT_KEPT)
        self.down_since: datetime | None = None
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="changes-redis")

    def publish(self, change: Change) -> None:
        task = asyncio.create_task(self._publish(change.to_json()))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, message: bytes) -> None:
        try:
            await self.publisher.publish(self.channel, message)
        except Exception as error:
            self.unsent.append(message)
            self.latch.failed(error)

    async def _flush_unsent(self) -> None:
        while self.unsent:
            message = self.unsent[0]
            await self.publisher.publish(self.channel, message)
            self.unsent.popleft()

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.listening.is_set():
                    delay = 0.2  # it was up: try again soon
                self.listening.clear()
                if self.down_since is None:
                    self.down_since = utcnow()
                self.latch.failed(error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _listen(self) -> None:
        pubsub = self.listener.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while not self._stopping:
                event = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                if event is None:
                    continue
                if event["type"] == "subscribe":
                    await self._back()
                elif event["type"] == "message":
                    self.deliver(Change.from_json(event["data"]))
        finally:
            # Shielded: a second cancellation (stop()'s timeout) must not cut the close short and
            # leave the socket open.
            await asyncio.shield(pubsub.aclose())  # type: ignore[no-untyped-call]  # redis: unannotated

    async def _back(self) -> None:
        """Subscribed (again): what other workers published meanwhile is read from the log, and
        what this one could not publish is sent."""
        if self.down_since is not None:
            await self.catch_up(self.down_since)
            self.down_since = None
        await self._flush_unsent()
        self.latch.recovered()
        self.listening.set()

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=5)
        pending = list(self._pending)
        for task in pending:
            task.cancel()
        # Let each cancelled publish unwind (and give its connection back) before the pools close.
        await asyncio.gather(*pending, return_exceptions=True)
        for client in (self.publisher, self.listener):
            with contextlib.suppress(Exception):
                await client.aclose()

    @staticmethod
    def url_of(settings: Any) -> str | None:
        scheme = str(settings.cache_url).split(":", 1)[0]
        return str(settings.cache_url) if scheme in ("redis", "rediss") else None
