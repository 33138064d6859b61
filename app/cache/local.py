"""A per-worker tier in front of the shared cache, kept coherent by invalidation messages.

Each local copy is stamped with the generation of its tag it was read under, and is served only
while that is still the newest generation this worker knows. Generations reach a worker from its
own reads of the shared backend and, with Redis, from a pub/sub channel on which every
invalidation is announced — so a hit costs no round trip, and an invalidation on any worker makes
every worker's copies unreachable as soon as the message lands. While the subscription is down
the local tier is switched off (every read goes to the shared backend, which stays correct).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any, Generic, TypeVar

from app.outage_latch import Latch

_EXPIRY = struct.Struct(">d")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedStore(Generic[K, V]):
    """A map bounded in entries and in bytes (each entry's size as given when it is put): past
    either bound, the least recently used entries are dropped. An entry larger than the byte
    bound is not kept at all."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0  # bytes held
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        self.pop(key)
        if size > self.max_bytes:
            return
        self._entries[key] = (value, size)
        self.size += size
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= dropped

    def pop(self, key: K) -> V | None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self.size -= entry[1]
        return entry[0]

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0


def stamp(payload: bytes, ttl: float) -> bytes:
    """The shared copy carries its absolute expiry, so a local copy never outlives it."""
    return _EXPIRY.pack(time.time() + ttl) + payload


def unstamp(stored: bytes) -> tuple[float, bytes]:
    return _EXPIRY.unpack_from(stored)[0], stored[_EXPIRY.size :]


class LocalTier:
    def __init__(self, *, coherent: bool, max_entries: int, max_bytes: int) -> None:
        """Bounded by VENDO_CACHE_MAX_ENTRIES and VENDO_CACHE_MAX_BYTES."""
        self.coherent = coherent
        self.generations: dict[str, int] = {}
        self.entries: BoundedStore[tuple[str, str], tuple[int, float, bytes]] = BoundedStore(
            max_entries=max_entries, max_bytes=max_bytes
        )

    def get(self, tag: str, key: str) -> bytes | None:
        generation = self.generations.get(tag)
        entry = self.entries.get((tag, key)) if self.coherent and generation is not None else None
        if entry is None:
            return None
        stored_generation, expires, payload = entry
        if stored_generation != generation or expires <= time.time():
            self.entries.pop((tag, key))
            return None
        return payload

    def put(self, tag: str, key: str, generation: int, expires: float, payload: bytes) -> None:
        if not self.coherent:
            return
        self.entries.put((tag, key), (generation, expires, payload), len(key) + len(payload))

    def observe(self, tag: str, generation: int) -> None:
        """A generation seen for ``tag`` (generations only grow)."""
        if generation > self.generations.get(tag, -1):
            self.generations[tag] = generation

    def forget(self, tag: str) -> None:
        """Serve nothing of ``tag`` until a generation is read again."""
        self.generations.pop(tag, None)

    def reset(self) -> None:
        self.entries.clear()
        self.generations.clear()


def message(tag: str, generation: int) -> str:
    return f"{generation}:{tag}"


class Invalidations:
    """Listens to the invalidation channel and keeps ``local`` coherent; reconnects forever."""

    def __init__(self, client: Any, channel: str, local: LocalTier) -> None:
        self.client = client
        self.channel = channel
        self.local = local
        self.latch = Latch("cache invalidation channel", "local cache copies switched off")
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="cache-invalidations")

    async def stop(self) -> None:
        """Stop listening. The loops also check a flag: a cancellation that lands while redis-py
        waits under its own timeout can be swallowed, and must not leave the task running."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=2)

    async def _run(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.local.coherent = False
                self.local.reset()
                self.latch.failed(error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while not self._stopping:
                event = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                if event is None:
                    continue
                if event["type"] == "subscribe":
                    self.local.reset()  # whatever was missed while away
                    self.local.coherent = True
                    self.latch.recovered()
                elif event["type"] == "message":
                    generation, _, tag = event["data"].decode().partition(":")
                    self.local.observe(tag, int(generation))
        finally:
            await pubsub.aclose()
