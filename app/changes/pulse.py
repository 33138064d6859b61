"""What keeps this worker's events streams alive while nothing happens (docs/decisions/0163):
one task for all of them, not a timer per stream.

Every tick (a second, or a quarter of the heartbeat when that is shorter) the pulse hands a
``HEARTBEAT`` to each stream that has sent nothing for about ``VENDO_EVENTS_HEARTBEAT_SECONDS``
(never later than that: up to one tick early), through the stream's own queue, so that a stream
waits on one thing — its queue — and wakes only when it has something to write. Every
``RENEW_SECONDS`` it pushes forward, in one Redis round trip, the leases of every slot this worker
holds (docs/decisions/0156). When the worker starts draining, every stream is handed a
``DRAIN``."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.changes.hub import Signal, Subscription
from app.changes.slots import RENEW_SECONDS, StreamSlots
from app.changes.watch import BackgroundLoop

TICK_SECONDS = 1.0


@dataclass(eq=False)
class Beating:
    """One events stream, as the pulse sees it."""

    subscription: Subscription
    app_id: uuid.UUID
    slot: str
    last_sent: float = field(default_factory=lambda: asyncio.get_running_loop().time())
    heartbeat_queued: bool = False

    def sent(self) -> None:
        """The stream wrote a frame: its next heartbeat is due a whole period from now."""
        self.last_sent = asyncio.get_running_loop().time()
        self.heartbeat_queued = False


class Pulse(BackgroundLoop):
    def __init__(
        self,
        slots: StreamSlots,
        *,
        heartbeat_seconds: float,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        super().__init__("events-pulse")
        self.slots = slots
        self.heartbeat_seconds = heartbeat_seconds
        self.renew_seconds = renew_seconds
        self.tick = min(TICK_SECONDS, heartbeat_seconds / 4)
        self.streams: set[Beating] = set()
        self.draining = asyncio.Event()

    def run_until(self, draining: asyncio.Event) -> None:
        self.draining = draining
        self.start()

    @contextlib.contextmanager
    def beating(
        self, subscription: Subscription, app_id: uuid.UUID, slot: str
    ) -> Iterator[Beating]:
        """Count a stream among the worker's while it lasts."""
        stream = Beating(subscription, app_id, slot)
        self.streams.add(stream)
        try:
            yield stream
        finally:
            self.streams.discard(stream)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + self.renew_seconds
        while not self._stopping:
            await self._pause(self.tick, self.draining)
            if self.draining.is_set():
                for stream in self.streams:
                    stream.subscription.signal(Signal.DRAIN)
                await self._pause(self.tick)  # streams opened meanwhile see the flag themselves
                continue
            now = loop.time()
            self.beat(now)
            if now >= renew_at:
                renew_at = now + self.renew_seconds
                with contextlib.suppress(Exception):  # Redis away: the leases run a minute
                    await self.slots.renew({(s.app_id, s.slot) for s in self.streams})

    def beat(self, now: float) -> None:
        """A heartbeat for each stream whose period ends before the next tick. A stream whose
        queue is full has frames to write already."""
        due = now + self.tick - self.heartbeat_seconds
        for stream in self.streams:
            if stream.last_sent <= due and not stream.heartbeat_queued:
                stream.heartbeat_queued = stream.subscription.signal(Signal.HEARTBEAT)
