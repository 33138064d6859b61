"""Per-worker snapshots of data that changes rarely and is read by many requests — the
integrations catalog, which every tool's picker reads whole (1,000 rows in the bench), and the
tools' active releases, read by key (each tool of a page, or the one tool of a detail).

A snapshot is kept under a cache tag (app/cache/shared.py) and served while the tag's generation is
still the one it was read under, and for at most ``VENDO_CATALOG_SNAPSHOT_SECONDS``:
- a write through the gateway invalidates the tag: the writing worker's next request reads the
  database again; other workers as soon as the invalidation message lands (Redis pub/sub), as for
  the response cache's local copies;
- the generation is read before the database, so a write that lands during a read leaves the
  snapshot under an older generation, never served again;
- while the cache cannot say the current generation (Redis down, or its invalidation channel
  down and Redis not answering), every request reads the database;
- the age limit bounds how long a write made outside the gateway (SQL by hand, a seed) stays
  unseen — for tools and releases, which the gateway never writes, that is the only limit.
``0`` turns snapshots off.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from app.cache.shared import Cache

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_KEPT = 50_000  # snapshots kept per worker, least recently used dropped first
_NONE = object()
Where = tuple[str, str, Hashable]  # (tag, name, key); the key of a whole value is None


class _Snapshot(NamedTuple):
    generation: int
    expires: float
    value: Any


class Snapshots:
    def __init__(self, cache: Cache, *, max_age: float, max_kept: int = MAX_KEPT) -> None:
        self.cache = cache
        self.max_age = max_age
        self.max_kept = max_kept
        self._kept: OrderedDict[Where, _Snapshot] = OrderedDict()

    async def _generation(self, tag: str) -> int | None:
        return None if self.max_age <= 0 else await self.cache.generation(tag)

    def _current(self, where: Where, generation: int, now: float) -> Any:
        kept = self._kept.get(where)
        if kept is None or kept.generation != generation or kept.expires <= now:
            return _NONE
        self._kept.move_to_end(where)
        return kept.value

    def _keep(self, where: Where, generation: int, now: float, value: Any) -> None:
        self._kept[where] = _Snapshot(generation, now + self.max_age, value)
        self._kept.move_to_end(where)
        while len(self._kept) > self.max_kept:
            self._kept.popitem(last=False)

    def peek(self, tag: str, name: str) -> Any | None:
        """The snapshot named ``name`` under ``tag`` when it is current and the tag's generation
        is known without a round trip (no await), else None: ``get`` then says."""
        generation = None if self.max_age <= 0 else self.cache.known_generation(tag)
        if generation is None:
            return None
        value = self._current((tag, name, None), generation, time.monotonic())
        return None if value is _NONE else value

    async def get(self, tag: str, name: str, load: Callable[[], Awaitable[T]]) -> T:
        """The snapshot named ``name`` under ``tag``, loaded with ``load`` when there is none
        that is current. Concurrent misses each load (and the last one is kept)."""
        generation = await self._generation(tag)
        if generation is None:
            return await load()
        now = time.monotonic()
        value = self._current((tag, name, None), generation, now)
        if value is _NONE:
            value = await load()
            self._keep((tag, name, None), generation, now, value)
        return value  # type: ignore[no-any-return]

    async def get_many(
        self,
        tag: str,
        name: str,
        keys: Sequence[K],
        load: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        *,
        missing: Any = _NONE,
    ) -> dict[K, V]:
        """Each key's snapshot in the set ``name`` under ``tag``; the keys without a current
        one are loaded together by ``load``, which answers the keys it found. A key it did not
        find is kept with the value ``missing`` when one is given — for keys that can only name
        real rows, such as the ids of listed tools —, else loaded again next time."""
        generation = await self._generation(tag)
        if generation is None:
            return dict(await load(list(keys)))
        now = time.monotonic()
        found: dict[K, V] = {}
        absent: list[K] = []
        for key in keys:
            value = self._current((tag, name, key), generation, now)
            if value is _NONE:
                absent.append(key)
            else:
                found[key] = value
        if absent:
            loaded = await load(absent)
            for key in absent:
                value = loaded.get(key, missing)
                if value is not _NONE:
                    self._keep((tag, name, key), generation, now, value)
                    found[key] = value
        return found
