"""What every subscription shares (docs/decisions/0152): the caller's workspace, checked before
any stream exists (anonymous: an error, not a stream); this worker's cap per workspace; and the
end of a subscriber that does not read — its WebSocket closed with a reason.

The WebSocket's own context (``SocketContext``) authenticates at the handshake with the session
cookie, and again at ``connection_init`` when its payload carries ``Authorization``."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar, cast

from starlette.websockets import WebSocket, WebSocketState

from app.changes import Change
from app.changes.hub import SubscriptionEnded, TooManySubscriptions
from app.errors import RateLimited
from app.services.auth import ALL_CREDENTIALS, authenticate, presented_credentials
from resolvers.context import Context, Info

# RFC 6455 1008 (policy violation): the subscriber broke the rule of reading what it asked for.
SLOW_SUBSCRIBER_CLOSE = 1008
TOO_MANY = "Too many subscriptions for this workspace"
T = TypeVar("T")

# One read per change and workspace, shared by the workspace's subscribers on this worker (a
# change fanned out to a thousand of them is one read, not a thousand): (database, change id,
# workspace, what is read) → the read, as a future every subscriber awaits.
_READS: dict[tuple[Hashable, ...], asyncio.Future[Any]] = {}
MOST_READS_KEPT = 1024
# What those reads answered, by id: the same object reaches every subscriber of the read, so a
# document executed over it answers them all alike (the fast path executes it once: 0158).
SHARED_VALUES: dict[int, Any] = {}


def _remember(read: asyncio.Future[Any]) -> None:
    if not read.cancelled() and read.exception() is None and read.result() is not None:
        SHARED_VALUES[id(read.result())] = read.result()


@dataclass
class SocketContext(Context):
    """A WebSocket's context, for all its operations; ``connection_params`` is the payload of
    its ``connection_init`` (set by Strawberry)."""

    connection_params: dict[str, Any] | None = None

    @classmethod
    def of(cls, context: Context) -> SocketContext:
        return cls(**{f.name: getattr(context, f.name) for f in fields(Context)})


def _authorization(params: Mapping[str, Any]) -> str | None:
    for name, value in params.items():
        if isinstance(name, str) and name.lower() == "authorization" and isinstance(value, str):
            return value
    return None


async def authenticate_socket(context: SocketContext) -> bool:
    """At ``connection_init``: an ``Authorization`` in its payload replaces what the handshake
    carried. False when it names no valid credential (the socket is then refused)."""
    authorization = _authorization(context.connection_params or {})
    if authorization is None:
        return True
    runtime = context.runtime
    presented = presented_credentials({"authorization": authorization}, {})
    viewer = await authenticate(
        presented,
        accept=ALL_CREDENTIALS,
        connect=runtime.db.connect,
        settings=runtime.settings,
        jwks=runtime.jwks,
    )
    if not viewer.is_authenticated:
        return False
    context.viewer = viewer
    context.__dict__.pop("loaders", None)  # built for the handshake's viewer
    return True


def _closer(context: Context) -> Any:
    socket = context.request if isinstance(context.request, WebSocket) else None
    if socket is None:
        return None
    tasks: set[asyncio.Task[None]] = set()

    async def close(reason: str) -> None:
        if socket.application_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await socket.close(code=SLOW_SUBSCRIBER_CLOSE, reason=reason)

    def on_overflow(reason: str) -> None:
        task = asyncio.create_task(close(reason))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return on_overflow


async def changes_for(info: Info, kinds: Iterable[str]) -> AsyncIterator[Change]:
    """The workspace's changes of ``kinds``, as they commit. Raises before returning when the
    caller has no workspace or the workspace holds too many subscriptions here: call it from the
    (non-generator) resolver, so that the error is the operation's, not a stream's."""
    context = info.context
    tenant_id = context.require_workspace()
    try:
        subscription = context.runtime.changes.hub.subscribe(
            tenant_id, kinds, on_overflow=_closer(context)
        )
    except TooManySubscriptions:
        raise RateLimited(TOO_MANY) from None

    async def stream() -> AsyncIterator[Change]:
        try:
            async for change in subscription:
                yield change
        except SubscriptionEnded as ended:
            raise RateLimited(ended.reason) from None
        finally:
            subscription.close()

    changes = stream()
    # A stream dropped before its first read never runs its ``finally``: its slot is freed when
    # it is collected.
    weakref.finalize(changes, subscription.close)
    return changes


async def shared_read(
    context: Context, change: Change, key: tuple[Hashable, ...], read: Callable[[], Awaitable[T]]
) -> T:
    """What ``read`` answers for ``change`` in the caller's workspace, read once for all the
    workspace's subscribers on this worker that ask with the same ``key`` (docs/decisions/0157).
    Its answer is given to all of them as one object: a plain type, whose fields read nothing
    of the subscriber (the fast path executes a document over it once for all: 0158).
    A read that failed or was cancelled is made again by the next subscriber; one subscriber
    cancelled while it waits does not cancel the others' read."""
    full = (id(context.runtime.db), change.id, context.viewer.tenant_id, *key)
    found = _READS.get(full)
    if found is None or (found.done() and (found.cancelled() or found.exception() is not None)):
        if len(_READS) >= MOST_READS_KEPT:
            _READS.clear()
            SHARED_VALUES.clear()
        found = _READS[full] = asyncio.ensure_future(read())
        found.add_done_callback(_remember)
    return cast(T, await asyncio.shield(found))
