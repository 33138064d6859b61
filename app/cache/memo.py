"""A bounded per-worker memo for values recomputed request after request."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remembered(compute: Callable[[K], V], limit: int) -> Callable[[K], V]:
    """``compute``, remembering up to ``limit`` results (all forgotten at once when full: the
    keys are a catalog's ids or a route's paths, so a full memo means something is churning,
    and an LRU's bookkeeping would cost more than the recomputation). A result of None is not
    remembered."""
    found: dict[K, V] = {}

    def lookup(key: K) -> V:
        value = found.get(key)
        if value is None:
            value = compute(key)
            if len(found) >= limit:
                found.clear()
            found[key] = value
        return value

    return lookup
