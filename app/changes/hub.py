"""This worker's subscribers, by workspace, each with a bounded queue (docs/decisions/0152).

A change may reach a worker more than once (its own commit, then Redis' echo; a catch-up after
an outage reads what may already have arrived): the hub remembers the ids it delivered lately
and drops repeats. A subscriber whose queue is full — a client that does not read — is ended
with a reason, and its ``on_overflow`` is called (the WebSocket is closed): memory stays bounded.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable

from app.changes import Change


class SubscriptionEnded(Exception):
    """The subscription was ended by the gateway, with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooManySubscriptions(Exception):
    pass


class Signal(enum.Enum):
    """What an events stream's queue carries besides changes (app/changes/pulse.py)."""

    HEARTBEAT = "heartbeat"
    DRAIN = "drain"


class Subscription:
    def __init__(
        self,
        hub: Hub,
        tenant_id: uuid.UUID,
        kinds: frozenset[str],
        *,
        queue_size: int,
        on_overflow: Callable[[str], None] | None,
    ) -> None:
        self.hub = hub
        self.tenant_id = tenant_id
        self.kinds = kinds
        self.queue: asyncio.Queue[Change | Signal] = asyncio.Queue(maxsize=queue_size)
        self.on_overflow = on_overflow
        self.ended: str | None = None

    def offer(self, change: Change) -> None:
        if self.ended is not None or change.kind not in self.kinds:
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            reason = f"Subscriber too slow: more than {self.queue.maxsize} changes unread"
            self.end(reason)
            if self.on_overflow is not None:
                self.on_overflow(reason)

    def signal(self, signal: Signal) -> bool:
        """Queue ``signal`` unless the queue is full (its reader has changes to write first)."""
        if self.ended is not None or self.queue.full():
            return False
        self.queue.put_nowait(signal)
        return True

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            self.hub.remove(self)
            while not self.queue.empty():  # what it held is given back at once
                self.queue.get_nowait()

    def close(self) -> None:
        self.hub.remove(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Change:
        if self.ended is not None:
            raise SubscriptionEnded(self.ended)
        while not isinstance(change := await self.queue.get(), Change):
            pass  # signals are for events streams, which read the queue themselves
        return change

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()


class Hub:
    def __init__(self, *, queue_size: int, per_workspace: int, remembered: int = 8192) -> None:
        self.queue_size = queue_size
        self.per_workspace = per_workspace
        self.remembered = remembered
        self.subscribers: dict[uuid.UUID, set[Subscription]] = {}
        self._seen: OrderedDict[int, None] = OrderedDict()
        self.newest_id = 0  # the newest id delivered

    def subscribe(
        self,
        tenant_id: uuid.UUID,
        kinds: Iterable[str],
        *,
        on_overflow: Callable[[str], None] | None = None,
    ) -> Subscription:
        current = self.subscribers.setdefault(tenant_id, set())
        if len(current) >= self.per_workspace:
            raise TooManySubscriptions()
        subscription = Subscription(
            self,
            tenant_id,
            frozenset(kinds),
            queue_size=self.queue_size,
            on_overflow=on_overflow,
        )
        current.add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        current = self.subscribers.get(subscription.tenant_id)
        if current is not None:
            current.discard(subscription)
            if not current:
                del self.subscribers[subscription.tenant_id]

    def seen(self, change_id: int) -> bool:
        return change_id in self._seen

    def deliver(self, change: Change) -> bool:
        """Hand ``change`` to its workspace's subscribers (every workspace's when it has none);
        False when it was delivered already."""
        if change.id in self._seen:
            return False
        self._seen[change.id] = None
        if len(self._seen) > self.remembered:
            self._seen.popitem(last=False)
        self.newest_id = max(self.newest_id, change.id)
        if change.tenant_id is None:
            targets = [s for group in self.subscribers.values() for s in group]
        else:
            targets = list(self.subscribers.get(change.tenant_id, ()))
        for subscription in targets:
            subscription.offer(change)
        return True

    @property
    def count(self) -> int:
        return sum(len(group) for group in self.subscribers.values())
