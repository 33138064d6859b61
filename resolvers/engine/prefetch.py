"""Resolver fields computed from data loaded for a whole list at once.

Such a field is two plain functions:

- ``ready(loaders, roots, arguments)``: None when what the field reads for these parent objects
  is loaded, else an awaitable that loads it (whole sets, or keyed loads of every root at once);
- ``get(root, loaders, arguments)``: the value, synchronously, once ready.

``@prefetched(ready, get)`` turns a resolver stub into the field's resolver (await ``ready`` for its
one root, return ``get``), keeping the stub's signature for Strawberry, and marks it, so that the
fast path (resolvers/engine/speedups/fastpath.py) can await ``ready`` once for a whole list and then
call ``get`` per item instead of graphql-core running a coroutine per item and field. Both paths run
the same two functions; concurrent single-root ``ready`` calls batch in the DataLoaders, so the
statements per request are the same either way.

With ``per_root=False`` the field's ``ready`` ignores ``roots`` (it loads per-request sets only),
so the fast path may also use it on objects nested inside list items.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resolvers.loaders import Loaders

Ready = Callable[["Loaders", Sequence[Any], Mapping[str, Any]], Awaitable[None] | None]
Get = Callable[[Any, "Loaders", Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Prefetched:
    ready: Ready
    get: Get
    per_root: bool = True

    async def resolve(self, root: Any, loaders: Loaders, arguments: Mapping[str, Any]) -> Any:
        """The value for one root, as the field's resolver answers it."""
        if (waiting := self.ready(loaders, (root,), arguments)) is not None:
            await waiting
        return self.get(root, loaders, arguments)

    def __call__(self, stub: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Decorate an ``async def field(self, info: Info, <arguments>) -> T`` stub (under
        ``@strawberry.field``); its body is not used."""

        @functools.wraps(stub)  # Strawberry reads the stub's signature and annotations
        async def resolve(root: Any, /, *, info: Any, **arguments: Any) -> Any:
            return await self.resolve(root, info.context.loaders, arguments)

        resolve.prefetched = self  # type: ignore[attr-defined]
        return resolve


def prefetched(ready: Ready, get: Get, *, per_root: bool = True) -> Prefetched:
    """A field's ready and get; decorates the field's resolver stub (see Prefetched)."""
    return Prefetched(ready, get, per_root)


def marker_of(resolver: Any) -> Prefetched | None:
    """The Prefetched of a Strawberry field's resolver, if ``prefetched`` built it."""
    return getattr(getattr(resolver, "wrapped_func", None), "prefetched", None)


def sets(*names: str, workspace: bool = False) -> Ready:
    """A ``ready`` loading per-request whole sets (with ``workspace``: only in a workspace;
    anonymously there is nothing to load)."""

    def ready(loaders: Loaders, roots: Sequence[Any], arguments: Mapping[str, Any]) -> Any:
        if workspace and loaders.tenant_id is None:
            return None
        return loaders.ready(*names)

    return ready


def combine(*waiting: Awaitable[Any] | None) -> Awaitable[None] | None:
    """One ``ready`` result of several: None when none is pending, else their concurrent wait."""
    pending = [item for item in waiting if item is not None]
    if not pending:
        return None
    return _all(pending)


async def _all(pending: list[Awaitable[Any]]) -> None:
    if len(pending) == 1:
        await pending[0]
    else:
        await asyncio.gather(*pending)
