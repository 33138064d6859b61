"""The ``memory://`` cache backend: aiocache's in-memory backend, bounded.

aiocache's ``SimpleMemoryCache`` is a dict that grows with every key it is given (and keeps a
timer per key for its TTL). Anything a client can make the gateway store — a persisted query,
an anonymous answer per query string — would then grow a worker without limit. Here values live
in a ``BoundedStore`` (entries and bytes, least recently used out) and expire lazily, when read
after their TTL. Counters (``increment``: the cache's tag generations) are kept apart and never
dropped: losing one would bring an invalidated generation's entries back.
"""

from __future__ import annotations

import time
from typing import Any

from aiocache.base import BaseCache
from aiocache.serializers import NullSerializer

from app.cache.local import BoundedStore

# Bytes counted for an entry beyond its key and value: the store's own bookkeeping.
ENTRY_OVERHEAD = 100


def _size(key: str, value: Any) -> int:
    body = len(value) if isinstance(value, bytes | str) else 0
    return len(key) + body + ENTRY_OVERHEAD


class BoundedMemoryCache(BaseCache):  # type: ignore[misc]
    NAME = "memory"

    def __init__(self, *, max_entries: int, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(serializer=NullSerializer(encoding=None), **kwargs)
        self.store: BoundedStore[str, tuple[float | None, Any]] = BoundedStore(
            max_entries=max_entries, max_bytes=max_bytes
        )
        self.counters: dict[str, int] = {}

    async def _get(self, key: str, encoding: Any = None, _conn: Any = None) -> Any:
        if key in self.counters:
            return self.counters[key]
        entry = self.store.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires is not None and expires <= time.monotonic():
            self.store.pop(key)
            return None
        return value

    async def _gets(self, key: str, encoding: Any = None, _conn: Any = None) -> Any:
        return await self._get(key)

    async def _multi_get(self, keys: list[str], encoding: Any = None, _conn: Any = None) -> Any:
        return [await self._get(key) for key in keys]

    async def _set(
        self,
        key: str,
        value: Any,
        ttl: float | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> Any:
        if _cas_token is not None and _cas_token != await self._get(key):
            return 0
        expires = time.monotonic() + ttl if ttl else None
        self.store.put(key, (expires, value), _size(key, value))
        return True

    async def _multi_set(self, pairs: Any, ttl: float | None = None, _conn: Any = None) -> Any:
        for key, value in pairs:
            await self._set(key, value, ttl=ttl)
        return True

    async def _add(self, key: str, value: Any, ttl: float | None = None, _conn: Any = None) -> Any:
        if await self._exists(key):
            raise ValueError(f"Key {key} already exists, use .set to update the value")
        return await self._set(key, value, ttl=ttl)

    async def _exists(self, key: str, _conn: Any = None) -> bool:
        return await self._get(key) is not None

    async def _increment(self, key: str, delta: int, _conn: Any = None) -> int:
        self.counters[key] = self.counters.get(key, 0) + delta
        return self.counters[key]

    async def _expire(self, key: str, ttl: float | None, _conn: Any = None) -> bool:
        value = await self._get(key)
        if value is None or key in self.counters:
            return False
        await self._set(key, value, ttl=ttl)
        return True

    async def _delete(self, key: str, _conn: Any = None) -> int:
        found = self.counters.pop(key, None) is not None or self.store.pop(key) is not None
        return int(found)

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        for key in [*self.counters, *self.store]:
            if not namespace or key.startswith(namespace):
                await self._delete(key)
        return True

    async def _raw(self, command: str, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the bounded memory backend has no raw commands")

    async def _redlock_release(self, key: str, value: Any) -> int:
        if await self._get(key) == value:
            return await self._delete(key)
        return 0
